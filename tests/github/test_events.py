"""Events → Jobs: every real webhook example is a Job or a clear Skip; commands read right."""

from __future__ import annotations

import json

import pytest

from codegen_bot.bot.github.events import EventOptions, Job, parse_command, parse_event
from codegen_bot.refactor.results import Failure, Skip
from tests.github.conftest import EXAMPLES, example

EVENTS = ("pull_request", "issue_comment", "workflow_dispatch")


def all_examples() -> list[tuple[str, int, dict]]:
    found = []
    for entry in json.loads(EXAMPLES.read_text()):
        if entry["name"] in EVENTS:
            found.extend((entry["name"], i, e) for i, e in enumerate(entry["examples"]))
    return found


def test_the_examples_cover_every_event_we_handle() -> None:
    names = {name for name, _, _ in all_examples()}
    assert names == set(EVENTS)
    assert len(all_examples()) >= 30


@pytest.mark.parametrize(("name", "index", "payload"), all_examples(), ids=lambda v: str(v)[:30])
def test_every_webhook_example_parses_into_a_job_or_a_clear_skip(
    name: str, index: int, payload: dict
) -> None:
    result = parse_event(name, payload)
    assert isinstance(result, Job | Skip), result
    if isinstance(result, Skip):
        assert (
            result.reason.startswith(f"{name}.{payload.get('action')}: ")
            and len(result.reason) > 30
        )
        return
    assert result.repository == payload["repository"]["full_name"]
    if name == "pull_request":
        pull = payload["pull_request"]
        assert payload["action"] in ("opened", "synchronize", "reopened", "ready_for_review")
        assert (result.kind, result.number, result.head, result.base) == (
            "review",
            pull["number"],
            pull["head"]["sha"],
            pull["base"]["sha"],
        )
        assert pull["state"] == "open" and not pull["draft"]
    elif name == "workflow_dispatch":
        assert result.kind == "nightly"
    else:
        assert result.kind == "command"


def test_review_actions_drafts_and_closed_pull_requests() -> None:
    payload = example("pull_request", "opened")
    payload["pull_request"].update(state="open", draft=False)
    assert isinstance(parse_event("pull_request", payload), Job)
    payload["pull_request"]["draft"] = True
    skipped = parse_event("pull_request", payload)
    assert isinstance(skipped, Skip) and "draft" in skipped.reason
    assert isinstance(
        parse_event("pull_request", payload, options=EventOptions(review_drafts=True)), Job
    )
    payload["pull_request"].update(draft=False, state="closed")
    closed = parse_event("pull_request", payload)
    assert isinstance(closed, Skip) and "closed" in closed.reason
    for action in ("labeled", "closed", "edited", "assigned"):
        payload.update(action=action)
        assert isinstance(parse_event("pull_request", payload), Skip)


def test_ready_for_review_and_synchronize_start_a_review() -> None:
    for action in ("ready_for_review", "synchronize", "reopened"):
        payload = example("pull_request", action)
        payload["pull_request"].update(state="open", draft=False)
        job = parse_event("pull_request", payload, repository="me/repo")
        assert isinstance(job, Job) and job.kind == "review" and job.repository == "me/repo"
        assert job.event == f"pull_request.{action}"


def comment_payload(
    body: str, login: str = "octocat", action: str = "created", on_pr: bool = True
) -> dict:
    payload = example("issue_comment", "created")
    payload["action"] = action
    payload["comment"].update(body=body)
    payload["comment"]["user"].update(
        login=login, type="Bot" if login.endswith("[bot]") else "User"
    )
    payload["issue"]["state"] = "open"
    if on_pr:
        payload["issue"]["pull_request"] = {"url": "https://api.github.com/repos/o/r/pulls/1"}
    else:
        payload["issue"].pop("pull_request", None)
    return payload


@pytest.mark.parametrize(
    ("body", "command", "unknown"),
    [
        ("/codegen docs", "docs", None),
        ("/codegen tests please", "tests", None),
        ("  /codegen REFACTOR\n", "refactor", None),
        ("/codegen help", "help", None),
        ("/codegen", "help", None),
        ("/codegen frobnicate", "help", "frobnicate"),
        ("<!-- hidden -->/codegen docs", "docs", None),
    ],
)
def test_commands(body: str, command: str, unknown: str | None) -> None:
    assert parse_command(body) == (command, unknown)
    job = parse_event("issue_comment", comment_payload(body))
    assert isinstance(job, Job)
    assert (job.kind, job.command, job.unknown, job.actor) == (
        "command",
        command,
        unknown,
        "octocat",
    )
    assert isinstance(job.comment_id, int)


@pytest.mark.parametrize(
    "body",
    [
        "please /codegen docs",
        "/codegenx docs",
        "LGTM",
        "",
        "/code docs",
        "/codegen\ndocs is what I want",
    ],
)
def test_not_commands(body: str) -> None:
    parsed = parse_command(body)
    assert parsed is None or parsed == ("help", None)  # a bare `/codegen` line asks for help


def test_comments_skipped_for_bots_edits_deletions_and_issues() -> None:
    bot = parse_event("issue_comment", comment_payload("/codegen docs", "codegen-app[bot]"))
    assert isinstance(bot, Skip) and "bot" in bot.reason
    for action in ("edited", "deleted"):
        skipped = parse_event("issue_comment", comment_payload("/codegen docs", action=action))
        assert isinstance(skipped, Skip) and "only new comments" in skipped.reason
    issue = parse_event("issue_comment", comment_payload("/codegen docs", on_pr=False))
    assert isinstance(issue, Skip) and "not a pull request" in issue.reason
    chat = parse_event("issue_comment", comment_payload("looks good"))
    assert isinstance(chat, Skip) and "not a /codegen command" in chat.reason


def test_schedule_and_other_events() -> None:
    job = parse_event("schedule", {"schedule": "0 3 * * *"}, repository="o/r")
    assert isinstance(job, Job) and job.kind == "nightly" and job.repository == "o/r"
    skipped = parse_event("push", example("workflow_dispatch"), repository="o/r")
    assert isinstance(skipped, Skip) and skipped.reason == "push: nothing to do for this event"


def test_malformed_payloads_are_failures_with_a_reason() -> None:
    assert isinstance(parse_event("pull_request", {"action": "opened"}), Failure)
    broken = parse_event("pull_request", {"action": "opened", "repository": {"full_name": "o/r"}})
    assert isinstance(broken, Failure) and "pull_request" in broken.reason
    assert isinstance(parse_event("issue_comment", [], repository="o/r"), Failure)  # type: ignore[arg-type]
