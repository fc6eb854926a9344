"""A small repository for the tests task's end-to-end tests: a module, its test, new functions."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from codegen_bot.adapters.engines.base import Engine
from codegen_bot.adapters.engines.registry import RunOptions
from codegen_bot.bot.report import Proposal, Report
from tests.conftest import GitRepo

TOKEN = "ghp_" + "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8"

PYPROJECT = """\
[project]
name = "shop"
version = "0.1.0"

[tool.ruff.lint]
select = ["E", "F", "I", "B"]

[tool.codegen.tests]
runs = 5
timeout = 2
"""

BASE = '''\
"""Money helpers."""


def double(x: int) -> int:
    """Return twice `x`."""
    return 2 * x
'''

BASE_TEST = """\
from shop.money import double


def test_double():
    assert double(2) == 4
"""

THREE_NEW = """

def clamp(x: int, lo: int = 0, hi: int = 10) -> int:
    if lo > hi:
        raise ValueError("lo must not exceed hi")
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x


def slug(text):
    return "-".join(text.lower().split())


def ratio(a: float, b: float) -> float:
    return a / b
"""

#: A function every layout's head adds: one the suite does not test yet.
CLAMP = """

def clamp(x: int, lo: int = 0, hi: int = 10) -> int:
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x
"""

CALLERS = """\
from shop.money import ratio, slug

TITLE = slug("Hello Big World")
HALF = ratio(1, 4)
"""


def make_tests_repo(
    make_repo, head_module: str, extra: dict[str, str] | None = None, base_test: str = BASE_TEST
):
    repo = make_repo()
    # codegen reads its settings from the base commit: configuration files in `extra` are the
    # maintainers', so they go there; the rest is the change under review.
    config = {k: v for k, v in (extra or {}).items() if k in ("pyproject.toml", ".codegen.toml")}
    changes = {k: v for k, v in (extra or {}).items() if k not in config}
    base = repo.commit(
        {
            "pyproject.toml": PYPROJECT,
            "shop/__init__.py": "",
            "shop/money.py": BASE,
            "tests/test_money.py": base_test,
            **config,
        },
        "base",
    )
    repo.commit({"shop/money.py": head_module, **changes}, "head")
    return repo, base


def by_symbol(report: Report) -> dict[str, Proposal]:
    return {p.symbol: p for p in report.proposals if p.task == "tests"}


def heuristic(options: RunOptions) -> Engine:
    """The heuristic engine in the review's style: the engine factory these tests review with."""
    from codegen_bot.adapters.engines.heuristic import HeuristicEngine

    return HeuristicEngine(style=options.style)


def apply_and_run_tests(
    repo: GitRepo, proposals: Iterable[Proposal], patches: Path
) -> subprocess.CompletedProcess[str]:
    """Apply each proposal's patch to the checkout (`git apply`), then run its own pytest."""
    for proposal in proposals:
        patch = patches / f"{proposal.symbol}.patch"
        patch.write_text(proposal.patch)
        repo.git("apply", str(patch))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=repo.path,
        capture_output=True,
        text=True,
        check=False,
    )
