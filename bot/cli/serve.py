"""`codegen serve`: keep the hf engine's model warm behind an OpenAI-compatible completions API."""

from __future__ import annotations

import argparse
import ipaddress
import os
import signal
import sys
import threading
import time

from codegen_bot.adapters.engines.base import EngineError
from codegen_bot.adapters.engines.completion import CompletionRequest
from codegen_bot.adapters.engines.hf.hf_config import HFConfig
from codegen_bot.bot.cli.review import API_KEY_ENV, add_model_options, task_pairs
from codegen_bot.bot.errors import UsageError

WARMUP_PROMPT = "def add(a, b):\n    return a + b\n" * 8


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `codegen serve` to the command line."""
    parser = subparsers.add_parser(
        "serve",
        help="keep a model and its adapters loaded behind an OpenAI-compatible API",
        description="Load the base model and one LoRA adapter per task once, and answer "
        "/v1/completions (model names: the base model's, and each adapter's task), /v1/models "
        "and /health until stopped (Ctrl-C or SIGTERM). Concurrent requests are batched.",
    )
    add_model_options(parser, model_required=True)
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=8000,
        help="port to listen on; 0 picks a free one (default: 8000)",
    )
    parser.add_argument(
        "--insecure",
        action="store_true",
        help=f"listen on a non-loopback address without {API_KEY_ENV} (anyone who can reach "
        "the port may use the model)",
    )
    parser.add_argument(
        "--max-batch", type=int, default=32, help="sequences decoded together (default: 32)"
    )
    parser.add_argument(
        "--warmup",
        action="store_true",
        help="compile the decode step (CUDA) before listening, not on the first request",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request on stderr")
    parser.set_defaults(run=run)


def _say(message: str) -> None:
    print(f"codegen serve: {message}", file=sys.stderr, flush=True)


def is_loopback(host: str) -> bool:
    """Whether `host` is this machine only (`localhost`, 127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name: it may resolve to any address
        return False


def check_listen(host: str, port: int, api_key: str | None, insecure: bool) -> None:
    """Refuse, before any model loads, a port out of range or an open non-loopback listener."""
    if not 0 <= port <= 65535:
        raise UsageError(f"--port must be from 0 to 65535, not {port}")
    if not is_loopback(host) and not api_key and not insecure:
        raise UsageError(
            f"--host {host} is reachable from other machines: set {API_KEY_ENV} (clients send it"
            " as a bearer token), or pass --insecure to serve anyone who can reach the port"
        )


def run(args: argparse.Namespace) -> int:
    """Load the model, listen, and serve until interrupted or terminated."""
    api_key = os.environ.get(API_KEY_ENV) or None
    check_listen(args.host, args.port, api_key, args.insecure)
    if args.max_batch < 1:
        raise UsageError("--max-batch must be at least 1")
    # torch loads here, when a server is asked for, never when the CLI starts.
    from codegen_bot.adapters.engines.hf.loading import load_model  # noqa: PLC0415
    from codegen_bot.adapters.serve.server import App, start_server  # noqa: PLC0415

    config = HFConfig(
        model=args.model,
        adapters_dir=args.adapters,
        adapter_versions=dict(task_pairs(args.adapter_version, "--adapter-version", "VERSION")),
        device=args.device,
        allow_download=args.allow_download,
        decode=args.decode,
        max_batch=args.max_batch,
    )
    try:
        model = load_model(config)
    except EngineError as error:
        raise UsageError(str(error)) from error
    adapters = ", ".join(ref.label for ref in model.adapters.values()) or "none"
    seconds = f"{model.load_seconds:.1f} s"
    _say(f"loaded {model.model_label} on {model.device} in {seconds}; adapters: {adapters}")
    if args.warmup:
        # Three shapes: the second changes the batch, the third the cache length, so that
        # torch.compile has made both dimensions dynamic before the first real request.
        started = time.perf_counter()
        adapter = next(iter(model.adapters), None)
        for prompt, batch in (
            (WARMUP_PROMPT, 1),
            (WARMUP_PROMPT, args.max_batch),
            (WARMUP_PROMPT * 3, 1),
        ):
            model.complete(adapter, [CompletionRequest(prompt, 8, (), batch)])
        _say(f"warmed up in {time.perf_counter() - started:.1f} s")
    app = App(model, api_key=api_key)
    try:
        handle = start_server(app, args.host, args.port, verbose=args.verbose)
    except OSError as error:
        app.close()
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {error.strerror}") from error
    stop = threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    _say(f"listening on {handle.url} (models: {', '.join(sorted(app.models))})")
    try:
        while not stop.wait(0.5):
            pass
    finally:
        handle.close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        _say("stopped")
    return 0
