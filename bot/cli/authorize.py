"""`codegen authorize`: decide, before any pull-request code is checked out, whether a command runs.

The command workflow's first job runs this with a token that may write comments but no checkout:
someone without write access gets the polite reply here and the jobs that check out and run the
pull request's code never start. For an allowed command it adds 👀 and pins the pull request's
head commit, handing it to the next job with the base (`allowed`, `number`, `head`, `base`,
`base-ref` outputs): the proposing job runs that commit and no other (see `bot.action.pinned`).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from codegen_bot.bot.action.context import inputs_from_env
from codegen_bot.bot.action.dispatch import connect, read_payload
from codegen_bot.bot.action.slash import denial_text, reply_once
from codegen_bot.bot.cli.review import progress_printer
from codegen_bot.bot.github.events import EventOptions, may_run_commands, parse_event
from codegen_bot.refactor.results import Failure, Skip


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `codegen authorize` to the command line."""
    parser = subparsers.add_parser(
        "authorize",
        help="check that a /codegen command's author may run it (no checkout needed)",
        description="Reads the same GITHUB_* variables as `codegen action`. Prints "
        "`allowed=true|false`, `number=N`, `head=SHA`, `base=SHA` and `base-ref=BRANCH` lines, "
        "and appends them to "
        "--github-output (the step's $GITHUB_OUTPUT) when given.",
    )
    parser.add_argument("--github-output", type=Path, help="append the outputs to this file")
    parser.add_argument("--write-pause", type=float, default=1.0)
    parser.add_argument("-q", "--quiet", action="store_true")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Authorize the event's command and write the outputs; exit 0 whatever the answer."""
    say = progress_printer(args.quiet)
    inputs = inputs_from_env(os.environ, write_pause=args.write_pause)
    payload = read_payload(inputs)
    job = parse_event(inputs.event_name, payload, inputs.repository, EventOptions())
    outputs = {"allowed": "false", "number": "", "head": "", "base": "", "base-ref": ""}
    if isinstance(job, Skip | Failure):
        say(f"nothing to authorize: {job.reason}")
    elif job.kind != "command":
        say(f"{job.event}: not a command, nothing to authorize")
    else:
        assert job.number is not None and job.comment_id is not None and job.actor is not None
        host = connect(inputs, say)
        permission = host.permission(job.actor)
        outputs["number"] = str(job.number)
        if may_run_commands(permission):
            # The pull request is read before the 👀: after it, nothing here can fail, and the
            # publishing job (which runs whatever happens next) answers the command.
            pull = host.pull_request(job.number)
            host.react(job.number, job.comment_id, "eyes")
            outputs.update(allowed="true", head=pull.head, base=pull.base)
            outputs["base-ref"] = pull.base_ref
            say(f"{job.actor} has {permission} permission: /codegen {job.command} may run")
        else:
            reply_once(host, job.number, job.comment_id, denial_text(job))
            say(f"{job.actor} has {permission} permission: replied, nothing will run")
    lines = "".join(f"{key}={value}\n" for key, value in outputs.items())
    print(lines, end="")
    if args.github_output is not None:
        with args.github_output.open("a", encoding="utf-8") as sink:
            sink.write(lines)
    return 0
