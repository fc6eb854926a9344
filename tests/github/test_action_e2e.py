"""`codegen action` end to end as GitHub runs it: environment, real payload, git, the emulator."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from codegen_bot.bot.report import Report
from tests.github.conftest import SECOND_PUSH, PullRequestWorld

SUGGESTION = re.compile(r"^(`{3,})suggestion\n(.*?)^\1$", re.DOTALL | re.MULTILINE)


def apply_suggestion(text: str, start: int, end: int, block: str) -> str:
    """What GitHub's "Commit suggestion" does: lines start..end become the block's lines."""
    lines = text.splitlines(keepends=True)
    return "".join(lines[: start - 1]) + block + "".join(lines[end:])


def git_apply(workdir: Path, path: str, original: str, patch: str) -> str:
    """The file after `git apply` of one accepted patch on the original text."""
    target = workdir / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(original)
    subprocess.run(["git", "init", "-q", str(workdir)], check=True)
    (workdir / "p.diff").write_text(patch)
    subprocess.run(["git", "apply", "p.diff"], cwd=workdir, check=True)
    return target.read_text()


def suggestions_of(world: PullRequestWorld) -> dict[str, tuple[str, int, int, str]]:
    """Every suggestion comment on the pull request: key → (path, start, end, block text)."""
    found = {}
    for comment in world.state.review_comments:
        key = re.search(r'"key": "([^"]+)"', comment.body.replace("\\u002d", "-")).group(1)
        block = SUGGESTION.search(comment.body).group(2)
        found[key] = (comment.path, comment.start_line or comment.line, comment.line, block)
    return found


def test_opened_pull_request_gets_one_review_whose_suggestions_apply_and_one_summary(
    world: PullRequestWorld, run_cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name, value in world.env("pull_request", world.pull_request_event("opened")).items():
        monkeypatch.setenv(name, value)
    report_path = tmp_path / "report.json"
    result = run_cli("action", "--report", str(report_path), "--write-pause", "0")
    assert result.code == 0, result.err
    assert "posted a review with 3 suggestion(s)" in result.err
    assert world.state.token not in result.err + result.out + report_path.read_text()

    reviews = world.state.reviews_on(1)
    assert (
        len(reviews) == 1 and reviews[0].state == "COMMENTED" and reviews[0].commit_id == world.head
    )
    assert len(world.state.conversation(1)) == 1
    assert "codegen:summary" in world.state.conversation(1)[0].body

    report = Report.from_dict(json.loads(report_path.read_text()))
    assert report.pull_request is not None and report.pull_request.number == 1
    accepted = {p.key: p for p in report.accepted}
    posted = suggestions_of(world)
    assert (
        set(posted)
        == set(accepted)
        == {
            "docs:shop/cart.py:Cart.total",
            "docs:shop/cart.py:Cart.is_empty",
            "docs:shop/prices.py:with_tax",
        }
    )
    for number, (key, (path, start, end, block)) in enumerate(sorted(posted.items())):
        original = world.origin.repo.commit(world.head).tree[path].data_stream.read().decode()
        by_github = apply_suggestion(original, start, end, block)
        by_git = git_apply(tmp_path / f"apply{number}", path, original, accepted[key].patch)
        assert by_github == by_git, key
        assert '"""' in by_github and by_github != original

    # all suggestions of one file applied together (bottom first, as lines shift) match too
    path = "shop/cart.py"
    text = original_text = (
        world.origin.repo.commit(world.head).tree[path].data_stream.read().decode()
    )
    for _, start, end, block in sorted(
        (v for v in posted.values() if v[0] == path), key=lambda v: -v[1]
    ):
        text = apply_suggestion(text, start, end, block)
    expected = original_text
    for number, key in enumerate(k for k in sorted(accepted) if accepted[k].path == path):
        expected = git_apply(tmp_path / f"all{number}", path, expected, accepted[key].patch)
    assert text == expected


def test_rerun_on_the_same_head_changes_nothing(world: PullRequestWorld) -> None:
    world.state.page_cap = 2  # every list is paginated: Link headers followed
    assert world.run("pull_request", world.pull_request_event("opened")) == 0
    before = world.state.snapshot()
    world.emulator.log.clear()
    assert world.run("pull_request", world.pull_request_event("synchronize")) == 0
    assert world.state.snapshot() == before
    writes = [e for e in world.emulator.log if e.method != "GET" and e.path != "/graphql"]
    assert writes == []
    assert any(e.response_headers.get("Link") for e in world.emulator.log)
    assert "no new suggestion for #1" in world.messages


def test_after_a_push_only_new_suggestions_appear_and_the_summary_is_edited(
    world: PullRequestWorld,
) -> None:
    assert world.run("pull_request", world.pull_request_event("opened")) == 0
    summary_before = world.state.conversation(1)[0].body
    world.push(SECOND_PUSH, "discounts")
    assert world.run("pull_request", world.pull_request_event("synchronize")) == 0

    reviews = world.state.reviews_on(1)
    assert len(reviews) == 2
    new = world.state.comments_of(reviews[1].id)
    assert [c.path for c in new] == ["shop/prices.py"] and "discounted" in new[0].body
    assert new[0].commit_id == world.head
    assert len(world.state.review_comments) == 4
    conversation = world.state.conversation(1)
    assert len(conversation) == 1  # edited, not duplicated
    assert conversation[0].body != summary_before and world.head[:12] in conversation[0].body
    assert conversation[0].body.count("| suggested inline |") == 4


def test_what_a_maintainer_resolved_hid_or_deleted_is_never_suggested_again(
    world: PullRequestWorld,
) -> None:
    assert world.run("pull_request", world.pull_request_event("opened")) == 0
    by_key = {re.search(r"`([^`]+)` \(", c.body).group(1): c for c in world.state.review_comments}
    world.state.resolved.add(by_key["Cart.total"].id)
    world.state.minimized.add(by_key["Cart.is_empty"].id)
    world.state.review_comments.remove(by_key["with_tax"])  # deleted by a maintainer
    world.push(SECOND_PUSH, "discounts")
    assert world.run("pull_request", world.pull_request_event("synchronize")) == 0
    new = world.state.comments_of(world.state.reviews_on(1)[-1].id)
    assert len(new) == 1 and "discounted" in new[0].body
    summary = world.state.conversation(1)[0].body
    assert summary.count("| dismissed by a maintainer") == 3


def test_an_unplaceable_comment_costs_only_that_comment(world: PullRequestWorld) -> None:
    # GitHub disagrees with the bot about one line (as when its diff differs from ours)
    world.state.unplaceable.add(("shop/prices.py", 4))
    assert world.run("pull_request", world.pull_request_event("opened")) == 0
    reviews = world.state.reviews_on(1)
    assert [r.state for r in reviews] == ["COMMENTED"]  # no pending probe left behind
    assert sorted(c.path for c in world.state.comments_of(reviews[0].id)) == [
        "shop/cart.py",
        "shop/cart.py",
    ]
    summary = world.state.conversation(1)[0].body
    assert "GitHub refused the inline comment" in summary
    assert '+    """Return `round(amount * (1 + rate), 2)`."""' in summary


def test_propose_and_publish_in_two_jobs_give_the_same_result(
    world: PullRequestWorld, tmp_path: Path
) -> None:
    from codegen_bot.bot.action.context import ActionContext, inputs_from_env
    from codegen_bot.bot.cli.publish import load_report, publish_report

    event = world.pull_request_event("opened")
    report_path = tmp_path / "report.json"
    assert world.run("pull_request", event, publish=False, report=report_path) == 0
    assert world.emulator.requests == 0  # the job running pull-request code talked to no API
    env = {
        "GITHUB_API_URL": world.emulator.url,
        "GITHUB_TOKEN": world.state.token,
        "GITHUB_REPOSITORY": world.state.full_name,
    }
    ctx = ActionContext(inputs_from_env(env, write_pause=0), world.connect, world.messages.append)
    assert publish_report(ctx, load_report(report_path)) == 0
    split = world.state.snapshot()

    from tests.github.conftest import fresh_github

    fresh_github(world)
    assert world.run("pull_request", event) == 0
    assert world.state.snapshot() == split


def test_publish_skips_a_report_whose_head_is_no_longer_the_pull_requests(
    world: PullRequestWorld, tmp_path: Path
) -> None:
    report_path = tmp_path / "report.json"
    assert (
        world.run(
            "pull_request", world.pull_request_event("opened"), publish=False, report=report_path
        )
        == 0
    )
    world.push(SECOND_PUSH, "discounts")
    from codegen_bot.bot.action.context import ActionContext, inputs_from_env
    from codegen_bot.bot.cli.publish import load_report, publish_report

    env = {
        "GITHUB_API_URL": world.emulator.url,
        "GITHUB_TOKEN": world.state.token,
        "GITHUB_REPOSITORY": world.state.full_name,
    }
    ctx = ActionContext(inputs_from_env(env, write_pause=0), world.connect, world.messages.append)
    assert publish_report(ctx, load_report(report_path)) == 0
    assert world.state.reviews == [] and world.state.issue_comments == []
    assert any("has moved on" in m for m in world.messages)


def test_events_with_nothing_to_do_exit_zero_and_say_why(
    world: PullRequestWorld, run_cli, monkeypatch
) -> None:
    for name, value in world.env(
        "pull_request",
        world.event(
            "pull_request",
            {
                "action": "labeled",
                "repository": {"full_name": world.state.full_name},
                "pull_request": {"number": 1},
            },
        ),
    ).items():
        monkeypatch.setenv(name, value)
    result = run_cli("action")
    assert result.code == 0 and "nothing to do" in result.err
    assert world.emulator.requests == 0
    monkeypatch.setenv(
        "GITHUB_EVENT_PATH", str(world.event("x", {"not": "json"})).replace(".json", ".missing")
    )
    missing = run_cli("action")
    assert missing.code == 2 and "cannot read the event payload" in missing.err
