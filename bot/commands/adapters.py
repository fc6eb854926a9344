"""`codegen adapters mine|...`: build and manage the LoRA adapters of a repository."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.commands.review import progress_printer
from bot.errors import UsageError
from bot.mining import mine


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `codegen adapters` and its subcommands to the command line."""
    parser = subparsers.add_parser(
        "adapters", help="mine data for, train, evaluate and list LoRA adapters"
    )
    commands = parser.add_subparsers(dest="adapters_command", required=True, metavar="SUBCOMMAND")

    mine_parser = commands.add_parser(
        "mine",
        help="mine training pairs (docs, tests, refactor) from a repository's history",
        description="Write one JSONL file per task and a manifest.json to --out.",
    )
    mine_parser.add_argument("--repo", default=".", help="the git repository (default: .)")
    mine_parser.add_argument("--since", help="only commits after this revision")
    mine_parser.add_argument("--out", type=Path, default=Path("codegen-data"), help="output folder")
    mine_parser.add_argument("--max-commits", type=int, default=2000)
    mine_parser.add_argument(
        "--coverage",
        type=Path,
        help="a .coverage file with per-test contexts, to confirm test pairs",
    )
    mine_parser.add_argument("-q", "--quiet", action="store_true")
    mine_parser.set_defaults(run=run_mine)


def run_mine(args: argparse.Namespace) -> int:
    """Mine the repository and print the manifest's counts."""
    if args.coverage is not None and not args.coverage.is_file():
        raise UsageError(f"no coverage data at {args.coverage}")
    manifest = mine(
        args.repo,
        args.out,
        since=args.since,
        max_commits=args.max_commits,
        coverage_file=args.coverage,
        progress=progress_printer(args.quiet),
    )
    json.dump(manifest["tasks"], sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0
