"""`codegen adapters mine|train|eval|list`: build and manage the LoRA adapters of a repository."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

from codegen_bot.adapters.engines.base import TASKS, EngineError
from codegen_bot.adapters.engines.chat import FORMATS
from codegen_bot.adapters.lora.layout import list_adapters
from codegen_bot.adapters.lora.mining.run import mine
from codegen_bot.adapters.lora.settings import TrainSettings
from codegen_bot.bot.cli.review import progress_printer
from codegen_bot.bot.config import config_from_files
from codegen_bot.bot.errors import UsageError
from codegen_bot.bot.tasks.adapter_history import WorkspaceHistory

DEFAULT_DATA = Path("codegen-data")
DEFAULT_ADAPTERS = Path("codegen-adapters")


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
    mine_parser.add_argument("--out", type=Path, default=DEFAULT_DATA, help="output folder")
    mine_parser.add_argument("--max-commits", type=int, default=2000)
    mine_parser.add_argument(
        "--coverage",
        type=Path,
        help="a .coverage file with per-test contexts, to confirm test pairs",
    )
    mine_parser.add_argument("-q", "--quiet", action="store_true")
    mine_parser.set_defaults(run=run_mine)
    _add_train(commands)
    _add_eval(commands)
    _add_list(commands)


def run_mine(args: argparse.Namespace) -> int:
    """Mine the repository and print the manifest's counts."""
    if args.coverage is not None and not args.coverage.is_file():
        raise UsageError(f"no coverage data at {args.coverage}")
    history = WorkspaceHistory.open(args.repo, since=args.since, max_commits=args.max_commits)
    manifest = mine(
        history,
        args.out,
        coverage_file=args.coverage,
        progress=progress_printer(args.quiet),
    )
    json.dump(manifest["tasks"], sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


# --- train ----------------------------------------------------------------------------------------


def _add_train(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "train",
        help="train a LoRA adapter for one task on a mined dataset",
        description="Train a new version ADAPTERS_DIR/<task>/<version>/ (the next number) on the "
        "train split of a mined dataset, with the engine's own prompts; --resume finishes an "
        "interrupted run. Settings: TrainSettings defaults, then [tool.codegen.lora] of --config, "
        "then these flags.",
    )
    parser.add_argument("--task", required=True, choices=TASKS)
    parser.add_argument(
        "--base", required=True, type=Path, help="the base model's folder or .gguf file"
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the mined dataset")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_ADAPTERS, help="the adapters directory (ADAPTERS_DIR)"
    )
    parser.add_argument(
        "--config", type=Path, help="a pyproject.toml or .codegen.toml with [tool.codegen.lora]"
    )
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--resume", action="store_true", help="continue the task's interrupted run")
    parser.add_argument(
        "--prompt-format",
        choices=FORMATS,
        default="auto",
        help="train on completion prompts, or in the base model's chat template; auto: chat "
        "when it has one (default). Recorded in the adapter: reviews prompt it the same way",
    )
    parser.add_argument("-q", "--quiet", action="store_true")
    group = parser.add_argument_group("training settings ([tool.codegen.lora])")
    hints = get_type_hints(TrainSettings)
    for item in fields(TrainSettings):
        kind = hints[item.name]
        flag, dest = "--" + item.name.replace("_", "-"), f"lora_{item.name}"
        if get_origin(kind) is Literal:
            group.add_argument(
                flag, dest=dest, choices=get_args(kind), help=f"default: {item.default}"
            )
        elif get_origin(kind) is tuple:
            shown = ",".join(item.default)  # type: ignore[arg-type]
            group.add_argument(flag, dest=dest, metavar="A,B", help=f"default: {shown}")
        else:
            group.add_argument(
                flag,
                dest=dest,
                type=kind,
                metavar=item.name.upper(),
                help=f"default: {item.default}",
            )
    parser.set_defaults(run=run_train)


def train_settings(args: argparse.Namespace) -> TrainSettings:
    """Defaults, then `[tool.codegen.lora]` of `--config`, then the flags; UsageError if wrong."""
    settings = TrainSettings()
    if args.config is not None:
        try:
            text = args.config.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(f"cannot read {args.config}: {error}") from error
        if args.config.name == "pyproject.toml":
            settings = config_from_files(text, None).lora
        else:
            settings = config_from_files(None, text, codegen_name=str(args.config)).lora
    given: dict[str, Any] = {}
    for item in fields(TrainSettings):
        value = getattr(args, f"lora_{item.name}")
        if value is not None:
            is_tuple = isinstance(item.default, tuple)
            given[item.name] = (
                tuple(v.strip() for v in value.split(",") if v.strip()) if is_tuple else value
            )
    settings = replace(settings, **given)
    problems = settings.problems()
    if problems:
        raise UsageError("training settings: " + "; ".join(problems))
    return settings


def run_train(args: argparse.Namespace) -> int:
    """Train the adapter and print where it went, with its figures."""
    from codegen_bot.adapters.lora.trainer import TrainingError, TrainRequest, train_adapter  # noqa: PLC0415

    request = TrainRequest(
        task=args.task,
        base=args.base,
        data=args.data,
        adapters=args.out,
        settings=train_settings(args),
        device=args.device,
        resume=args.resume,
        prompt_format=args.prompt_format,
    )
    try:
        folder, metadata = train_adapter(request, progress_printer(args.quiet))
    except TrainingError as error:
        raise UsageError(str(error)) from error
    summary = {"adapter": metadata.label, "folder": str(folder), "metrics": dict(metadata.metrics)}
    json.dump(summary, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


# --- eval -----------------------------------------------------------------------------------------


def _add_eval(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "eval",
        help="compare an adapter with its base model on the held-out split",
        description="Answer the held-out rows with the base model and with the adapter, run "
        "each answer through the task's gates, print both side by side and store the figures "
        "in the adapter's metadata.",
    )
    parser.add_argument("--task", required=True, choices=TASKS)
    parser.add_argument(
        "--base", required=True, type=Path, help="the base model's folder or .gguf file"
    )
    parser.add_argument(
        "--adapters", type=Path, default=DEFAULT_ADAPTERS, help="the adapters directory"
    )
    parser.add_argument("--version", help="the adapter version (default: the latest)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the mined dataset")
    parser.add_argument(
        "--repo", type=Path, help="the mined repository (the tests eval runs its tests)"
    )
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    parser.add_argument("--limit", type=int, default=0, help="evaluate the first N rows only")
    parser.add_argument(
        "--no-save", action="store_true", help="do not write the figures into the metadata"
    )
    parser.add_argument("-q", "--quiet", action="store_true")
    parser.set_defaults(run=run_eval)


def run_eval(args: argparse.Namespace) -> int:
    """Evaluate, print the table, store the figures."""
    from codegen_bot.adapters.lora.evaluation import (  # noqa: PLC0415 (torch, only when asked)
        EvalError,
        EvalRequest,
        evaluate,
        promote,
        save_metrics,
    )
    from codegen_bot.adapters.lora.trainer import TrainingError  # noqa: PLC0415
    from codegen_bot.bot.tasks.adapter_eval import EVAL_TASKS  # noqa: PLC0415

    if args.limit < 0:
        raise UsageError("--limit must not be negative")
    request = EvalRequest(
        task=args.task,
        base=args.base,
        adapters=args.adapters,
        data=args.data,
        version=args.version,
        repo=args.repo,
        device=args.device,
        limit=args.limit,
    )
    try:
        result, folder = evaluate(request, EVAL_TASKS, progress_printer(args.quiet))
    except (EvalError, TrainingError, EngineError) as error:
        raise UsageError(str(error)) from error
    sys.stdout.write(result.table())
    if not args.no_save:
        updated = save_metrics(folder, result.metrics())
        verdict = promote(args.adapters, updated)
        used = f"{args.task}@{verdict.version}" if verdict.version else "the base model"
        sys.stdout.write(f"engines now use {used} for {args.task}: {verdict.why}\n")
    return 0


# --- list -----------------------------------------------------------------------------------------


def _add_list(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "list",
        help="list the adapters of a directory with their base model, data and figures",
    )
    parser.add_argument(
        "--adapters", type=Path, default=DEFAULT_ADAPTERS, help="the adapters directory"
    )
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.set_defaults(run=run_list)


def _figure(metrics: Mapping[str, float], name: str) -> str:
    value = metrics.get(name)
    return "-" if value is None else f"{value:.3f}"


def run_list(args: argparse.Namespace) -> int:
    """Print every task/version with its base model, date, rows and metrics."""
    try:
        refs = list_adapters(args.adapters)
    except EngineError as error:
        raise UsageError(str(error)) from error
    if args.format == "json":
        json.dump(
            [{"path": str(r.path), **r.metadata.to_dict()} for r in refs], sys.stdout, indent=2
        )
        sys.stdout.write("\n")
        return 0
    if not refs:
        print(f"no adapters in {args.adapters}")
        return 0
    header = ("adapter", "base model", "created", "rows", "train", "eval", "pass", "base pass")
    lines = [header]
    for ref in refs:
        meta, metrics = ref.metadata, ref.metadata.metrics
        rows = meta.data.get("rows_train"), meta.data.get("rows_eval")
        lines.append(
            (
                meta.label,
                f"{meta.base_model}@{meta.base_fingerprint[:8]}",
                meta.created[:16].replace("T", " "),
                "-" if rows[0] is None else f"{rows[0]}/{rows[1]}",
                _figure(metrics, "train_loss"),
                _figure(metrics, "eval_loss"),
                _figure(metrics, "eval_pass_rate"),
                _figure(metrics, "eval_pass_rate_base"),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )
    return 0
