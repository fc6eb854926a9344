"""End-to-end latency of `codegen review --tasks docs` with the heuristic engine.

Builds a repository whose head commit adds N undocumented public functions spread over several
modules, times the whole review (in-process, as the CLI runs it), and prints the time per
proposal beside one plain `ruff check` of the same files, measured in the same run.

    .venv/bin/python bench/review.py [--functions 60] [--modules 6]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

import git

from codegen_bot.adapters.engines.registry import build_engine
from codegen_bot.bot.tasks.pipeline import ReviewRequest, review
from codegen_bot.refactor.gates.lint import ruff_binary

FUNCTION = """

def compute_total_{i}(prices: list[float], discount: float = 0.0) -> float:
    if discount < 0:
        raise ValueError("discount must not be negative")
    return sum(prices) * (1 - discount)
"""


def make_repo(root: Path, functions: int, modules: int) -> tuple[str, str]:
    """A repository whose head adds `functions` undocumented functions over `modules` files."""
    repo = git.Repo.init(root, initial_branch="main")
    author = git.Actor("Bench", "bench@example.com")
    (root / "pkg").mkdir()
    (root / ".codegen.toml").write_text(f"max_suggestions = {functions}\n")
    for m in range(modules):
        (root / "pkg" / f"mod{m}.py").write_text('"""Module."""\n')
    repo.index.add([".codegen.toml", *(f"pkg/mod{m}.py" for m in range(modules))])
    base = repo.index.commit("base", author=author, committer=author).hexsha
    for m in range(modules):
        body = "".join(FUNCTION.format(i=i) for i in range(m, functions, modules))
        (root / "pkg" / f"mod{m}.py").write_text('"""Module."""\n' + body)
    repo.index.add([f"pkg/mod{m}.py" for m in range(modules)])
    head = repo.index.commit("head", author=author, committer=author).hexsha
    return base, head


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=int, default=60)
    parser.add_argument("--modules", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "repo"
        base, head = make_repo(root, args.functions, args.modules)

        started = time.perf_counter()
        subprocess.run(
            [ruff_binary(), "check", "--no-cache", "--exit-zero", "-q", "pkg"], cwd=root, check=True
        )
        lint = time.perf_counter() - started

        started = time.perf_counter()
        report = review(
            ReviewRequest(repo=str(root), base=base, head=head),
            lambda options: build_engine("heuristic", options),
        )
        total = time.perf_counter() - started

    proposals = len(report.proposals)
    print(f"proposals            {proposals} ({len(report.accepted)} accepted)")
    print(f"review wall time     {total:.2f} s")
    print(f"per proposal         {1000 * total / max(proposals, 1):.1f} ms")
    print(f"one ruff check       {lint * 1000:.1f} ms")
    print(f"proposals per second {proposals / total:.0f}")
    for phase, seconds in report.timings.items():
        print(f"  phase {phase:<12} {seconds:.2f} s")


if __name__ == "__main__":
    main()
