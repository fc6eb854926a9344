"""Wall time of `codegen review --tasks tests` on a real project, over one plain run of its suite.

Downloads a pure-Python project's source distribution from PyPI (its tests ship in the sdist),
makes a git repository of it, commits a synthetic change that adds three functions and touches
three existing ones, then times one plain `pytest` run of the project's suite and one
`codegen review --tasks tests` (baseline coverage run, probe, candidates, gates), both on the
same machine in the same run; the plain run is the median of several (`--plain-runs`). Goal: at
most 3x. `--again` runs the review a second time on the same commit: its baseline comes from the
cache (`CODEGEN_CACHE_DIR`, a folder of the benchmark's own).

    .venv/bin/python bench/tests_bench.py [--project boltons==26.2.0] [--module boltons/strutils.py]
    .venv/bin/python bench/tests_bench.py --source DIR --module pkg/mod.py   # a local project

`--before PYTHON` also times the review with another installation of codegen (an interpreter
with an older checkout installed), in the same run on the same repository, with a cache of its
own: before and after under the same load.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import git

NEW_FUNCTIONS = """

def count_vowels(text: str) -> int:
    return sum(1 for char in text.lower() if char in "aeiou")


def clamp_int(value: int, low: int = 0, high: int = 100) -> int:
    if low > high:
        raise ValueError("low must not exceed high")
    return max(low, min(high, value))


def initials(name: str, sep: str = ".") -> str:
    parts = [part for part in name.split() if part]
    if not parts:
        return ""
    return sep.join(part[0].upper() for part in parts) + sep
"""


def download(requirement: str, folder: Path) -> Path:
    """Download and unpack the sdist of `requirement`; return the project's folder."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-binary",
            ":all:",
            "--no-deps",
            "--dest",
            str(folder),
            requirement,
        ],
        check=True,
    )
    archive = next(folder.glob("*.tar.gz"))
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    return next(p for p in folder.iterdir() if p.is_dir())


def touch_functions(source: str, count: int) -> tuple[str, list[str]]:
    """Add a comment line to the body of the first `count` public module-level functions."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    chosen = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")
    ][:count]
    for node in sorted(chosen, key=lambda n: n.body[0].lineno, reverse=True):
        first = node.body[0]
        indent = " " * first.col_offset
        lines.insert(first.lineno - 1, f"{indent}# touched by the codegen benchmark\n")
    return "".join(lines), [node.name for node in chosen]


def make_repo(project: Path, root: Path, module: str) -> tuple[str, list[str]]:
    """A git repository of `project` whose head changes `module`; returns base and touched names."""
    shutil.copytree(project, root)
    repo = git.Repo.init(root, initial_branch="main")
    author = git.Actor("Bench", "bench@example.com")
    repo.git.add("--all")
    base = repo.index.commit("base: the sdist as released", author=author, committer=author).hexsha
    path = root / module
    text, touched = touch_functions(path.read_text(encoding="utf-8"), 3)
    path.write_text(text + NEW_FUNCTIONS, encoding="utf-8")
    repo.git.add("--all")
    repo.index.commit("head: three new functions, three touched", author=author, committer=author)
    return base, touched


def timed(command: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run `command` and return its wall time and result."""
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, completed


def median_plain_run(root: Path, runs: int) -> tuple[float, str, list[float]]:
    """The median wall time of `runs` plain `pytest` runs of the suite, its summary, all times."""
    times = []
    summary = "no output"
    for _ in range(max(1, runs)):
        took, run = timed([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], root)
        times.append(took)
        summary = (run.stdout.strip().splitlines() or ["no output"])[-1]
    return statistics.median(times), summary, times


def time_before(
    python: str, codegen: list[str], folder: Path, report_path: Path
) -> tuple[float, int]:
    """Time the same review by another installation of codegen (a cache of its own)."""
    os.environ["CODEGEN_CACHE_DIR"] = str(folder / "cache-before")
    took, old = timed([python, *codegen[1:]], folder)
    if old.returncode != 0:
        raise SystemExit(f"codegen review (before) failed: {old.stderr}")
    report = json.loads(report_path.read_text())
    os.environ["CODEGEN_CACHE_DIR"] = str(folder / "cache")
    accepted = sum(p["status"] == "accepted" for p in report["proposals"] if p["task"] == "tests")
    return took, accepted


def main(argv: list[str] | None = None) -> float:
    """Run the benchmark, print its figures, and return the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", default="boltons==26.2.0", help="a PyPI requirement")
    parser.add_argument("--source", type=Path, help="a local project folder instead of PyPI")
    parser.add_argument("--module", default="boltons/strutils.py", help="the module to change")
    parser.add_argument("--plain-runs", type=int, default=3, help="plain runs (median taken)")
    parser.add_argument(
        "--again",
        action="store_true",
        help="run the review a second time on the same commit (the baseline from the cache)",
    )
    parser.add_argument(
        "--before", help="an interpreter with another codegen installed, timed in the same run"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="codegen-bench-") as scratch:
        folder = Path(scratch)
        project = args.source or download(args.project, folder / "download")
        root = folder / "repo"
        base, touched = make_repo(project, root, args.module)
        plain, summary, plains = median_plain_run(root, args.plain_runs)
        os.environ["CODEGEN_CACHE_DIR"] = str(folder / "cache")
        report_path = folder / "report.json"
        codegen = [
            sys.executable,
            "-m",
            "codegen_bot.bot.cli",
            "review",
            "--repo",
            str(root),
            "--base",
            base,
            "--tasks",
            "tests",
            "--format",
            "json",
            "--out",
            str(report_path),
            "-q",
        ]
        before = time_before(args.before, codegen, folder, report_path) if args.before else None
        took, review = timed(codegen, Path(__file__).resolve().parent.parent)
        if review.returncode != 0:
            raise SystemExit(f"codegen review failed: {review.stderr}")
        report = json.loads(report_path.read_text())
        again = None
        if args.again:
            again, _ = timed(codegen, Path(__file__).resolve().parent.parent)
    tests = [p for p in report["proposals"] if p["task"] == "tests"]
    accepted = [p for p in tests if p["status"] == "accepted"]
    ratio = took / plain
    print(
        f"project: {args.source or args.project} · changed {args.module}: new count_vowels, "
        f"clamp_int, initials; touched {', '.join(touched)}"
    )
    shown = ", ".join(f"{t:.2f}" for t in plains)
    print(f"plain suite: median {plain:.2f} s of {len(plains)} runs ({shown}) ({summary})")
    phases = ", ".join(
        f"{k} {v:.2f}" for k, v in report["timings"].items() if k.startswith("tests_")
    )
    print(f"codegen review --tasks tests: {took:.2f} s · phases: {phases}")
    for proposal in tests:
        m = proposal["metrics"]
        figures = proposal["reason"]
        if proposal["status"] == "accepted":
            figures = (
                f"+{m.get('lines_gained', 0)} lines, +{m.get('branches_gained', 0)} branches, "
                f"runs {m.get('runs_text', '-')}"
            )
        print(f"  {proposal['status']:8} {proposal['symbol']}: {figures}")
    for skipped in report["skipped"]:
        print(f"  skipped  {skipped['symbol']}: {skipped['reason']}")
    for note in report["notes"]:
        print(f"  note: {note}")
    print(f"accepted {len(accepted)} of {len(tests)} · ratio {ratio:.2f}x (goal <= 3x)")
    if before is not None:
        print(f"before ({args.before}): {before[0]:.2f} s · ratio {before[0] / plain:.2f}x · "
              f"accepted {before[1]}")  # fmt: skip
    if again is not None:
        print(f"again on the same commit (baseline from the cache): {again:.2f} s · "
              f"ratio {again / plain:.2f}x")  # fmt: skip
    return ratio


if __name__ == "__main__":
    main()
