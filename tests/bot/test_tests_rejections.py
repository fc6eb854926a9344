"""Tests a stub engine writes to misbehave on purpose: each is rejected with its cause."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from codegen_bot.adapters.engines.base import Candidate, EngineIdentity, RunContext, Task
from codegen_bot.bot.tasks.pipeline import ReviewRequest, review
from codegen_bot.refactor.sandbox.process import detect_isolation
from codegen_bot.refactor.targets import Target
from tests.bot.tests_task_repo import (
    BASE,
    PYPROJECT,
    THREE_NEW,
    TOKEN,
    by_symbol,
    make_tests_repo,
)

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
    pyproject = PYPROJECT.replace("timeout = 2", "timeout = 1")
    repo, base = make_tests_repo(make_repo, STUB_HEAD, {"pyproject.toml": pyproject})
    messages: list[str] = []
    report = review(
        ReviewRequest(str(repo.path), base, tasks=("tests",), isolation=isolation),  # type: ignore[arg-type]
        lambda options: StubEngine(STUB_TESTS),
        messages.append,
    )
    proposals = by_symbol(report)
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
