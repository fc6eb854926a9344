"""`codegen review --tasks tests` end to end: real git repositories, real pytest and coverage in
the sandbox, the heuristic engine and a stub engine whose tests misbehave on purpose."""

from __future__ import annotations

import json
from pathlib import Path

from codegen_bot.bot import markdown
from codegen_bot.bot.report import Report
from codegen_bot.bot.tasks.pipeline import ReviewRequest, review
from tests.bot.tests_task_repo import (
    BASE,
    BASE_TEST,
    CALLERS,
    PYPROJECT,
    THREE_NEW,
    apply_and_run_tests,
    by_symbol,
    heuristic,
    make_tests_repo,
)


def test_three_new_functions_get_proven_tests(make_repo, run_cli, tmp_path: Path) -> None:
    repo, base = make_tests_repo(make_repo, BASE + THREE_NEW, {"shop/use.py": CALLERS})
    before = repo.snapshot()
    out = tmp_path / "report.json"
    result = run_cli(
        "review",
        "--repo",
        str(repo.path),
        "--base",
        base,
        "--tasks",
        "tests",
        "--format",
        "json",
        "--out",
        str(out),
    )
    assert result.code == 0, result.err
    assert repo.snapshot() == before, "the review changed the repository"
    data = json.loads(out.read_text())
    report = Report.from_dict(data)
    proposals = by_symbol(report)
    assert set(proposals) == {"clamp", "slug", "ratio"}
    for symbol, proposal in proposals.items():
        assert proposal.status == "accepted", (symbol, proposal.reason)
        m = proposal.metrics
        assert m["runs_passed"] == 5 and m["runs"] == 5 and m["runs_text"] == "5/5"
        assert m["lines_gained"] > 0
        assert m["target_path"] == "shop/money.py"
        assert proposal.path == m["test_path"] == f"tests/test_money_{symbol}.py"
        assert [g.gate for g in proposal.gates] == [
            "syntax",
            "ruff",
            "imports",
            "sandbox",
            "time",
            "runs",
            "files",
            "coverage",
            "collected",
        ]
        assert proposal.text and proposal.patch.startswith(
            f"diff --git a/{proposal.path} b/{proposal.path}\nnew file mode"
        )
    # clamp has branches and a raise: its examples cover every line and branch.
    clamp = proposals["clamp"].metrics
    assert clamp["after"]["lines_covered"] == clamp["after"]["lines_total"]
    assert clamp["branches_gained"] == clamp["after"]["branches_total"] > 0
    # slug has no annotations: its test comes from the call site in shop/use.py.
    assert 'slug("Hello Big World") == "hello-big-world"' in proposals["slug"].text
    # The report round-trips with the figures.
    assert Report.from_dict(report.to_dict()).to_dict() == data
    # The patches apply, and the new tests pass in the real repository's checkout.
    run = apply_and_run_tests(repo, proposals.values(), tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "4 passed" in run.stdout or "5 passed" in run.stdout
    text = markdown.render(report)
    assert "Tests `shop/money.py` · `clamp`: +" in text and "passed 5/5 runs" in text


def test_red_suite_is_reported_and_its_targets_skipped(make_repo) -> None:
    broken_test = (
        BASE_TEST
        + """

def test_double_odd():
    from shop.money import halve
    assert halve(3) == 1
"""
    )
    head = (
        BASE
        + """

def halve(x: int) -> int:
    return x / 2


def triple(x: int) -> int:
    return 3 * x
"""
    )
    repo, base = make_tests_repo(make_repo, head, base_test=broken_test)
    report = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), heuristic)
    assert any("suite was red at head: 1 of 2 tests failed" in note for note in report.notes), (
        report.notes
    )
    skipped = {s.symbol: s.reason for s in report.skipped if s.task == "tests"}
    assert skipped["halve"].startswith(
        "its own tests fail at head (tests/test_money.py::test_double_odd"
    )
    proposals = by_symbol(report)
    assert proposals["triple"].status == "accepted", proposals["triple"].reason


def test_side_effects_get_no_test_and_covered_code_is_skipped(make_repo) -> None:
    head = '''\
"""Money helpers."""

import os
import socket
import time


def double(x: int) -> int:
    """Return twice `x`."""
    y = 2 * x
    return y


def nap() -> float:
    time.sleep(0.05)
    return 0.05


def home() -> str:
    return os.environ.get("HOME", "")


def save(text: str) -> int:
    with open("saved.txt", "w") as handle:
        return handle.write(text)


def ping() -> bool:
    with socket.socket() as s:
        s.connect(("127.0.0.1", 9))
    return True


def forever() -> int:
    while True:
        pass


def spawn() -> int:
    return os.fork()
'''
    repo, base = make_tests_repo(make_repo, head)
    report = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), heuristic)
    skipped = {s.symbol: s.reason for s in report.skipped if s.task == "tests"}
    assert (
        skipped["double"]
        == "already fully covered (every line and branch) by the repository's tests"
    )
    proposals = by_symbol(report)
    expected = {
        "nap": "`nap()` sleeps (time.sleep(0.05))",
        "home": "`home()` reads the environment variable HOME",
        "save": "`save(text='')` writes the file",
        "ping": "`ping()` uses the network: opens a socket to 127.0.0.1:9",
        "forever": "`forever()` did not finish within 2s",
        "spawn": "`spawn()` forks (os.fork)",
    }
    for symbol, cause in expected.items():
        proposal = proposals[symbol]
        assert proposal.status == "rejected", (symbol, proposal.text)
        assert proposal.reason and proposal.reason.startswith("nothing to test from:"), (
            proposal.reason
        )
        assert cause in proposal.reason, (symbol, proposal.reason)


def test_unittest_style_repo_gets_unittest_examples_and_property_tests(make_repo) -> None:
    base_test = """\
import unittest

from shop.money import double


class TestDouble(unittest.TestCase):
    def test_double(self):
        self.assertEqual(double(2), 4)
"""
    head = (
        BASE
        + """

def scale(a: int, clip: bool = False) -> int:
    if clip and a < 0:
        return 0
    return a * 2
"""
    )
    pyproject = PYPROJECT + 'property_tests = "always"\n'
    repo, base = make_tests_repo(
        make_repo, head, {"pyproject.toml": pyproject}, base_test=base_test
    )
    report = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), heuristic)
    proposal = by_symbol(report)["scale"]
    assert proposal.status == "accepted", (proposal.reason, proposal.metrics)
    text = proposal.text or ""
    assert "class TestScaleExamples(unittest.TestCase):" in text
    assert "self.assertEqual(scale(" in text and "@given(" in text, proposal.metrics.get("earlier")
    assert proposal.metrics["runs_text"] == "5/5"
    assert (
        proposal.metrics["after"]["branches_covered"] == proposal.metrics["after"]["branches_total"]
    )
