"""Slash commands (`/codegen docs` in a pull request comment): authorize, acknowledge, run, reply.

A command runs only for someone with write or admin permission by the collaborator-permission
endpoint; anyone else gets one short reply and nothing runs. A picked-up command gets 👀, and a
reply when done. Each command is one entry of `HANDLERS`, a function returning the reply's
text (None: no reply now, e.g. when the report is left for `codegen publish`).
"""

from __future__ import annotations

from collections.abc import Callable

from codegen_bot.adapters.engines.base import EngineIdentity
from codegen_bot.bot.action import pinned
from codegen_bot.bot.action.context import ActionContext, write_report
from codegen_bot.bot.action.failures import failure_text
from codegen_bot.bot.errors import CodegenError
from codegen_bot.bot.github import markers
from codegen_bot.bot.github.events import COMMANDS, Job, may_run_commands
from codegen_bot.bot.github.host import GitHubHost
from codegen_bot.bot.markdown import code
from codegen_bot.bot.publish import tests_pull as tests_publish
from codegen_bot.bot.publish.pull_review import Published
from codegen_bot.bot.report import PullRequestRef, Report

Handler = Callable[[ActionContext, Job], str | None]

DESCRIPTIONS = {
    "docs": "propose docstrings for the definitions this pull request touches",
    "tests": "propose tests for the changed code",
    "refactor": "propose refactorings of the changed code",
    "help": "show this message",
}


def help_text(unknown: str | None = None) -> str:
    """Return the list of commands, after a line about the unknown one if there was one."""
    lines = [f"{code(f'/codegen {unknown}')} is not a codegen command.", ""] if unknown else []
    lines.append("**codegen** commands, in a comment on a pull request (write access needed):")
    lines.extend(f"- `/codegen {name}`: {DESCRIPTIONS[name]}" for name in COMMANDS)
    return "\n".join(lines)


def done_text(published: Published, head: str) -> str:
    """Return the reply after a run that published."""
    if published.note:
        return f"Nothing posted: {published.note}."
    if published.posted:
        plural = "s" if published.posted != 1 else ""
        return (
            f"Done: {published.posted} new suggestion{plural} for {head[:12]} in the review above;"
            " the summary comment has the details."
        )
    return f"Done: nothing new to suggest for {head[:12]}; the summary comment says why."


def run_docs(ctx: ActionContext, job: Job) -> str | None:
    """`/codegen docs` and `/codegen refactor`: review the pull request's head, then publish.

    The task's accepted proposals go out as one review of suggestions, plus the summary.
    """
    assert job.number is not None and job.command is not None
    commits = pinned.commits_to_run(ctx, job)
    if isinstance(commits, pinned.Moved):
        return pinned.refuse(ctx, job, commits)
    report = ctx.propose(
        job.number,
        commits.head,
        commits.base,
        commits.base_ref,
        tasks=(job.command,),
        comment_id=job.comment_id,
    )
    if not ctx.inputs.publish:
        ctx.progress("report written; `codegen publish` will post it and answer the comment")
        return None
    return done_text(ctx.publish(report), report.head)


def run_tests(ctx: ActionContext, job: Job) -> str | None:
    """`/codegen tests`: prove tests for the head's changes, then open or update their PR."""
    assert job.number is not None
    commits = pinned.commits_to_run(ctx, job)
    if isinstance(commits, pinned.Moved):
        return pinned.refuse(ctx, job, commits)
    report = ctx.propose(
        job.number,
        commits.head,
        commits.base,
        commits.base_ref,
        tasks=("tests",),
        comment_id=job.comment_id,
        command="tests",
    )
    if not ctx.inputs.publish:
        ctx.progress("report written; `codegen publish` will publish the tests and answer")
        return None
    return publish_reply(ctx, report)


def publish_reply(ctx: ActionContext, report: Report) -> str:
    """Publish `report` as the command that asked for it wants; return the reply's text.

    A command's report whose head is no longer the pull request's is not published.
    """
    moved = pinned.stale_reply(ctx, report)
    if moved is not None:
        ctx.progress(moved)
        return moved
    ref = report.pull_request
    if ref is not None and ref.command == "tests":
        published = tests_publish.publish_tests(report, ctx.host(), ctx.progress)
        return tests_publish.reply_text(published)
    return done_text(ctx.publish(report), report.head)


def run_help(ctx: ActionContext, job: Job) -> str | None:
    """`/codegen help`, and any unknown command.

    Not publishing (the proposing job of the split), it leaves a report with nothing in it, so
    the job's report upload has a file; `codegen publish` answers help from its own event.
    """
    if ctx.inputs.publish:
        return help_text(job.unknown)
    assert job.number is not None
    report = Report(
        repo=str(ctx.inputs.checkout),
        base=ctx.inputs.pinned_base or "",
        head=ctx.inputs.pinned_head or "",
        tasks=(),
        identity=EngineIdentity(ctx.inputs.engine),
        notes=("/codegen help: the publishing job answers with the list of commands",),
        pull_request=PullRequestRef(
            ctx.inputs.repository or "", job.number, job.comment_id, command="help"
        ),
    )
    write_report(report, ctx.inputs.report)
    ctx.progress("report written; `codegen publish` will answer with the list of commands")
    return None


HANDLERS: dict[str, Handler] = {
    "docs": run_docs,
    "tests": run_tests,
    "refactor": run_docs,
    "help": run_help,
}


def reply_once(host: GitHubHost, number: int, comment_id: int, text: str) -> None:
    """Answer command comment `comment_id`, unless an earlier run already did."""
    mark = {"to": comment_id}
    if any(markers.first("reply", c.body) == mark for c in host.issue_comments(number)):
        return
    host.create_comment(number, f"{markers.hidden('reply', mark)}\n{text}", "reply")


def denial_text(job: Job) -> str:
    """The one reply someone without write access gets: nothing was run."""
    return (
        f"@{job.actor} {code(f'/codegen {job.unknown or job.command}')} runs only for people"
        " with write"
        " access to this repository, so nothing was run."
    )


def answer_failure(
    ctx: ActionContext, number: int, comment_id: int, command: str, error: BaseException
) -> None:
    """Tell the commenter that their command failed, and what to change (see `bot.action.failures`).

    The error itself is raised again by the caller; a reply that cannot be written either is
    only reported, so the first error is the one the run ends with.
    """
    branch = tests_publish.branch_name(number) if command == "tests" else None
    try:
        reply_once(ctx.host(), number, comment_id, failure_text(error, command, branch))
    except CodegenError as reply_error:
        ctx.progress(f"could not answer the command either: {reply_error}")


def run_command(ctx: ActionContext, job: Job) -> int:
    """Authorize the commenter, acknowledge with 👀, run the command's handler, reply.

    Without a token (the proposing job of the split), `codegen authorize` has already checked
    the commenter in a job of its own, and only the commits it pinned may run. After the 👀,
    every run ends with a reply: when the handler fails, the reply says what failed and what to
    change, and the error still ends the run.
    """
    assert job.number is not None and job.comment_id is not None and job.actor is not None
    assert job.command is not None
    reply: str | None
    if ctx.inputs.pinned_without_token:
        reply = HANDLERS[job.command](ctx, job)
        if reply is not None:
            ctx.progress(f"not replying (--no-publish): {reply.splitlines()[0]}")
        return 0
    host = ctx.host()  # without a token: UsageError, one line
    permission = host.permission(job.actor)
    if not may_run_commands(permission):
        ctx.progress(f"{job.actor} has {permission} permission: /codegen {job.command} not run")
        reply = denial_text(job)
    elif not ctx.inputs.publish:
        reply = HANDLERS[job.command](ctx, job)
    else:
        host.react(job.number, job.comment_id, "eyes")
        try:
            reply = HANDLERS[job.command](ctx, job)
        except Exception as error:  # answered, then raised again: never swallowed
            answer_failure(ctx, job.number, job.comment_id, job.command, error)
            raise
    if reply is None:
        return 0
    if ctx.inputs.publish:
        reply_once(host, job.number, job.comment_id, reply)
    else:  # the job that runs pull-request code writes nothing to GitHub
        ctx.progress(f"not replying (--no-publish): {reply.splitlines()[0]}")
    return 0
