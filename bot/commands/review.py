"""`codegen review`: review a local repository's diff and print or write the report."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from adapters.base import TASKS
from adapters.registry import ENGINES, EngineOptions, build_engine
from bot import markdown
from bot.errors import UsageError
from bot.report import Report
from bot.review import ReviewRequest, review

#: Tasks `codegen review` can run in this version.
AVAILABLE_TASKS = ("docs", "tests")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `codegen review` to the command line."""
    parser = subparsers.add_parser(
        "review",
        help="review the diff base..head of a local git repository",
        description="Propose changes for the Python definitions that base..head touches, prove "
        "each one, and report what survived. Never writes to the repository.",
    )
    parser.add_argument("--repo", default=".", help="the git repository (default: .)")
    parser.add_argument("--base", required=True, help="the revision to compare against")
    parser.add_argument("--head", default="HEAD", help="the revision to review (default: HEAD)")
    parser.add_argument(
        "--tasks", help=f"comma-separated tasks (from {', '.join(TASKS)}); default: the config's"
    )
    parser.add_argument(
        "--engine", default="heuristic", help=f"one of {', '.join(ENGINES)} (default: heuristic)"
    )
    parser.add_argument(
        "--format", choices=("md", "json"), default="md", help="report format (default: md)"
    )
    parser.add_argument("--out", type=Path, help="write the report here instead of stdout")
    parser.add_argument(
        "--config", type=Path, help="a .codegen.toml to use instead of the repository's"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    parser.set_defaults(run=run)


def parse_tasks(text: str | None) -> tuple[str, ...] | None:
    """`"docs,tests"` → `("docs", "tests")`; raises UsageError for a task that does not exist."""
    if text is None:
        return None
    tasks = tuple(t.strip() for t in text.split(",") if t.strip())
    for task in tasks:
        if task not in TASKS:
            raise UsageError(f"unknown task {task!r} (choose from {', '.join(TASKS)})")
        if task not in AVAILABLE_TASKS:
            available = ", ".join(AVAILABLE_TASKS)
            raise UsageError(f"task {task!r} is not available yet (available: {available})")
    if not tasks:
        raise UsageError("--tasks names no task")
    return tasks


def write_report(report: Report, fmt: str, out: Path | None) -> None:
    """Write the report as Markdown or JSON to `out`, or to stdout."""
    text = report.to_json() if fmt == "json" else markdown.render(report)
    if out is None:
        sys.stdout.write(text)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot write the report to {out}: {error.strerror}") from error


def progress_printer(quiet: bool) -> Callable[[str], None]:
    """A progress sink that writes `codegen: ...` lines to stderr, or nothing when quiet."""

    def say(message: str) -> None:
        if not quiet:
            print(f"codegen: {message}", file=sys.stderr, flush=True)

    return say


def run(args: argparse.Namespace) -> int:
    """Run the review and write its report."""
    if args.engine not in ENGINES:
        raise UsageError(f"unknown engine {args.engine!r} (choose from {', '.join(ENGINES)})")
    request = ReviewRequest(
        repo=args.repo,
        base=args.base,
        head=args.head,
        tasks=parse_tasks(args.tasks),
        engine=args.engine,
        config_file=args.config,
    )
    report = review(
        request,
        lambda style: build_engine(args.engine, EngineOptions(style=style)),
        progress_printer(args.quiet),
    )
    write_report(report, args.format, args.out)
    return 0
