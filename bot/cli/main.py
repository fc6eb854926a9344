"""The `codegen` command line: parses arguments, runs one subcommand, maps errors to exit codes.

Each subcommand lives in its own module under `bot/cli/` and registers itself here. This
is the only place that turns a `CodegenError` into one line on stderr and an exit code, so no
user ever sees a traceback for a mistake they can fix.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from types import FrameType

from codegen_bot.adapters.engines.base import EngineError
from codegen_bot.bot import __version__
from codegen_bot.bot.cli import (
    action,
    adapters,
    authorize,
    demo,
    nightly,
    publish,
    review,
    serve,
    show,
)
from codegen_bot.bot.errors import CodegenError

COMMANDS = (review, action, authorize, publish, show, nightly, adapters, demo, serve)
#: The packages of the `model` extra: a missing one means the extra is not installed.
MODEL_STACK = frozenset(
    {"torch", "transformers", "peft", "safetensors", "tokenizers", "huggingface_hub", "gguf"}
)


def build_parser() -> argparse.ArgumentParser:
    """The parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="codegen",
        description="Propose docstrings, tests and refactorings for changed Python code, "
        "and keep only what passes the gates.",
    )
    parser.add_argument("--version", action="version", version=f"codegen {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
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
    args = build_parser().parse_args(argv)
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
