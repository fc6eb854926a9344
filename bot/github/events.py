"""GitHub events → Jobs, without I/O: what to do, decided from the event's name and payload alone.

`codegen action` reads the event the Action was started for and calls `parse_event`. The result
is a `Job` (review a pull request, run a slash command, run the nightly job) or a `Skip` that says
in one line why there is nothing to do. A payload too broken to read is a `Failure`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from codegen_bot.refactor.results import Failure, Skip

JobKind = Literal["review", "command", "nightly"]
#: The slash commands, in the order `/codegen help` lists them.
COMMANDS = ("docs", "tests", "refactor", "help")
#: Pull request actions that (re)start a review: new code, or a draft that became reviewable.
REVIEW_ACTIONS = ("opened", "synchronize", "reopened", "ready_for_review")
#: Permissions (collaborator-permission endpoint) that may run a slash command.
WRITE_PERMISSIONS = ("admin", "write")

_COMMAND = re.compile(r"/codegen(?:[ \t]+(?P<word>\S+))?", re.IGNORECASE)
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)


@dataclass(frozen=True)
class EventOptions:
    """How events are read: whether draft pull requests are reviewed too."""

    review_drafts: bool = False


@dataclass(frozen=True)
class Job:
    """One thing to do, with everything the event said about it.

    `number` is the pull request; `head`/`base` are the SHAs the payload named (a command's
    payload names none, so they are read from the API). For a command, `command` is one of
    COMMANDS, `unknown` the word typed when it was not a command (answered with help),
    `comment_id` the comment to react and reply to, and `actor` the login to authorize.
    """

    kind: JobKind
    repository: str
    event: str
    number: int | None = None
    head: str | None = None
    base: str | None = None
    base_ref: str | None = None
    command: str | None = None
    unknown: str | None = None
    comment_id: int | None = None
    actor: str | None = None


def is_bot(login: str, account_type: str | None = None) -> bool:
    """Whether a GitHub account is a bot (an App's `name[bot]` login, or type Bot)."""
    return login.endswith("[bot]") or account_type == "Bot"


def may_run_commands(permission: str) -> bool:
    """Whether a collaborator permission (`admin`, `write`, `read`, ...) allows commands."""
    return permission in WRITE_PERMISSIONS


def parse_command(body: str) -> tuple[str, str | None] | None:
    """Read a command: `/codegen docs` → `("docs", None)`, `/codegen frob` → `("help", "frob")`.

    Only a comment that *starts* with `/codegen` (after whitespace and HTML comments) is a
    command; the word after it, case-insensitive, picks the command, and nothing else is read.
    """
    text = _HTML_COMMENT.sub("", body).lstrip()
    match = _COMMAND.match(text)
    if match is None:
        return None
    after = text[len("/codegen") : len("/codegen") + 1]
    if after and not after.isspace():  # `/codegenx` is not our command
        return None
    word = (match.group("word") or "help").lower()
    if word in COMMANDS:
        return word, None
    return "help", word


def parse_event(
    name: str,
    payload: Mapping[str, Any],
    repository: str | None = None,
    options: EventOptions = EventOptions(),
) -> Job | Skip | Failure:
    """Turn one event into a Job, a Skip (nothing to do, and why) or a Failure (unreadable payload).

    `repository` is `GITHUB_REPOSITORY` when known; otherwise the payload's repository is used.
    """
    if not isinstance(payload, Mapping):
        return Failure(f"the {name} event's payload is not a JSON object")
    try:
        repo = repository or payload["repository"]["full_name"]
    except (KeyError, TypeError):
        return Failure(f"the {name} event's payload names no repository")
    try:
        if name == "pull_request":
            result = _pull_request(payload, repo, options)
        elif name == "issue_comment":
            result = _issue_comment(payload, repo)
        elif name in ("schedule", "workflow_dispatch"):
            # A dispatch names its branch; a schedule runs on the default branch (GITHUB_REF_NAME).
            ref = payload.get("ref") if name == "workflow_dispatch" else None
            branch = ref.removeprefix("refs/heads/") if isinstance(ref, str) else None
            return Job(kind="nightly", repository=repo, event=name, base_ref=branch)
        else:
            return Skip(f"{name or 'unnamed event'}: nothing to do for this event")
    except (KeyError, TypeError, ValueError) as error:
        return Failure(f"the {name} event's payload is malformed: missing or wrong field {error}")
    if isinstance(result, Skip):
        return Skip(f"{name}.{payload.get('action')}: {result.reason}")
    return result


def _pull_request(payload: Mapping[str, Any], repo: str, options: EventOptions) -> Job | Skip:
    action = payload["action"]
    event = f"pull_request.{action}"
    if action not in REVIEW_ACTIONS:
        return Skip(f"nothing to do (reviews run on {', '.join(REVIEW_ACTIONS)})")
    pull = payload["pull_request"]
    number = int(pull["number"])
    if pull["state"] != "open":
        return Skip(f"pull request #{number} is {pull['state']}: not reviewed")
    if pull.get("draft") and not options.review_drafts:
        return Skip(f"pull request #{number} is a draft: not reviewed until it is ready")
    return Job(
        kind="review",
        repository=repo,
        event=event,
        number=number,
        head=str(pull["head"]["sha"]),
        base=str(pull["base"]["sha"]),
        base_ref=str(pull["base"]["ref"]),
        actor=payload.get("sender", {}).get("login"),
    )


def _issue_comment(payload: Mapping[str, Any], repo: str) -> Job | Skip:
    action = payload["action"]
    event = f"issue_comment.{action}"
    if action != "created":
        return Skip("nothing to do: only new comments can run commands")
    issue, comment = payload["issue"], payload["comment"]
    number = int(issue["number"])
    user = comment["user"]
    if is_bot(user["login"], user.get("type")):
        return Skip(f"comment by the bot {user['login']} ignored")
    parsed = parse_command(comment.get("body") or "")
    if parsed is None:
        return Skip(f"comment on #{number} is not a /codegen command")
    if not issue.get("pull_request"):
        return Skip(f"#{number} is an issue, not a pull request: /codegen works on pull requests")
    if issue.get("state", "open") != "open":
        return Skip(
            f"pull request #{number} is {issue['state']}: commands run on open pull requests"
        )
    command, unknown = parsed
    return Job(
        kind="command",
        repository=repo,
        event=event,
        number=number,
        command=command,
        unknown=unknown,
        comment_id=int(comment["id"]),
        actor=str(user["login"]),
    )
