"""`codegen action`: what the GitHub Action runs; reads the event from GitHub's variables."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from codegen_bot.adapters.engines.registry import ENGINES
from codegen_bot.bot.action.context import inputs_from_env
from codegen_bot.bot.action.dispatch import run_action
from codegen_bot.bot.cli.review import (
    add_engine_options,
    add_isolation_option,
    add_prompt_options,
    engine_startup,
    parse_tasks,
    progress_printer,
)
from codegen_bot.bot.errors import UsageError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `codegen action` to the command line."""
    parser = subparsers.add_parser(
        "action",
        help="run as the GitHub Action: review the pull request, or run its /codegen command",
        description="Reads GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_REPOSITORY, GITHUB_API_URL "
        "and GITHUB_TOKEN, turns the event into a job and runs it. Nothing to do: exit 0.",
    )
    parser.add_argument(
        "--repo",
        type=Path,
        default=None,
        help="the checked-out repository (default: GITHUB_WORKSPACE, else .)",
    )
    parser.add_argument("--report", type=Path, help="also write the JSON report here")
    parser.add_argument(
        "--no-publish",
        dest="publish",
        action="store_false",
        help="stop after the report: post nothing (then run `codegen publish`)",
    )
    parser.add_argument(
        "--engine", default="heuristic", help=f"one of {', '.join(ENGINES)} (default: heuristic)"
    )
    parser.add_argument(
        "--review-drafts", action="store_true", help="review draft pull requests too"
    )
    parser.add_argument(
        "--write-pause",
        type=float,
        default=1.0,
        help="seconds between API writes (default 1, as GitHub asks)",
    )
    parser.add_argument(
        "--tasks", help="comma-separated tasks for pull-request reviews (default: the config's)"
    )
    parser.add_argument(
        "--config", type=Path, help="a .codegen.toml to use instead of the repository's"
    )
    add_isolation_option(parser)
    parser.add_argument(
        "--pinned-head",
        help="the head commit `codegen authorize` pinned for a /codegen command: only it runs",
    )
    parser.add_argument("--pinned-base", help="that pull request's base commit (from authorize)")
    parser.add_argument("--pinned-base-ref", help="that pull request's base branch")
    add_engine_options(parser)
    add_prompt_options(parser)
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Read the environment (here, and only here), then run the event's job."""
    if args.engine not in ENGINES:
        raise UsageError(f"unknown engine {args.engine!r} (choose from {', '.join(ENGINES)})")
    if args.publish is False and args.report is None:
        raise UsageError("--no-publish needs --report FILE: the report is all this run leaves")
    checkout = args.repo or Path(os.environ.get("GITHUB_WORKSPACE") or ".")
    inputs = inputs_from_env(
        os.environ,
        checkout=checkout,
        report=args.report,
        publish=args.publish,
        engine=args.engine,
        engine_startup=engine_startup(args),
        samples=args.samples,
        prompt_format=args.prompt_format,
        tasks=parse_tasks(args.tasks),
        config_file=args.config,
        review_drafts=args.review_drafts,
        write_pause=args.write_pause,
        isolation=args.isolation,
        pinned_head=args.pinned_head or None,
        pinned_base=args.pinned_base or None,
        pinned_base_ref=args.pinned_base_ref or None,
    )
    inputs.run_isolation  # noqa: B018 - refuses `--isolation none` with a token, before any work
    return run_action(inputs, progress_printer(args.quiet))
