"""GitHub's edges, part one: every body fits GitHub's limit, a reply after every 👀, and no rewrite
when only volatile figures changed. PyGithub against the emulator, which refuses bodies over
65,536 characters and, when the repository says so, pull requests opened by Actions."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
import requests
from openapi_core import Config, OpenAPI

from codegen_bot.adapters.engines.base import EngineIdentity
from codegen_bot.bot.action.slash import reply_once
from codegen_bot.bot.cli.publish import publish_report
from codegen_bot.bot.github import markers
from codegen_bot.bot.github.bodies import fit
from codegen_bot.bot.github.host import ApiError, GitHubHost
from codegen_bot.bot.publish import summary
from codegen_bot.bot.publish.branch import KIND, BranchChange, publish_branch
from codegen_bot.bot.publish.pull_review import publish
from codegen_bot.bot.report import Proposal, PullRequestRef, Report
from codegen_bot.refactor.gates import Verdict
from codegen_bot.refactor.patches import Replacement
from tests.github.conftest import PullRequestWorld, npm_fixture
from tests.github.test_conformance import SPEC, mismatches
from tests.github.test_tests_command import publish_ctx
from tests.github_emulator import Fault
from tests.github_emulator.server import MAX_BODY

TESTS_BRANCH = "codegen/tests/pr-1"


def host(world: PullRequestWorld) -> GitHubHost:
    return GitHubHost(
        world.state.full_name,
        world.state.token,
        world.emulator.url,
        sleep=world.sleeps.append,
        write_pause=0,
        progress=world.messages.append,
    )


def too_long(world: PullRequestWorld) -> list[Any]:
    return [e for e in world.emulator.log if e.status == 422 and "too long" in str(e.response_body)]


def docs_proposal(index: int, status: str = "rejected") -> Proposal:
    """A docstring proposal for one of 545 new functions of `shop/generated/module_N.py`."""
    path = f"shop/generated/module_{index // 10:03d}.py"
    symbol = f"generated_function_number_{index:04d}"
    accepted = status == "accepted"
    return Proposal(
        task="docs",
        path=path,
        symbol=symbol,
        kind="function",
        start=index,
        end=index + 1,
        identity=EngineIdentity("heuristic"),
        status=status,  # type: ignore[arg-type]
        gates=(Verdict("syntax", True), Verdict("ruff", accepted, None if accepted else "E501")),
        reason=None if accepted else "ruff: E501 line too long (104 > 100) on the docstring",
        patch=f"--- a/{path}\n+++ b/{path}\n" + "+    x = 1  # a long patch line\n" * 60,
        suggestion=Replacement(index, index + 1, f'def {symbol}():\n    """Doc."""\n')
        if accepted
        else None,
        text="Doc.",
    )


def test_a_summary_of_545_functions_fits_githubs_limit_and_keeps_its_marker(
    world: PullRequestWorld,
) -> None:
    proposals = tuple(
        docs_proposal(i, "accepted" if i % 5 == 0 else "rejected") for i in range(545)
    )
    report = Report(
        repo=str(world.checkout),
        base=world.base,
        head=world.head,
        tasks=("docs",),
        identity=EngineIdentity("heuristic"),
        proposals=proposals,
    )
    published = publish(report, host(world), 1)
    assert too_long(world) == []
    [comment] = [c for c in world.state.conversation(1) if summary.is_summary(c.body)]
    assert len(comment.body) <= MAX_BODY
    assert "left out to fit GitHub's limit" in comment.body
    assert comment.body.count("<details>") == comment.body.count("</details>")
    assert comment.body.count("```") % 2 == 0  # no code block left open by the cut
    assert summary.remembered(comment.body) == summary.remembered(
        summary.render(report, published.placements, {})
    )
    # published again: the fitted text is what is compared, so nothing is edited
    world.emulator.log.clear()
    again = publish(report, host(world), 1)
    assert not again.summary_changed
    assert not [e for e in world.emulator.log if e.method == "PATCH"]


def test_replies_and_pull_request_bodies_fit_and_keep_their_markers(
    world: PullRequestWorld,
) -> None:
    _, comment_id = world.comment_event("/codegen docs")
    reply_once(host(world), 1, comment_id, "x" * 70_000 + "\n" + "more\n" * 3000)
    [reply] = [c for c in world.state.conversation(1) if "codegen:reply" in c.body]
    assert len(reply.body) <= MAX_BODY and markers.first("reply", reply.body) == {"to": comment_id}
    reply_once(host(world), 1, comment_id, "again")  # the marker survived: no second reply
    assert len([c for c in world.state.conversation(1) if "codegen:reply" in c.body]) == 1

    table = "| file | change |\n| --- | --- |\n" + "| `shop/prices.py` | simpler |\n" * 5000
    change = BranchChange(
        branch="codegen/nightly-refactor",
        base_ref="main",
        base_sha=world.base,
        files={"shop/prices.py": '"""Prices."""\n'},
        message="Refactor prices",
        title="codegen: nightly refactoring",
        body=table,
    )
    assert publish_branch(host(world), change).status == "opened"
    [pull] = [p for p in world.state.pulls.values() if p.head_ref == change.branch]
    assert len(pull.body) <= MAX_BODY and markers.first(KIND, pull.body) is not None
    assert "more lines" in pull.body and too_long(world) == []
    assert publish_branch(host(world), change).status == "unchanged"


def test_fit_cuts_at_a_line_closes_blocks_and_keeps_every_marker() -> None:
    mark = markers.hidden("summary", {"v": 1})
    tail = markers.hidden("pull", {"commit": "abc"})
    body = f"{mark}\n<details>\n\n```diff\n" + "+ line\n" * 20_000 + f"```\n</details>\n{tail}\n"
    cut = fit(body, 5_000)
    assert len(cut) <= 5_000 and cut == fit(cut, 5_000)
    assert markers.first("summary", cut) == {"v": 1} and markers.first("pull", cut) is not None
    assert cut.count("```") == 2 and cut.count("</details>") == 1
    assert fit("short", 5_000) == "short"


# --- item 2: after 👀, every run ends with a reply -------------------------------------------


def proven_tests_report(world: PullRequestWorld, comment_id: int, seconds: float = 0.002) -> Report:
    """A `/codegen tests` report with one proven test for `with_tax` (no sandbox needed)."""
    test = Proposal(
        task="tests",
        path="tests/test_prices_with_tax.py",
        symbol="with_tax",
        kind="function",
        start=4,
        end=5,
        identity=EngineIdentity("heuristic"),
        status="accepted",
        gates=(Verdict("syntax", True), Verdict("runs", True)),
        reason=None,
        patch="",
        suggestion=None,
        text="from shop.prices import with_tax\n\n\ndef test_with_tax():\n"
        "    assert with_tax(10.0) == 12.0\n",
        metrics={
            "target_path": "shop/prices.py",
            "lines_gained": 1,
            "branches_gained": 0,
            "runs_text": "5/5",
            "seconds": seconds,
            "isolation": "none",
        },
    )
    return Report(
        repo=str(world.checkout),
        base=world.base,
        head=world.head,
        tasks=("tests",),
        identity=EngineIdentity("heuristic"),
        proposals=(test,),
        pull_request=PullRequestRef(world.state.full_name, 1, comment_id, command="tests"),
    )


def replies(world: PullRequestWorld) -> list[str]:
    return [c.body for c in world.state.conversation(1) if "codegen:reply" in c.body]


def test_a_pull_request_github_actions_may_not_open_gets_a_reply_naming_the_setting(
    world: PullRequestWorld,
) -> None:
    world.state.actions_may_open_pulls = False  # GitHub's default for new repositories
    _, comment_id = world.comment_event("/codegen tests")
    with pytest.raises(ApiError, match="not permitted to create or approve pull requests"):
        publish_report(publish_ctx(world), proven_tests_report(world, comment_id))
    assert world.state.git.branch(TESTS_BRANCH) is not None  # pushed, then the 403
    [reply] = replies(world)
    assert markers.first("reply", reply) == {"to": comment_id}
    assert "Allow GitHub Actions to create and approve pull requests" in reply
    assert f"`{TESTS_BRANCH}`" in reply and "/codegen tests" in reply
    # with the setting on, asking again opens the pull request from the same branch
    world.state.actions_may_open_pulls = True
    _, again = world.comment_event("/codegen tests")
    assert publish_report(publish_ctx(world), proven_tests_report(world, again)) == 0
    assert "Done: opened #2" in replies(world)[-1]


def test_a_review_refused_after_the_eyes_gets_a_reply_and_the_run_still_fails(
    world: PullRequestWorld,
) -> None:
    event, comment_id = world.comment_event("/codegen docs")
    world.emulator.inject(Fault("forbidden", method="POST", path="/reviews$"))
    with pytest.raises(ApiError, match="403"):
        world.run("issue_comment", event)
    [command] = [c for c in world.state.issue_comments if c.id == comment_id]
    assert [r.content for r in command.reactions] == ["eyes"]
    [reply] = replies(world)
    assert "`/codegen docs` failed" in reply and "posting a review" in reply
    assert "pull-requests: write" in reply


def test_the_split_publish_step_answers_its_failure_too(world: PullRequestWorld) -> None:
    _, comment_id = world.comment_event("/codegen tests")
    world.emulator.inject(Fault("forbidden", method="POST", path="/git/trees$"))
    with pytest.raises(ApiError):
        publish_report(publish_ctx(world), proven_tests_report(world, comment_id))
    [reply] = replies(world)
    assert "`/codegen tests` failed" in reply and "contents: write" in reply


# --- item 3: nothing is written when nothing changed ----------------------------------------


def test_a_rerun_whose_only_change_is_the_time_per_run_writes_nothing(
    world: PullRequestWorld,
) -> None:
    _, first = world.comment_event("/codegen tests")
    assert publish_report(publish_ctx(world), proven_tests_report(world, first, 0.002)) == 0
    [pull] = [p for p in world.state.pulls.values() if p.head_ref == TESTS_BRANCH]
    assert "0.002 s" in pull.body
    _, second = world.comment_event("/codegen tests")
    world.emulator.log.clear()
    assert publish_report(publish_ctx(world), proven_tests_report(world, second, 0.001)) == 0
    writes = [(e.method, e.path) for e in world.emulator.log if e.method != "GET"]
    assert writes == [("POST", "/repos/octo-org/shop/issues/1/comments")]  # the reply only
    assert "0.002 s" in pull.body and "unchanged" in replies(world)[-1]
    # a real change (another test) still updates it
    grown = proven_tests_report(world, second, 0.001)
    extra = dataclasses.replace(
        grown.proposals[0], path="tests/test_prices_more.py", symbol="with_tax_more"
    )
    grown = dataclasses.replace(grown, proposals=(*grown.proposals, extra))
    _, third = world.comment_event("/codegen tests")
    grown = dataclasses.replace(
        grown, pull_request=dataclasses.replace(grown.pull_request, comment_id=third)
    )
    assert publish_report(publish_ctx(world), grown) == 0
    assert "updated #2" in replies(world)[-1] and "with_tax_more" in pull.body


def test_the_emulators_new_refusals_match_githubs_openapi_description(
    world: PullRequestWorld,
) -> None:
    described = json.loads(npm_fixture(SPEC).read_text())
    openapi = OpenAPI.from_dict(described, config=Config(spec_validator_cls=None))
    world.state.actions_may_open_pulls = False
    _, comment_id = world.comment_event("/codegen tests")
    with pytest.raises(ApiError):
        publish_report(publish_ctx(world), proven_tests_report(world, comment_id))
    headers = {"Authorization": f"token {world.state.token}"}
    answer = requests.post(
        f"{world.emulator.url}/repos/octo-org/shop/issues/1/comments",
        json={"body": "x" * (MAX_BODY + 1)},
        headers=headers,
        timeout=60,
    )
    assert answer.status_code == 422
    assert "Body is too long (maximum is 65536 characters)" in answer.text
    refused = [e for e in world.emulator.log if e.status in (403, 422)]
    assert {(e.method, e.status) for e in refused} == {("POST", 403), ("POST", 422)}
    assert mismatches(openapi, refused) == []
