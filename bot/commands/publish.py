"""`codegen publish --report FILE`: post a report written by `codegen action --no-publish`."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from bot.action import connect
from bot.commands.review import progress_printer
from bot.context import ActionContext, inputs_from_env
from bot.errors import UsageError
from bot.nightly_publish import publish_nightly
from bot.report import Report
from bot.slash import answer_failure, publish_reply, reply_once


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `codegen publish` to the command line."""
    parser = subparsers.add_parser(
        "publish",
        help="post a JSON report on its pull request (one review, one summary comment)",
        description="Reads GITHUB_TOKEN and GITHUB_API_URL; the repository and pull request come "
        "from the report. Runs no code from the pull request.",
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
        return Report.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except OSError as error:
        raise UsageError(f"cannot read the report {path}: {error.strerror}") from error
    except (ValueError, KeyError, TypeError) as error:
        raise UsageError(f"{path} is not a codegen JSON report: {error}") from error


def run(args: argparse.Namespace) -> int:
    """Post the report, and answer the command comment that asked for it, if any."""
    report = load_report(args.report)
    if report.nightly is not None:
        env = dict(os.environ, GITHUB_REPOSITORY=report.nightly.repository)
        ctx = ActionContext(
            inputs_from_env(env, write_pause=args.write_pause),
            connect,
            progress_printer(args.quiet),
        )
        publish_nightly(ctx.host(), report, ctx.progress)
        return 0
    if report.pull_request is None:
        raise UsageError(
            f"{args.report} names no pull request: write it with `codegen action --report`"
        )
    env = dict(os.environ, GITHUB_REPOSITORY=report.pull_request.repository)
    inputs = inputs_from_env(env, write_pause=args.write_pause)
    return publish_report(ActionContext(inputs, connect, progress_printer(args.quiet)), report)


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
