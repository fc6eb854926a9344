"""`codegen show --report FILE`: a saved JSON report as Markdown, or its counts as outputs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from codegen_bot.bot import markdown
from codegen_bot.bot.cli.publish import load_report


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `codegen show` to the command line."""
    parser = subparsers.add_parser(
        "show",
        help="print a JSON report as Markdown (e.g. into $GITHUB_STEP_SUMMARY)",
        description="Reads a report written by `codegen review --format json` or "
        "`codegen action --report`.",
    )
    parser.add_argument("--report", type=Path, required=True)
    parser.add_argument(
        "--counts",
        action="store_true",
        help="print `accepted=N` and `rejected=N` lines instead (for $GITHUB_OUTPUT)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print the report, or its counts."""
    report = load_report(args.report)
    if args.counts:
        sys.stdout.write(f"accepted={len(report.accepted)}\nrejected={len(report.rejected)}\n")
    else:
        sys.stdout.write(markdown.render(report))
    return 0
