"""The `codegen` command line: parses arguments, runs one subcommand, maps errors to exit codes.

Each subcommand lives in its own module under `bot/cli/` and registers itself here. This
is the only place that turns a `CodegenError` into one line on stderr and an exit code, so no
user ever sees a traceback for a mistake they can fix.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from types import FrameType, ModuleType

from codegen_bot.bot import __version__
from codegen_bot.bot.errors import CodegenError

#: The subcommands, in the order `codegen --help` lists them, each with its one-line help; each
#: is `bot/cli/<name>.py`. The help lines are written here too, so `codegen --help` imports
#: no subcommand's module (a test checks they equal what each module registers).
COMMANDS: dict[str, str] = {
    "review": "review the diff base..head of a local git repository",
    "action": "run as the GitHub Action: review the pull request, or run its /codegen command",
    "authorize": "check that a /codegen command's author may run it (no checkout needed)",
    "publish": "post a JSON report on its pull request (one review, one summary comment)",
    "show": "print a JSON report as Markdown (e.g. into $GITHUB_STEP_SUMMARY)",
    "nightly": "propose proven refactorings for a rotating set of a repository's files",
    "adapters": "mine data for, train, evaluate and list LoRA adapters",
    "demo": "review a sample repository with the heuristic engine and print the report",
    "serve": "keep a model and its adapters loaded behind an OpenAI-compatible API",
}
#: The packages of the `model` extra: a missing one means the extra is not installed.
MODEL_STACK = frozenset(
    {"torch", "transformers", "peft", "safetensors", "tokenizers", "huggingface_hub", "gguf"}
)


def _command_module(name: str) -> ModuleType:
    return importlib.import_module(f"codegen_bot.bot.cli.{name}")


def named_command(argv: Sequence[str]) -> str | None:
    """The subcommand `argv` starts with, if any (`codegen review ...`: "review")."""
    return argv[0] if argv and argv[0] in COMMANDS else None


def build_parser(only: str | None = None, *, listed: bool = False) -> argparse.ArgumentParser:
    """The parser for every subcommand, or only for the subcommand `only`.

    A run names its subcommand first, so only that one's module is imported: the others (the
    GitHub client, LibCST's matchers, every task) would cost a second before anything starts.
    `listed`: the other subcommands are there too, by name and help line only (what
    `codegen --help` and a mistyped command show), without importing their modules.
    """
    parser = argparse.ArgumentParser(
        prog="codegen",
        description="Propose docstrings, tests and refactorings for changed Python code, "
        "and keep only what passes the gates.",
    )
    parser.add_argument("--version", action="version", version=f"codegen {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_line in COMMANDS.items():
        if name == only or (only is None and not listed):
            _command_module(name).register(subparsers)
        elif listed:
            subparsers.add_parser(name, help=help_line, add_help=False).set_defaults(run=None)
    return parser


class Terminated(BaseException):
    """SIGTERM arrived: unwind like Ctrl-C, so sandboxes are killed and scratch copies removed."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated


@contextlib.contextmanager
def _unwind_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into `Terminated` while codegen runs (the default would skip every cleanup)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Run `codegen` with `argv` (default: the process's arguments) and return the exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(named_command(arguments), listed=True).parse_args(arguments)
    if args.run is None:  # a subcommand not first on the line (`codegen -- review`): load it
        args = build_parser(args.command).parse_args(arguments)
    # After parsing: `--help` and `--version` need no engine (LibCST comes with this import).
    from codegen_bot.adapters.engines.base import EngineError  # noqa: PLC0415

    try:
        with _unwind_on_sigterm():
            return int(args.run(args))
    except CodegenError as error:
        print(f"codegen: error: {error}", file=sys.stderr)
        return error.exit_code
    except EngineError as error:  # a model engine that cannot start: no model, no server
        print(f"codegen: error: engine: {error}", file=sys.stderr)
        return 2
    except ImportError as error:  # the model stack is imported only when a command needs it
        root = (error.name or "").partition(".")[0]
        if root not in MODEL_STACK:
            raise
        print(
            f"codegen: error: {args.command} needs the model extra ({root} cannot be imported):"
            " pip install 'codegen-bot[model]'",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print("codegen: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("codegen: terminated", file=sys.stderr)
        return 143


if __name__ == "__main__":
    sys.exit(main())
