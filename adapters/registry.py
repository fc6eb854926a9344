"""Engines by name: the CLI and the Action pick one with `--engine`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from adapters.base import Engine
from adapters.heuristic import HeuristicEngine
from refactor.docstyle import Style

ENGINES = ("heuristic",)


@dataclass(frozen=True)
class EngineOptions:
    """What an engine needs to start: the docstring convention, and where models are."""

    style: Style = "google"
    #: The repository's configuration files (path → text), for engines that run ruff.
    ruff_config: Mapping[str, str] = field(default_factory=dict)
    #: Ruff rules whose safe fixes the heuristic engine proposes as refactorings, on top of
    #: the repository's selection (None: the engine's default, `SAFE_EXTRA_RULES`).
    refactor_rules: tuple[str, ...] | None = None


def build_engine(name: str, options: EngineOptions) -> Engine:
    """Return the engine called `name`; raises ValueError for an unknown name."""
    if name == "heuristic":
        return HeuristicEngine(
            style=options.style,
            ruff_config=options.ruff_config,
            refactor_rules=options.refactor_rules,
        )
    raise ValueError(f"unknown engine {name!r} (choose from {', '.join(ENGINES)})")
