"""What one large Python file costs a review: wall time and the child's peak memory (RSS).

A repository whose pull request adds a small function and a large generated module (default
5 MB, over the default `max_file_bytes` of 500,000). Every stage must leave the large file
unread, so the review costs what a review of the small change costs. Run:

    .venv/bin/python -m bench.big_file [--mb 5] [--max-file-bytes N] [--codegen CMD]

`--codegen` runs another build of codegen (e.g. `"python -m codegen_bot.bot.cli"` with PYTHONPATH
set to an older checkout) to compare before and after.
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SMALL = "def add(a: int, b: int) -> int:\n    return a + b\n"


def big_module(megabytes: float) -> str:
    """A valid module of about `megabytes` MB: many small documented functions."""
    chunk = (
        'def f{n}(x: int) -> int:\n    """Return x plus {n}.\n\n    Args:\n'
        '        x: a number.\n    """\n    return x + {n}\n\n\n'
    )
    parts, size, n = [], 0, 0
    while size < megabytes * 1_000_000:
        part = chunk.format(n=n)
        parts.append(part)
        size += len(part)
        n += 1
    return "".join(parts)


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def make_repo(root: Path, megabytes: float) -> None:
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "bench@example.com")
    git(root, "config", "user.name", "bench")
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text('"""The package."""\n')
    git(root, "add", ".")
    git(root, "commit", "-qm", "base")
    (root / "pkg" / "small.py").write_text(SMALL)
    (root / "pkg" / "generated.py").write_text(big_module(megabytes))
    git(root, "add", ".")
    git(root, "commit", "-qm", "change")


def main() -> None:
    """Build the repository, run one review as a child, print its time and peak RSS."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=5.0)
    parser.add_argument("--max-file-bytes", type=int, default=None)
    parser.add_argument("--codegen", default=f"{sys.executable} -m codegen_bot.bot.cli")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        make_repo(root, args.mb)
        command = [*shlex.split(args.codegen), "review", "--repo", str(root), "--base", "HEAD~1"]
        command += ["--format", "json", "--out", str(root.parent / f"{root.name}.json")]
        if args.max_file_bytes is not None:
            (root.parent / f"{root.name}.toml").write_text(
                f"max_file_bytes = {args.max_file_bytes}\n"
            )
            command += ["--config", str(root.parent / f"{root.name}.toml")]
        started = time.perf_counter()
        done = subprocess.run(
            command, capture_output=True, text=True, env=os.environ, cwd=root, check=False
        )
        seconds = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        status = "ok" if done.returncode == 0 else f"exit {done.returncode}: {done.stderr[-300:]}"
        print(
            f"big_file: {args.mb} MB module, max_file_bytes={args.max_file_bytes or 'default'}:"
            f" {seconds:.1f} s, peak RSS {peak_mb:.0f} MB ({status})"
        )


if __name__ == "__main__":
    main()
