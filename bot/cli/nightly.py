"""`codegen nightly`: one night of proven refactorings on a local repository, as a report."""

from __future__ import annotations

import argparse
import datetime
import re
from pathlib import Path

from codegen_bot.adapters.engines.registry import ENGINES
from codegen_bot.bot.cli.review import (
    add_engine_options,
    add_isolation_option,
    engine_startup,
    make_engine,
    progress_printer,
    write_report,
)
from codegen_bot.bot.errors import UsageError
from codegen_bot.bot.nightly.night import NightlyRequest, nightly, today

_KEY = re.compile(r"^[0-9a-f]{16}$")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `codegen nightly` to the command line."""
    parser = subparsers.add_parser(
        "nightly",
        help="propose proven refactorings for a rotating set of a repository's files",
        description="Pick tonight's files (recently changed first, then in rotation), propose "
        "refactorings one function at a time, keep those the covering tests and the whole "
        "suite pass with, and report them. Never writes to the repository.",
    )
    parser.add_argument("--repo", default=".", help="the git repository (default: .)")
    parser.add_argument("--rev", default="HEAD", help="the commit to work on (default: HEAD)")
    parser.add_argument(
        "--date", help="the night, YYYY-MM-DD (default: today, UTC): it decides the rotation"
    )
    parser.add_argument(
        "--engine", default="heuristic", help=f"one of {', '.join(ENGINES)} (default: heuristic)"
    )
    parser.add_argument(
        "--format", choices=("md", "json"), default="md", help="report format (default: md)"
    )
    parser.add_argument("--out", type=Path, help="write the report here instead of stdout")
    parser.add_argument("--pr-body", type=Path, help="also write the pull request's body here")
    parser.add_argument(
        "--closed-keys",
        type=Path,
        help="never propose these changes: a file of keys, one per line, or a closed nightly "
        "pull request's body",
    )
    parser.add_argument(
        "--config", type=Path, help="a .codegen.toml to use instead of the repository's"
    )
    add_isolation_option(parser)
    add_engine_options(parser)
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    parser.set_defaults(run=run)


def parse_date(text: str | None) -> datetime.date:
    """`2024-05-01` → a date; None → today (UTC); raises UsageError otherwise."""
    if text is None:
        return today()
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as error:
        raise UsageError(f"--date must be YYYY-MM-DD, not {text!r}") from error


def read_keys(path: Path | None) -> frozenset[str]:
    """Keys from a file: one per line, or those in a nightly pull request body's marker."""
    if path is None:
        return frozenset()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read the closed keys from {path}: {error}") from error
    lines = {line.strip() for line in text.splitlines() if _KEY.match(line.strip())}
    from codegen_bot.bot.nightly.pull_body import keys_in_body  # noqa: PLC0415 (see `run`)

    return keys_in_body(text) | lines


def run(args: argparse.Namespace) -> int:
    """Run one night and write its report (and the pull request body when asked)."""
    if args.engine not in ENGINES:
        raise UsageError(f"unknown engine {args.engine!r} (choose from {', '.join(ENGINES)})")
    request = NightlyRequest(
        repo=args.repo,
        night=parse_date(args.date),
        rev=args.rev,
        engine=args.engine,
        config_file=args.config,
        closed_keys=read_keys(args.closed_keys),
        isolation=args.isolation,
    )
    startup = engine_startup(args)
    report = nightly(
        request,
        lambda run: make_engine(args.engine, run, startup),
        progress_printer(args.quiet),
    )
    write_report(report, args.format, args.out)
    if args.pr_body is not None:
        # Imported only now: it needs LibCST's codemods, which load while the night's warm
        # parent warms up rather than before the night starts.
        from codegen_bot.bot.nightly.pull_body import pr_body  # noqa: PLC0415

        try:
            args.pr_body.write_text(pr_body(report), encoding="utf-8")
        except OSError as error:
            message = f"cannot write the body to {args.pr_body}: {error.strerror}"
            raise UsageError(message) from error
    return 0
