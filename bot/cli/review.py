"""`codegen review`: review a local repository's diff and print or write the report."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from codegen_bot.adapters.engines.base import TASKS, Engine, EngineError
from codegen_bot.adapters.engines.chat import FORMATS
from codegen_bot.adapters.engines.registry import (
    ENGINES,
    EngineStartup,
    RunOptions,
    build_engine,
)
from codegen_bot.bot import markdown
from codegen_bot.bot.errors import UsageError
from codegen_bot.bot.report import Report
from codegen_bot.bot.tasks.pipeline import ReviewRequest, review

#: Tasks `codegen review` can run in this version.
AVAILABLE_TASKS = ("docs", "tests", "refactor")


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
    add_isolation_option(parser)
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    add_engine_options(parser)
    add_prompt_options(parser)
    parser.set_defaults(run=run)


def add_isolation_option(parser: argparse.ArgumentParser) -> None:
    """Add `--isolation`: the runner operator's say over the sandbox (no repository file has it)."""
    parser.add_argument(
        "--isolation",
        choices=("auto", "bubblewrap", "none"),
        default=None,
        help="how the repository's code runs: auto (bubblewrap where it works), bubblewrap "
        "(required) or none (a plain subprocess; only this flag can lower isolation)",
    )


#: The environment variable holding a bearer token for `--engine openai`, read when it starts.
API_KEY_ENV = "CODEGEN_SERVER_API_KEY"


def add_model_options(
    group: argparse._ActionsContainer, *, model_required: bool = False, prefix: str = ""
) -> None:
    """The flags that load a model in process (`--engine hf`, and `codegen serve`)."""
    group.add_argument(
        "--model",
        required=model_required,
        help=(
            f"{prefix}the base model: a folder, a .gguf file (converted once, cached), "
            "or a hub id with --allow-download"
        ),
    )
    group.add_argument(
        "--adapters", help=f"{prefix}the adapters directory, ADAPTERS_DIR/<task>/<version>/"
    )
    group.add_argument(
        "--adapter-version",
        action="append",
        default=[],
        metavar="TASK=VERSION",
        help=f"{prefix}use this version of a task's adapter (default: the latest)",
    )
    group.add_argument(
        "--device", default="auto", help=f"{prefix}auto, cpu, cuda or cuda:N (default: auto)"
    )
    group.add_argument(
        "--decode",
        choices=("fast", "generate"),
        default="fast",
        help=f"{prefix}codegen's fast decode loop, or transformers' generate (default: fast)",
    )
    group.add_argument(
        "--allow-download",
        action="store_true",
        help=f"{prefix}fetch --model from the Hugging Face hub when it is not a local folder",
    )


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    """The flags of the model engines: `--model`/`--adapters` for hf, `--server` for openai."""
    group = parser.add_argument_group("model engines")
    add_model_options(group, prefix="hf: ")
    group.add_argument("--server", help="openai: the server's URL, e.g. http://127.0.0.1:8000")
    group.add_argument(
        "--served-model",
        action="append",
        default=[],
        metavar="TASK=NAME",
        help="openai: the server's model name for a task (default: the task's name)",
    )
    group.add_argument(
        "--timeout", type=float, default=300.0, help="openai: seconds per request (default: 300)"
    )


def add_prompt_options(parser: argparse.ArgumentParser) -> None:
    """`--samples` and `--prompt-format`: how a model engine is asked (review only)."""
    group = parser.add_argument_group("model prompts")
    group.add_argument(
        "--samples",
        type=int,
        help="candidates per target: greedy, then samples ranked by likelihood; the first that "
        "passes every gate is kept (default: the repository's engine.samples, else 1)",
    )
    group.add_argument(
        "--prompt-format",
        choices=FORMATS,
        help="completion, chat (the model's chat template) or auto: chat when the model has "
        "one (default: the repository's engine.prompt_format, else auto); an adapter that "
        "recorded its training format uses that",
    )


def task_pairs(items: list[str], flag: str, what: str) -> tuple[tuple[str, str], ...]:
    """`["docs=3"]` → `(("docs", "3"),)`; raises UsageError for a malformed item."""
    pairs = []
    for item in items:
        task, _, value = item.partition("=")
        if task not in TASKS or not value:
            raise UsageError(
                f"{flag} {item!r}: expected TASK={what} with TASK one of {', '.join(TASKS)}"
            )
        pairs.append((task, value))
    return tuple(pairs)


def engine_startup(args: argparse.Namespace) -> EngineStartup:
    """The engine's start-up settings from the flags; UsageError for a bad --served-model or pin."""
    served = task_pairs(args.served_model, "--served-model", "NAME")
    return EngineStartup(
        model=args.model,
        adapters=args.adapters,
        adapter_versions=task_pairs(args.adapter_version, "--adapter-version", "VERSION"),
        device=args.device,
        decode=args.decode,
        allow_download=args.allow_download,
        server=args.server,
        served_models=served,
        api_key=os.environ.get(API_KEY_ENV) or None,
        timeout_s=args.timeout,
    )


def make_engine(name: str, run: RunOptions, startup: EngineStartup) -> Engine:
    """Build the engine, turning a start failure (no model, no server) into a usage error."""
    try:
        return build_engine(name, run, startup)
    except EngineError as error:
        raise UsageError(f"engine {name}: {error}") from error


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
        """Print one progress line to stderr unless the run is quiet."""
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
        isolation=args.isolation,
        samples=args.samples,
        prompt_format=args.prompt_format,
    )
    startup = engine_startup(args)  # checks the flags before any work starts
    try:
        report = review(
            request,
            lambda run: make_engine(args.engine, run, startup),
            progress_printer(args.quiet),
        )
    except EngineError as error:  # a server that went away mid-run
        raise UsageError(f"engine {args.engine}: {error}") from error
    write_report(report, args.format, args.out)
    return 0
