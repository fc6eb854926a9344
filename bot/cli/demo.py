"""`codegen demo`: make a sample repository with a realistic change and review it."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from codegen_bot.adapters.engines.registry import build_engine
from codegen_bot.bot import markdown
from codegen_bot.bot.cli.demo_repo import make_sample_repo
from codegen_bot.bot.cli.review import progress_printer
from codegen_bot.bot.tasks.pipeline import ReviewRequest, review


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `codegen demo` to the command line."""
    parser = subparsers.add_parser(
        "demo",
        help="review a sample repository with the heuristic engine and print the report",
        description="Create a small git repository with a realistic change in a temporary "
        "folder, run `codegen review` on it, and print the report.",
    )
    parser.add_argument("--format", choices=("md", "json"), default="md")
    parser.add_argument("--keep", type=Path, help="create the sample repository here and keep it")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Build the sample repository, review it, print the report."""
    with tempfile.TemporaryDirectory(prefix="codegen-demo-") as scratch:
        path = args.keep or Path(scratch) / "shop"
        base, head = make_sample_repo(path)
        say = progress_printer(quiet=False)
        say(f"sample repository at {path} (base {base[:12]}, head {head[:12]})")
        say(f"running: codegen review --repo {path} --base {base[:12]} --head {head[:12]}")
        report = review(
            ReviewRequest(repo=str(path), base=base, head=head),
            lambda options: build_engine("heuristic", options),
            say,
        )
        text = report.to_json() if args.format == "json" else markdown.render(report)
        sys.stdout.write(text)
    return 0
