"""The PyGithub host against the emulator: multi-line suggestions, final errors, bad checkouts."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from codegen_bot.adapters.engines.base import EngineIdentity
from codegen_bot.bot.github.host import GitHubHost
from codegen_bot.bot.publish.pull_review import publish
from codegen_bot.bot.report import Proposal, PullRequestRef, Report
from codegen_bot.refactor.gates import Verdict
from codegen_bot.refactor.patches import Replacement
from tests.conftest import GitRepo
from tests.github.conftest import (
    BASE_FILES,
    HEAD_FILES,
    PullRequestWorld,
    pull_request_world,
)


def test_a_multi_line_suggestion_is_posted_with_start_line_and_line(
    world: PullRequestWorld,
) -> None:
    # lines 14-16 of shop/cart.py at head are inside the diff: `def total` and its first lines
    new_text = (
        "    def total(self, discount: float = 0.0) -> float:\n"
        "        if discount < 0:\n"
        '            raise ValueError("a discount is never negative")\n'
    )
    proposal = Proposal(
        task="refactor",
        path="shop/cart.py",
        symbol="Cart.total",
        kind="method",
        start=14,
        end=17,
        identity=EngineIdentity("heuristic"),
        status="accepted",
        gates=(Verdict("syntax", True),),
        reason=None,
        patch="(patch)",
        suggestion=Replacement(14, 16, new_text),
        text=None,
    )
    report = Report(
        repo=".",
        base=world.base,
        head=world.head,
        tasks=("refactor",),
        identity=EngineIdentity("heuristic"),
        proposals=(proposal,),
        pull_request=PullRequestRef(world.state.full_name, 1),
    )
    host = GitHubHost(world.state.full_name, world.state.token, world.emulator.url, write_pause=0)
    published = publish(report, host, 1)
    assert published.posted == 1
    [comment] = world.state.review_comments
    assert (comment.start_line, comment.line) == (14, 16)
    assert "```suggestion\n" + new_text + "```" in comment.body
    assert comment.diff_hunk.startswith("@@")


def test_a_write_github_refuses_for_good_fails_clearly_and_posts_nothing(
    world: PullRequestWorld, run_cli, monkeypatch
) -> None:
    world.state.read_only = True
    for name, value in world.env("pull_request", world.pull_request_event()).items():
        monkeypatch.setenv(name, value)
    result = run_cli("action", "--write-pause", "0")
    assert result.code == 1
    assert (
        "GitHub API: posting a review on #1 failed"
        " (HTTP 403: Resource not accessible by integration)" in result.err
    )
    assert world.state.token not in result.err + result.out
    assert world.state.reviews == [] and world.state.issue_comments == []


def test_a_head_missing_from_origin_is_a_clear_error(
    world: PullRequestWorld, run_cli, monkeypatch
) -> None:
    world.head = "0123456789abcdef0123456789abcdef01234567"
    for name, value in world.env("pull_request", world.pull_request_event()).items():
        monkeypatch.setenv(name, value)
    result = run_cli("action", "--write-pause", "0")
    assert result.code == 2 and "0123456789ab" in result.err and "even after fetching" in result.err
    assert world.emulator.requests == 0


def test_no_publish_needs_a_report_and_publish_needs_a_pull_request(
    world: PullRequestWorld, run_cli, tmp_path, monkeypatch
) -> None:
    for name, value in world.env("pull_request", world.pull_request_event()).items():
        monkeypatch.setenv(name, value)
    assert "--no-publish needs --report" in run_cli("action", "--no-publish").err
    plain = tmp_path / "plain.json"
    plain.write_text(
        dataclasses.replace(
            Report(
                repo=".", base="b", head="h", tasks=("docs",), identity=EngineIdentity("heuristic")
            )
        ).to_json()
    )
    result = run_cli("publish", "--report", str(plain))
    assert result.code == 2 and "names no pull request" in result.err
    (tmp_path / "junk.json").write_text("{}")
    assert (
        "is not a codegen JSON report"
        in run_cli("publish", "--report", str(tmp_path / "junk.json")).err
    )


def test_the_host_never_shows_its_token(world: PullRequestWorld) -> None:
    host = GitHubHost(world.state.full_name, world.state.token, world.emulator.url, write_pause=0)
    assert world.state.token not in repr(host.__dict__.get("_gh"))
    with pytest.raises(Exception) as caught:
        GitHubHost(
            world.state.full_name, "wrong-token", world.emulator.url, write_pause=0
        ).pull_request(1)
    assert "401" in str(caught.value) and "wrong-token" not in str(caught.value)


def test_a_slow_answer_to_a_write_is_checked_for_not_sent_again(world: PullRequestWorld) -> None:
    from tests.github_emulator import Fault

    world.timeout = 1
    world.emulator.inject(
        Fault("slow", method="GET", path="/files$", seconds=0.3),  # slow but in time: just works
        Fault("slow", method="POST", path="/reviews$", seconds=1.6),  # done, answered too late
    )
    assert world.run("pull_request", world.pull_request_event()) == 0
    assert len(world.state.reviews) == 1 and len(world.state.review_comments) == 3
    assert any("the first attempt had landed" in m for m in world.messages)
    assert [f.times for f in world.emulator.faults] == [0, 0]  # both struck


def test_the_cap_on_suggestions_comes_from_the_base_configuration(
    make_repo: Callable[[], GitRepo], tmp_path: Path
) -> None:
    """The maintainers' cap (the base's) governs the run; a pull request cannot raise it."""
    capped = BASE_FILES["pyproject.toml"] + "\n[tool.codegen]\nmax_suggestions = 1\n"
    raised = BASE_FILES["pyproject.toml"] + "\n[tool.codegen]\nmax_suggestions = 50\n"
    base = {**BASE_FILES, "pyproject.toml": capped}
    head = {**HEAD_FILES, "pyproject.toml": raised}
    with pull_request_world(make_repo(), tmp_path, base, head) as world:
        assert world.run("pull_request", world.pull_request_event()) == 0
        assert len(world.state.review_comments) == 1
        summary = world.state.conversation(1)[0].body
    assert summary.count("over the limit of 1 suggestions per run") == 2
    assert "apply once merged" in summary
