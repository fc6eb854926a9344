"""`/codegen tests` end to end: a pull request adding three functions, the real tests task in the
sandbox, PyGithub against the emulator, and the branch read back from the bare origin and run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import git
import pytest

from codegen_bot.adapters.engines.base import EngineIdentity
from codegen_bot.bot.action.context import ActionContext, inputs_from_env
from codegen_bot.bot.cli.publish import load_report, publish_report
from codegen_bot.bot.github import markers
from codegen_bot.bot.publish.branch import KIND
from codegen_bot.bot.publish.tests_pull import COMMENT_KIND
from codegen_bot.bot.report import PullRequestRef, Report
from tests.bot.test_tests_task import BASE, BASE_TEST, CALLERS, PYPROJECT, THREE_NEW
from tests.conftest import GitRepo
from tests.github.conftest import PullRequestWorld, fresh_github, pull_request_world
from tests.github_emulator import Fault

BRANCH = "codegen/tests/pr-1"
MONEY_BASE = {
    "pyproject.toml": PYPROJECT,
    "shop/__init__.py": "",
    "shop/money.py": BASE,
    "tests/test_money.py": BASE_TEST,
}
MONEY_HEAD = {"shop/money.py": BASE + THREE_NEW, "shop/use.py": CALLERS}
SYMBOLS = {"clamp", "slug", "ratio"}


@pytest.fixture
def money(make_repo: Callable[[], GitRepo], tmp_path: Path) -> Iterator[PullRequestWorld]:
    """Pull request #1 adds three functions (`clamp`, `slug`, `ratio`) to `shop/money.py`."""
    with pull_request_world(make_repo(), tmp_path, MONEY_BASE, MONEY_HEAD, "three") as pr:
        yield pr


def replies(world: PullRequestWorld, number: int = 1) -> list[str]:
    return [c.body for c in world.state.conversation(number) if "codegen:reply" in c.body]


def codegen_pulls(world: PullRequestWorld) -> list:
    return [p for p in world.state.pulls.values() if p.head_ref == BRANCH]


def publish_ctx(world: PullRequestWorld) -> ActionContext:
    env = {
        "GITHUB_API_URL": world.emulator.url,
        "GITHUB_TOKEN": world.state.token,
        "GITHUB_REPOSITORY": world.state.full_name,
    }
    return ActionContext(inputs_from_env(env, write_pause=0), world.connect, world.messages.append)


def run_branch_tests(world: PullRequestWorld, tmp_path: Path, paths: list[str]) -> str:
    """Clone the tests branch from the bare origin and run its new tests with pytest."""
    clone = tmp_path / "tests-branch"
    git.Repo.clone_from(str(world.origin.origin), clone, branch=BRANCH)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *paths],
        cwd=clone,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


def test_tests_command_opens_one_pull_request_then_updates_it(
    money: PullRequestWorld, tmp_path: Path
) -> None:
    world = money
    event, comment_id = world.comment_event("/codegen tests", "maintainer")
    report_path = tmp_path / "report.json"
    assert world.run("issue_comment", event, report=report_path) == 0, world.messages
    report = Report.from_dict(json.loads(report_path.read_text()))
    tests = {p.symbol: p for p in report.accepted if p.task == "tests"}
    assert set(tests) == SYMBOLS
    for proposal in tests.values():
        assert proposal.metrics["runs_text"] == "5/5" and proposal.metrics["lines_gained"] > 0

    [pull] = codegen_pulls(world)
    assert (pull.number, pull.base_ref, pull.state) == (2, "feature", "open")
    assert pull.title.startswith("codegen: tests for #1")
    for symbol, proposal in tests.items():
        m = proposal.metrics
        row = next(line for line in pull.body.splitlines() if f"`{symbol}`" in line)
        assert row.startswith(f"| `{proposal.path}` | `shop/money.py` · `{symbol}` | +")
        assert f"+{m['lines_gained']} ({m['before']['lines_covered']}/" in row
        assert f"| +{m['branches_gained']} " in row and "| 5/5 |" in row and " s |" in row
    marker = markers.first(KIND, pull.body)
    assert marker["pull"] == 1 and marker["head"] == world.head

    # the branch: one commit on the pull request's head, holding exactly the three test files
    bare = git.Repo(world.origin.origin)
    [commit] = list(bare.iter_commits(f"{world.head}..refs/heads/{BRANCH}"))
    assert [p.hexsha for p in commit.parents] == [world.head] and commit.hexsha == marker["commit"]
    held = world.state.git.read(BRANCH)
    added = sorted(set(held) - set(world.state.git.read(world.head)))
    assert added == sorted(p.path for p in tests.values())
    assert all(held[p.path] == p.text for p in tests.values())
    output = run_branch_tests(world, tmp_path, added)
    assert " passed" in output and "failed" not in output

    command = next(c for c in world.state.issue_comments if c.id == comment_id)
    assert [r.content for r in command.reactions] == ["eyes"]
    [reply] = replies(world)
    assert "Done: opened #2 with 3 tests" in reply and "`feature`" in reply

    # asked again, split in two jobs this time: the same pull request is updated, not duplicated
    again, _ = world.comment_event("/codegen tests", "maintainer")
    split = tmp_path / "split.json"
    world.emulator.log.clear()
    assert world.run("issue_comment", again, publish=False, report=split) == 0
    assert all(e.method == "GET" for e in world.emulator.log)  # the propose job wrote nothing
    assert load_report(split).pull_request.command == "tests"
    assert publish_report(publish_ctx(world), load_report(split)) == 0
    assert [p.number for p in codegen_pulls(world)] == [2]
    assert len(list(bare.iter_commits(f"{world.head}..refs/heads/{BRANCH}"))) == 1
    assert git.Repo(world.origin.origin).commit(f"refs/heads/{BRANCH}").tree == commit.tree
    assert "#2" in replies(world)[-1] and len(replies(world)) == 2
    assert world.state.token not in "".join(world.messages) + split.read_text()


@pytest.fixture
def split_report(money: PullRequestWorld, tmp_path: Path) -> Path:
    """The report of `/codegen tests` proposed by a job that publishes nothing."""
    event, _ = money.comment_event("/codegen tests", "maintainer")
    path = tmp_path / "tests-report.json"
    assert money.run("issue_comment", event, publish=False, report=path) == 0
    return path


def test_publishing_tests_survives_a_fault_on_each_call(
    money: PullRequestWorld, split_report: Path
) -> None:
    world = money
    report = load_report(split_report)
    comment_id = report.pull_request.comment_id
    bare = git.Repo(world.origin.origin)

    def reset() -> None:
        fresh_github(world)
        if BRANCH in [h.name for h in bare.heads]:
            bare.git.update_ref("-d", f"refs/heads/{BRANCH}")

    def seen() -> tuple[object, ...]:
        pulls = [(p.number, p.head_ref, p.base_ref, p.title) for p in codegen_pulls(world)]
        files = world.state.git.read(BRANCH)
        commits = len(list(bare.iter_commits(f"{world.head}..refs/heads/{BRANCH}")))
        replies_now = [markers.first("reply", body) for body in replies(world)]
        return pulls, files, commits, replies_now

    reset()
    start = world.emulator.requests
    assert publish_report(publish_ctx(world), report) == 0
    expected, calls = seen(), world.emulator.requests - start
    assert expected[0] == [(2, BRANCH, "feature", codegen_pulls(world)[0].title)]
    assert expected[3] == [{"to": comment_id}]
    assert calls >= 9
    landed = 0
    for kind, index in [(k, i) for k in ("bad_gateway", "reset") for i in range(calls)]:
        reset()
        fault = Fault(kind, at=world.emulator.requests + index, after=True, seconds=3)
        world.emulator.inject(fault)
        assert publish_report(publish_ctx(world), report) == 0, (index, world.messages)
        assert fault.times == 0
        assert seen() == expected, (
            index,
            [(e.method, e.path, e.fault) for e in world.emulator.log],
        )
        landed += any("the first attempt had landed" in m for m in world.messages)
    assert landed >= 4  # the branch, the pull request, the reply: looked up, not sent twice


def test_a_fork_gets_one_collapsed_comment_and_no_branch(
    money: PullRequestWorld, split_report: Path
) -> None:
    world = money
    world.state.pulls[1].head_repo = "contributor/shop"
    report = load_report(split_report)
    assert publish_report(publish_ctx(world), report) == 0
    assert codegen_pulls(world) == [] and world.state.git.branch(BRANCH) is None
    [comment] = [c for c in world.state.conversation(1) if markers.first(COMMENT_KIND, c.body)]
    assert comment.body.count("<details><summary><code>tests/test_money_") == 3
    for proposal in report.accepted:
        assert f"```python\n{proposal.text}```" in comment.body
    assert "| 5/5 |" in comment.body and "comes from a fork" in comment.body
    assert "in the comment above" in replies(world)[-1]
    # published again: the same comment, not a second one
    assert publish_report(publish_ctx(world), report) == 0
    assert [c.id for c in world.state.conversation(1) if markers.first(COMMENT_KIND, c.body)] == [
        comment.id
    ]


def test_tests_proven_on_an_older_head_are_not_published(money: PullRequestWorld) -> None:
    world = money
    proven_on = world.head
    _, comment_id = world.comment_event("/codegen tests", "maintainer")
    world.push({"README.md": "# shop\n"}, "readme")
    report = Report(
        repo=str(world.checkout),
        base=world.base,
        head=proven_on,
        tasks=("tests",),
        identity=EngineIdentity("heuristic"),
        pull_request=PullRequestRef(world.state.full_name, 1, comment_id, command="tests"),
    )
    assert publish_report(publish_ctx(world), report) == 0
    assert codegen_pulls(world) == [] and world.state.git.branch(BRANCH) is None
    assert "changed after the request" in replies(world)[-1]
    assert "`/codegen tests`" in replies(world)[-1]


def test_mode_both_runs_no_pull_request_code_without_bubblewrap(
    make_repo: Callable[[], GitRepo], tmp_path: Path
) -> None:
    """The job that holds the token (mode both) on a runner without bubblewrap: nothing runs."""
    ran = tmp_path / "pull-request-code-ran"
    head = {**MONEY_HEAD, "conftest.py": f"open({str(ran)!r}, 'w').write('ran')\n"}
    with pull_request_world(make_repo(), tmp_path, MONEY_BASE, head, "three") as world:
        event, _ = world.comment_event("/codegen tests", "maintainer")
        no_bwrap = tmp_path / "bin"  # a PATH with git and without bwrap
        no_bwrap.mkdir()
        (no_bwrap / "git").symlink_to(shutil.which("git") or "/usr/bin/git")
        report = tmp_path / "report.json"
        env = {**os.environ, **world.env("issue_comment", event), "PATH": str(no_bwrap)}
        done = subprocess.run(
            [sys.executable, "-m", "codegen_bot.bot.cli", "action", "--repo", str(world.checkout),
             "--write-pause", "0", "--report", str(report)],
            env=env, capture_output=True, text=True, timeout=900, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert not ran.exists(), "pull-request code ran beside the token without bubblewrap"
        notes = "\n".join(json.loads(report.read_text())["notes"])
        assert "tests were not run: bubblewrap is required here" in notes
        assert world.state.token not in done.stdout + done.stderr


def test_the_split_tests_command_prepares_with_a_read_only_token(
    money: PullRequestWorld, tmp_path: Path
) -> None:
    money.state.read_only = True  # the documented propose job: contents and pull-requests: read
    event, _ = money.comment_event("/codegen tests")
    report = tmp_path / "report.json"
    assert money.run("issue_comment", event, publish=False, report=report) == 0
    assert json.loads(report.read_text())["pull_request"]["command"] == "tests"
    assert all(e.status == 200 for e in money.emulator.log)
