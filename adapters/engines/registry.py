"""Engines by name: the CLI and the Action pick one with `--engine`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from codegen_bot.adapters.engines.base import Engine, EngineError
from codegen_bot.adapters.engines.heuristic import HeuristicEngine
from codegen_bot.refactor.docstrings.style import Style

ENGINES = ("heuristic", "hf", "openai")


@dataclass(frozen=True)
class RunOptions:
    """What one run tells its engine: the repository's docstring convention and ruff settings."""

    style: Style = "google"
    #: Whether docstring parameter entries carry types, as the repository's do.
    arg_types: bool = True
    #: The repository's configuration files (path → text), for engines that run ruff.
    ruff_config: Mapping[str, str] = field(default_factory=dict)
    #: Ruff rules whose safe fixes the heuristic engine proposes as refactorings, on top of
    #: the repository's selection (None: the engine's default, `SAFE_EXTRA_RULES`).
    refactor_rules: tuple[str, ...] | None = None


@dataclass(frozen=True)
class EngineStartup:
    """Where an engine's model is and how to reach it: set once, by the runner's flags."""

    #: hf: the base model's folder (a hub id only with `allow_download`).
    model: str | None = None
    #: hf: the adapters directory, `ADAPTERS_DIR/<task>/<version>/`; None runs the base model.
    adapters: str | None = None
    #: hf: pinned adapter versions, `(("docs", "3"),)`; tasks not named get their latest.
    adapter_versions: tuple[tuple[str, str], ...] = ()
    #: hf: "auto", "cpu", "cuda" or "cuda:N".
    device: str = "auto"
    #: hf: "fast" (static cache, merged adapter, compiled step on CUDA) or "generate".
    decode: str = "fast"
    allow_download: bool = False
    #: openai: the server's base URL.
    server: str | None = None
    #: openai: model names per task, `(("docs", "my-docs-lora"),)`; by default the task's name.
    served_models: tuple[tuple[str, str], ...] = ()
    #: openai: sent as a bearer token when set.
    api_key: str | None = None
    #: openai: seconds per HTTP exchange.
    timeout_s: float = 300.0


def build_engine(name: str, run: RunOptions, startup: EngineStartup | None = None) -> Engine:
    """Return the engine called `name`; ValueError if unknown, EngineError if it cannot start.

    `run` is this run's settings, `startup` the model's or server's (None: the defaults).
    Model engines import their stack (torch for `hf`) here, when built, never before.
    """
    options = startup if startup is not None else EngineStartup()
    if name == "heuristic":
        return HeuristicEngine(
            style=run.style,
            arg_types=run.arg_types,
            ruff_config=run.ruff_config,
            refactor_rules=run.refactor_rules,
        )
    if name == "hf":
        if not options.model:
            raise EngineError("the hf engine needs a model: --model PATH")
        if options.decode not in ("fast", "generate"):
            raise EngineError(f"unknown decode path {options.decode!r} (choose fast or generate)")
        from codegen_bot.adapters.engines.hf.engine import build_hf_engine  # noqa: PLC0415 (torch, only when asked)
        from codegen_bot.adapters.engines.hf.hf_config import HFConfig  # noqa: PLC0415

        return build_hf_engine(
            HFConfig(
                model=options.model,
                adapters_dir=options.adapters,
                adapter_versions=dict(options.adapter_versions),
                device=options.device,
                allow_download=options.allow_download,
                decode="fast" if options.decode == "fast" else "generate",
                # One review is over in seconds: compiling the step (tens of seconds) would cost
                # more than it saves. `codegen serve` compiles, once per start.
                compile="off",
            )
        )
    if name == "openai":
        if not options.server:
            raise EngineError("the openai engine needs a server: --server URL")
        from codegen_bot.adapters.engines.openai.client import ClientConfig  # noqa: PLC0415 (one engine's stack)
        from codegen_bot.adapters.engines.openai.engine import build_openai_engine  # noqa: PLC0415

        config = ClientConfig(options.server, api_key=options.api_key, timeout_s=options.timeout_s)
        return build_openai_engine(config, dict(options.served_models))
    raise ValueError(f"unknown engine {name!r} (choose from {', '.join(ENGINES)})")
