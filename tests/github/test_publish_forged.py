"""`codegen publish` trusts nothing in the report (attack 4 of issue 11).

The report comes from the job that ran pull-request code. Each test forges one, then runs
`codegen publish` as the Action's publish job does (GitHub's environment and event, the
emulator): the forged report is refused with one line, exit code 2, and nothing is written.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codegen_bot.adapters.engines.base import EngineIdentity
from codegen_bot.bot.report import NightlyRef, Proposal, PullRequestRef, Report
from codegen_bot.refactor.gates import Verdict
from codegen_bot.refactor.patches import Replacement
from tests.github.conftest import PullRequestWorld

TEST_TEXT = "def test_x():\n    assert True\n"


def proposal(task: str, path: str, text: str = TEST_TEXT) -> Proposal:
    return Proposal(
        task=task,
        path=path,
        symbol="x",
        kind="function",
        start=1,
        end=1,
        identity=EngineIdentity("heuristic"),
        status="accepted",
        gates=(Verdict("syntax", True),),
        reason=None,
        patch=f"--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n-x\n+y\n",
        suggestion=Replacement(1, 1, "y\n") if task == "docs" else None,
        text=text,
        metrics={"lines_gained": 1, "runs_text": "5/5"},
    )


def forged(world: PullRequestWorld, *proposals: Proposal, **changes: object) -> Report:
    ref = PullRequestRef(world.state.full_name, 1, None, 20, None)
    fields: dict[str, object] = {
        "repo": ".",
        "base": world.base,
        "head": world.head,
        "tasks": ("docs",),
        "identity": EngineIdentity("heuristic"),
        "proposals": proposals,
        "pull_request": ref,
    }
    fields.update(changes)
    return Report(**fields)  # type: ignore[arg-type]


def publish(  # noqa: PLR0917 (the test's fixtures, then what it publishes)
    world: PullRequestWorld,
    run_cli,
    monkeypatch: pytest.MonkeyPatch,
    report: Report,
    event_name: str,
    event: Path,
):
    path = world.tmp / "forged.json"
    path.write_text(report.to_json())
    for name, value in world.env(event_name, event).items():
        monkeypatch.setenv(name, value)
    world.emulator.log.clear()
    return run_cli("publish", "--report", str(path), "--write-pause", "0", "-q")


def assert_refused(world: PullRequestWorld, result, needle: str) -> None:
    assert result.code == 2, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "report refused, nothing published" in lines[0], result.err
    assert needle in lines[0], lines[0]
    writes = [e for e in world.emulator.log if e.method != "GET" and e.path != "/graphql"]
    assert writes == []
    assert world.state.reviews == []
    assert [c for c in world.state.issue_comments if "codegen:" in c.body] == []


def test_the_reports_repository_does_not_override_the_environments(
    world: PullRequestWorld, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = PullRequestRef("attacker/elsewhere", 1, None, 20, None)
    report = forged(world, proposal("docs", "shop/cart.py"), pull_request=ref)
    result = publish(
        world, run_cli, monkeypatch, report, "pull_request", world.pull_request_event()
    )
    assert_refused(world, result, "'attacker/elsewhere'")


def test_the_pull_request_comes_from_the_event(
    world: PullRequestWorld, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = PullRequestRef(world.state.full_name, 2, None, 20, None)
    report = forged(world, proposal("docs", "shop/cart.py"), pull_request=ref)
    result = publish(
        world, run_cli, monkeypatch, report, "pull_request", world.pull_request_event()
    )
    assert_refused(world, result, "#2")


@pytest.mark.parametrize(
    ("path", "needle"),
    [
        ("./.github/workflows/x.yml", "not a normalised relative path"),
        (".github/workflows/x.yml", "dot-file"),
        ("shop/../shop/cart.py", "not a normalised relative path"),
        ("shop/prices.py/", "not a normalised relative path"),
        ("README.md", "the pull request does not change it"),
    ],
)
def test_review_suggestions_only_on_the_pull_requests_files(
    world: PullRequestWorld, run_cli, monkeypatch: pytest.MonkeyPatch, path: str, needle: str
) -> None:
    report = forged(world, proposal("docs", "shop/cart.py"), proposal("docs", path))
    result = publish(
        world, run_cli, monkeypatch, report, "pull_request", world.pull_request_event()
    )
    assert_refused(world, result, needle)


@pytest.mark.parametrize(
    "path",
    [
        "./.github/workflows/x.yml",
        ".github/workflows/test_x.py",
        ".gitmodules",
        "setup.py",
        "conftest.py",
        "tests/conftest.py",
        "shop/test_cart.py",
        "tests/../setup.py",
        "/tmp/tests/test_x.py",
    ],
)
def test_the_tests_command_writes_only_new_test_modules_in_a_tests_folder(
    world: PullRequestWorld, run_cli, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    event, comment_id = world.comment_event("/codegen tests")
    ref = PullRequestRef(world.state.full_name, 1, comment_id, 20, "tests")
    report = forged(
        world,
        proposal("tests", "tests/test_cart.py"),
        proposal("tests", path),
        tasks=("tests",),
        pull_request=ref,
    )
    result = publish(world, run_cli, monkeypatch, report, "issue_comment", event)
    assert_refused(world, result, repr(path)[:40])
    assert world.state.pulls.keys() == {1}


def test_an_honest_tests_report_is_published(
    world: PullRequestWorld, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    event, comment_id = world.comment_event("/codegen tests")
    ref = PullRequestRef(world.state.full_name, 1, comment_id, 20, "tests")
    report = forged(
        world, proposal("tests", "tests/test_cart.py"), tasks=("tests",), pull_request=ref
    )
    result = publish(world, run_cli, monkeypatch, report, "issue_comment", event)
    assert result.code == 0, result.err
    assert len(world.state.pulls) == 2  # the tests pull request into the feature branch


def test_the_command_comes_from_the_event_not_the_report(
    world: PullRequestWorld, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a /codegen docs run whose report claims to be /codegen tests (a branch, not suggestions)
    event, comment_id = world.comment_event("/codegen docs")
    ref = PullRequestRef(world.state.full_name, 1, comment_id, 20, "tests")
    report = forged(
        world, proposal("tests", "tests/test_cart.py"), tasks=("tests",), pull_request=ref
    )
    result = publish(world, run_cli, monkeypatch, report, "issue_comment", event)
    assert_refused(world, result, "/codegen tests")


@pytest.mark.parametrize(
    ("files", "needle"),
    [
        ({".github/workflows/x.yml": "on: push\n"}, "dot-file"),
        ({"./.github/workflows/x.py": "x = 1\n"}, "not a normalised"),
        ({".gitmodules": "[submodule]\n"}, "dot-file"),
        ({"setup.py": "import os\n"}, "not a Python module codegen may change"),
        ({"conftest.py": "import os\n"}, "not a Python module codegen may change"),
        ({"pyproject.toml": "[project]\n"}, "not a Python module codegen may change"),
        ({"shop/prices.py": "x = 1\n"}, "not changed by any accepted proposal"),
    ],
)
def test_the_nightly_branch_gets_only_the_python_files_its_proposals_change(
    world: PullRequestWorld,
    run_cli,
    monkeypatch: pytest.MonkeyPatch,
    files: dict[str, str],
    needle: str,
) -> None:
    report = forged(
        world,
        proposal("refactor", "shop/cart.py"),
        tasks=("refactor",),
        pull_request=None,
        nightly=NightlyRef(world.state.full_name, "main"),
        final_files={"shop/cart.py": "x = 2\n", **files},
    )
    event = world.event("schedule", {"repository": {"full_name": world.state.full_name}})
    result = publish(world, run_cli, monkeypatch, report, "schedule", event)
    assert_refused(world, result, needle)
    assert json.loads(report.to_json())["nightly"]["base_ref"] == "main"
