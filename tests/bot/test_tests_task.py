"""`codegen review --tasks tests` end to end: real git repositories, real pytest and coverage in
the sandbox, the heuristic engine and a stub engine whose tests misbehave on purpose."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from adapters.base import Candidate, EngineIdentity, RunContext, Task
from bot import markdown
from bot.report import Proposal, Report
from bot.review import ReviewRequest, review
from refactor.sandbox import detect_isolation
from refactor.targets import Target

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

CALLERS = """\
from shop.money import ratio, slug

TITLE = slug("Hello Big World")
HALF = ratio(1, 4)
"""


def _repo(
    make_repo, head_module: str, extra: dict[str, str] | None = None, base_test: str = BASE_TEST
):
    repo = make_repo()
    base = repo.commit(
        {
            "pyproject.toml": PYPROJECT,
            "shop/__init__.py": "",
            "shop/money.py": BASE,
            "tests/test_money.py": base_test,
        },
        "base",
    )
    repo.commit({"shop/money.py": head_module, **(extra or {})}, "head")
    return repo, base


def _by_symbol(report: Report) -> dict[str, Proposal]:
    return {p.symbol: p for p in report.proposals if p.task == "tests"}


def test_three_new_functions_get_proven_tests(make_repo, run_cli, tmp_path: Path) -> None:
    repo, base = _repo(make_repo, BASE + THREE_NEW, {"shop/use.py": CALLERS})
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
    proposals = _by_symbol(report)
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
    for proposal in proposals.values():
        patch = tmp_path / f"{proposal.symbol}.patch"
        patch.write_text(proposal.patch)
        repo.git("apply", str(patch))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=repo.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "4 passed" in run.stdout or "5 passed" in run.stdout
    text = markdown.render(report)
    assert "Tests `shop/money.py` · `clamp`: +" in text and "passed 5/5 runs" in text


STUB_TESTS = {
    # Reads the token (and would print it).
    "clamp": """\
import os

from shop.money import clamp


def test_clamp():
    print(os.environ.get("GITHUB_TOKEN", ""))
    assert clamp(5, 0, 3) == 3
""",
    # Opens a socket to 127.0.0.1 and swallows the error.
    "slug": """\
import socket

from shop.money import slug


def test_slug():
    try:
        socket.create_connection(("127.0.0.1", 9), timeout=1)
    except OSError:
        pass
    assert slug("A B") == "a-b"
""",
    # Loops forever.
    "ratio": """\
from shop.money import ratio


def test_ratio():
    assert ratio(1, 2) == 0.5
    while True:
        pass
""",
    # Loops forever and swallows the timer's exception: only the watchdog stops it.
    "spin": """\
from shop.money import spin


def test_spin():
    while True:
        try:
            while True:
                spin()
        except BaseException:
            pass
""",
    # Passes every other run.
    "scale": """\
from shop.money import scale

RUNS = []


def test_scale():
    RUNS.append(1)
    assert scale(2, 3) == 6
    assert len(RUNS) % 2 == 1
""",
    # Passes, but never runs its target.
    "label": """\
def test_label():
    assert "a".upper() == "A"
""",
    # Leaves a temporary file behind.
    "pick": """\
import tempfile

from shop.money import pick


def test_pick():
    tempfile.mkstemp()
    assert pick([3, 4]) == 3
""",
    # Writes into the repository.
    "store": """\
from shop.money import store


def test_store():
    with open("stored.txt", "w") as handle:
        handle.write("x")
    assert store(1) == 1
""",
    # A good one, so the bad ones are seen to fail on their own account.
    "keep": """\
from shop.money import keep


def test_keep():
    assert keep(1) == 1
""",
}

STUB_HEAD = (
    BASE
    + THREE_NEW
    + """

def spin() -> int:
    return 1


def scale(a: int, b: int) -> int:
    return a * b


def label(x: int) -> str:
    return str(x)


def pick(items: list[int]) -> int:
    return items[0]


def store(x: int) -> int:
    return x


def keep(x: int) -> int:
    return x
"""
)


class StubEngine:
    """Proposes the given test module for each target, by name."""

    identity = EngineIdentity("stub")

    def __init__(self, tests: dict[str, str]) -> None:
        self.tests = tests

    def propose(
        self, task: Task, targets: Sequence[Target], context: RunContext | None = None
    ) -> list[Candidate]:
        return [
            Candidate(
                t,
                task,
                self.tests.get(t.name),
                self.identity,
                None if t.name in self.tests else "no stub",
            )
            for t in targets
        ]


@pytest.mark.parametrize("isolation", ["auto", "none"], ids=["bubblewrap-if-available", "fallback"])
def test_misbehaving_tests_are_rejected_with_their_cause(
    make_repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], isolation: str
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    pyproject = PYPROJECT.replace("timeout = 2", "timeout = 1") + f'isolation = "{isolation}"\n'
    repo, base = _repo(make_repo, STUB_HEAD, {"pyproject.toml": pyproject})
    messages: list[str] = []
    report = review(
        ReviewRequest(str(repo.path), base, tasks=("tests",)),
        lambda style: StubEngine(STUB_TESTS),
        messages.append,
    )
    proposals = _by_symbol(report)
    reasons = {symbol: p.reason or "" for symbol, p in proposals.items()}
    assert proposals["keep"].status == "accepted", reasons["keep"]
    assert reasons["clamp"] == "sandbox: the test reads the environment variable GITHUB_TOKEN"
    assert (
        reasons["slug"].startswith("sandbox: the test uses the network")
        and "127.0.0.1:9" in reasons["slug"]
    )
    assert reasons["ratio"] == "time: did not finish within 1s: it loops forever or hangs"
    assert reasons["spin"].startswith("time: did not finish within 1s and could not be stopped")
    assert reasons["scale"].startswith("runs: flaky: passed 1 of 5 runs, then failed: ")
    assert proposals["scale"].metrics["runs_text"] == "1/5"
    assert reasons["label"] == "coverage: raises no coverage of `label`: it does not run it"
    assert reasons["pick"].startswith("files: leaves files behind: $TMPDIR/tmp")
    assert (
        reasons["store"].startswith("sandbox: the test writes the file ")
        and "stored.txt" in reasons["store"]
    )
    assert {p.status for s, p in proposals.items() if s != "keep"} == {"rejected"}
    described = next(note for note in report.notes if "tests ran" in note or "isolation" in note)
    if isolation == "none" or not detect_isolation().isolated:
        assert "isolation was NOT available" in described
    else:
        assert "bubblewrap" in described
    everything = report.to_json() + "\n".join(messages) + "".join(capsys.readouterr())
    assert TOKEN not in everything


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
    repo, base = _repo(make_repo, head, base_test=broken_test)
    report = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), _heuristic)
    assert any("suite was red at head: 1 of 2 tests failed" in note for note in report.notes), (
        report.notes
    )
    skipped = {s.symbol: s.reason for s in report.skipped if s.task == "tests"}
    assert skipped["halve"].startswith(
        "its own tests fail at head (tests/test_money.py::test_double_odd"
    )
    proposals = _by_symbol(report)
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
    repo, base = _repo(make_repo, head)
    report = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), _heuristic)
    skipped = {s.symbol: s.reason for s in report.skipped if s.task == "tests"}
    assert (
        skipped["double"]
        == "already fully covered (every line and branch) by the repository's tests"
    )
    proposals = _by_symbol(report)
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


def _heuristic(style: str):
    from adapters.heuristic import HeuristicEngine

    return HeuristicEngine(style=style)


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
    repo, base = _repo(make_repo, head, {"pyproject.toml": pyproject}, base_test=base_test)
    report = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), _heuristic)
    proposal = _by_symbol(report)["scale"]
    assert proposal.status == "accepted", (proposal.reason, proposal.metrics)
    text = proposal.text or ""
    assert "class TestScaleExamples(unittest.TestCase):" in text
    assert "self.assertEqual(scale(" in text and "@given(" in text, proposal.metrics.get("earlier")
    assert proposal.metrics["runs_text"] == "5/5"
    assert (
        proposal.metrics["after"]["branches_covered"] == proposal.metrics["after"]["branches_total"]
    )
