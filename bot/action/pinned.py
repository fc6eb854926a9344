"""A `/codegen` command runs the commit it was approved for, or nothing.

`codegen authorize` pins the pull request's head when it checks the commenter's permission. The
proposing job runs that commit only: if the pull request moved on since (someone pushed after the
maintainer's comment), nothing runs and the reply says the pull request changed after the request.
The proposing job of the split needs no token for this: the pinned commits come from the
authorize job, and the current head from `git ls-remote`; the publishing job checks again with
its token before it posts anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from codegen_bot.adapters.engines.base import EngineIdentity
from codegen_bot.bot.action.context import ActionContext, write_report
from codegen_bot.bot.errors import UsageError
from codegen_bot.bot.github.events import Job
from codegen_bot.bot.report import PullRequestRef, Report
from codegen_bot.bot.workspace.checkout import remote_head


@dataclass(frozen=True)
class Commits:
    """The commits a command runs on."""

    head: str
    base: str
    base_ref: str | None


@dataclass(frozen=True)
class Moved:
    """The pull request's head moved after the command was approved: nothing runs."""

    approved: str
    now: str


def changed_text(command: str, approved: str, now: str) -> str:
    """The reply when the pull request's head moved after the command was approved."""
    return (
        f"The pull request changed after the request: `/codegen {command}` was approved for "
        f"{approved[:12]}, and the head is now {now[:12]}, so nothing was run. Comment again to "
        "run it on the new head."
    )


def commits_to_run(ctx: ActionContext, job: Job) -> Commits | Moved:
    """The pinned commits (or, unpinned, the current ones), or how the head moved."""
    assert job.number is not None and job.command is not None
    inputs = ctx.inputs
    pinned = inputs.pinned_head
    if inputs.token:
        pull = ctx.host().pull_request(job.number)
        if pinned is not None and pull.head != pinned:
            return Moved(pinned, pull.head)
        return Commits(pull.head, pull.base, pull.base_ref)
    if pinned is None or inputs.pinned_base is None:
        raise UsageError(
            "without a token, a /codegen command runs only the commits `codegen authorize` "
            "pinned: pass --pinned-head and --pinned-base (the action's head and base inputs)"
        )
    now = remote_head(inputs.checkout, job.number)
    if now is not None and now != pinned:
        return Moved(pinned, now)
    return Commits(pinned, inputs.pinned_base, inputs.pinned_base_ref)


def refuse(ctx: ActionContext, job: Job, moved: Moved) -> str | None:
    """Run nothing: return the reply, or (not publishing) leave it in the report for publish."""
    assert job.number is not None and job.command is not None
    text = changed_text(job.command, moved.approved, moved.now)
    ctx.progress(text)
    if ctx.inputs.publish:
        return text
    report = Report(
        repo=str(ctx.inputs.checkout),
        base=ctx.inputs.pinned_base or "",
        head=moved.approved,
        tasks=(job.command,),
        identity=EngineIdentity(ctx.inputs.engine),
        notes=(text,),
        pull_request=PullRequestRef(
            ctx.inputs.repository or "",
            job.number,
            job.comment_id,
            command=job.command,
            changed_head=moved.now,
        ),
    )
    write_report(report, ctx.inputs.report)
    return None


def stale_reply(ctx: ActionContext, report: Report) -> str | None:
    """Before publishing a command's report: the reply if its head is no longer the PR's head."""
    ref = report.pull_request
    if ref is None or ref.comment_id is None:
        return None
    command = ref.command or (report.tasks[0] if report.tasks else "")
    now = ref.changed_head or ctx.host().pull_request(ref.number).head
    if now != report.head:
        return changed_text(command, report.head, now)
    return None
