"""`codegen publish --report FILE`: post a report written by `codegen action --no-publish`."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
from pathlib import Path

from codegen_bot.bot.action.context import ActionContext, ActionInputs, inputs_from_env
from codegen_bot.bot.action.dispatch import connect, read_payload
from codegen_bot.bot.action.failures import no_report_text
from codegen_bot.bot.action.slash import answer_failure, help_text, publish_reply, reply_once
from codegen_bot.bot.cli.review import progress_printer
from codegen_bot.bot.errors import CodegenError, NoReportError, UsageError
from codegen_bot.bot.github.events import Job, may_run_commands, parse_event
from codegen_bot.bot.publish.guard import (
    MAX_SUGGESTIONS,
    Refused,
    check_report,
    check_review,
    check_tests,
)
from codegen_bot.bot.publish.nightly_pull import publish_nightly
from codegen_bot.bot.report import NightlyRef, PullRequestRef, Report


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `codegen publish` to the command line."""
    parser = subparsers.add_parser(
        "publish",
        help="post a JSON report on its pull request (one review, one summary comment)",
        description="Reads GITHUB_TOKEN, GITHUB_API_URL, GITHUB_REPOSITORY and the event "
        "(GITHUB_EVENT_NAME, GITHUB_EVENT_PATH): the repository, pull request and comment come "
        "from them, never from the report, and a report that would write what its task may not "
        "is refused (exit 2). A /codegen command whose report is missing or empty (its "
        "proposing job failed) is answered saying so, and the exit code is 3. Runs no code from "
        "the pull request.",
    )
    parser.add_argument("--report", type=Path, required=True, help="the JSON report to post")
    parser.add_argument(
        "--write-pause",
        type=float,
        default=1.0,
        help="seconds between API writes (default 1, as GitHub asks)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    parser.set_defaults(run=run)


def load_report(path: Path) -> Report:
    """Read a JSON report; raises UsageError when it cannot be read or is not a report."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise UsageError(f"{path} is not a codegen JSON report: not a JSON object")
        return Report.from_dict(data)
    except OSError as error:
        raise UsageError(f"cannot read the report {path}: {error.strerror}") from error
    except (ValueError, KeyError, TypeError) as error:
        raise UsageError(f"{path} is not a codegen JSON report: {error}") from error


def _event_job(inputs: ActionInputs) -> Job:
    """The job of the event this publisher runs for (the same event as the proposing job's)."""
    parsed = parse_event(inputs.event_name, read_payload(inputs), inputs.repository)
    if not isinstance(parsed, Job):
        raise UsageError(f"nothing to publish for this event: {parsed.reason}")
    return parsed


def run(args: argparse.Namespace) -> int:
    """Post the report, and answer the command comment that asked for it, if any.

    The repository, pull request, comment and branch come from this job's environment (the
    event), never from the report; a report that asks for more than its task may write is
    refused with one line, before anything is written. A command's comment is answered even
    when there is no report (see `answer_from_event`).
    """
    # A report that is there is read first: a malformed one is refused before anything else.
    report = load_report(args.report) if has_report(args.report) else None
    inputs = inputs_from_env(os.environ, write_pause=args.write_pause)
    if not inputs.repository:
        raise UsageError("GITHUB_REPOSITORY is not set: run `codegen publish` in a GitHub Action")
    job = _event_job(inputs)
    ctx = ActionContext(inputs, connect, progress_printer(args.quiet))
    if job.kind == "command":
        answered = answer_from_event(ctx, job, args.report)
        if answered is not None:
            return answered
    if report is None:
        report = load_report(args.report)  # says what is wrong with the missing file
    try:
        publishable = checked_report(ctx, report, job)
    except Refused as error:
        raise UsageError(f"report refused, nothing published: {error}") from error
    if publishable.nightly is not None:
        publish_nightly(ctx.host(), publishable, ctx.progress)
        return 0
    return publish_report(ctx, publishable)


def has_report(path: Path) -> bool:
    """Whether `path` is a file with something in it (what the proposing job leaves on success)."""
    try:
        return path.is_file() and path.stat().st_size > 0
    except OSError:
        return False


def answer_from_event(ctx: ActionContext, job: Job, path: Path) -> int | None:
    """Answer a command that needs no report from this job's event alone; None: publish it.

    `/codegen help` is answered with the list of commands, whatever the report says. A command
    whose report is missing or empty (its proposing job failed, timed out or was cancelled) is
    answered once with what failed and what to do, then `NoReportError` ends the run (exit 3).
    Nothing here comes from a report.
    """
    assert job.number is not None and job.comment_id is not None and job.command is not None
    if job.command != "help" and has_report(path):
        return None
    host = ctx.host()
    if not may_run_commands(host.permission(job.actor or "")):
        raise UsageError(
            f"{job.actor} may not run /codegen commands on {ctx.inputs.repository}:"
            " nothing published"
        )
    if job.command == "help":
        reply_once(host, job.number, job.comment_id, help_text(job.unknown))
        return 0
    answered = f"answered /codegen {job.command} on #{job.number}"
    try:
        reply_once(
            host, job.number, job.comment_id, no_report_text(job.command, ctx.inputs.run_url)
        )
    except CodegenError as reply_error:  # reported; the missing report is what the run ends with
        ctx.progress(f"could not answer the command either: {reply_error}")
        answered = "could not answer the command"
    raise NoReportError(
        f"no report at {path}: the proposing job failed, timed out or was cancelled ({answered})"
    )


def checked_report(ctx: ActionContext, report: Report, job: Job) -> Report:
    """`report` with its GitHub references replaced by the event's; raises `Refused`.

    Only reads from GitHub (the pull request's files, the commenter's permission).
    """
    repository = ctx.inputs.repository or ""
    check_report(report, job, repository)
    if job.kind == "nightly":
        base_ref = job.base_ref or ctx.inputs.ref_name or ctx.host().default_branch()
        return dataclasses.replace(report, nightly=NightlyRef(repository, base_ref))
    assert job.number is not None and report.pull_request is not None
    if job.kind == "command" and not may_run_commands(ctx.host().permission(job.actor or "")):
        raise Refused(f"{job.actor} may not run /codegen commands on {repository}")
    if job.command == "tests":
        check_tests(report)
    else:
        check_review(report, {f.path for f in ctx.host().pull_request(job.number).files})
    limit = min(max(report.pull_request.max_suggestions, 1), MAX_SUGGESTIONS)
    ref = PullRequestRef(repository, job.number, job.comment_id, limit, job.command)
    return dataclasses.replace(report, pull_request=ref)


def publish_report(ctx: ActionContext, report: Report) -> int:
    """Publish `report` with `ctx`'s connection; reply to its command comment when it has one.

    When publishing fails, the command comment still gets a reply saying what to change.
    """
    ref = report.pull_request
    try:
        reply = publish_reply(ctx, report)
    except Exception as error:  # answered, then raised again: never swallowed
        if ref is not None and ref.comment_id is not None:
            command = ref.command or (report.tasks[0] if report.tasks else "docs")
            answer_failure(ctx, ref.number, ref.comment_id, command, error)
        raise
    if ref is not None and ref.comment_id is not None:
        reply_once(ctx.host(), ref.number, ref.comment_id, reply)
    return 0
