"""The one small interface every engine implements, and the candidates it returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from refactor.targets import Target

Task = Literal["docs", "tests", "refactor"]
TASKS: tuple[Task, ...] = ("docs", "tests", "refactor")


@dataclass(frozen=True)
class EngineIdentity:
    """What produced a proposal, named in every report and comment."""

    engine: str
    model: str | None = None
    adapter: str | None = None

    def describe(self) -> str:
        """Return e.g. ``hf (model qwen2-1.5b, adapter docs@3)`` or just ``heuristic``."""
        parts = [
            f"model {self.model}" if self.model else "",
            f"adapter {self.adapter}" if self.adapter else "",
        ]
        extra = ", ".join(part for part in parts if part)
        return f"{self.engine} ({extra})" if extra else self.engine


@dataclass(frozen=True)
class Candidate:
    """One proposed text for one target.

    For `docs` the text is the docstring's content (no quotes, no indentation); for `tests` a
    whole test module; for `refactor` the new source of the definition. When the engine could
    not produce a usable text (malformed model output, nothing derivable), `text` is None and
    `error` says why: the pipeline reports it as rejected, it never raises.
    """

    target: Target
    task: Task
    text: str | None
    identity: EngineIdentity
    error: str | None = None
    seconds: float = 0.0
    #: What the change is, for people: "ruff UP006, SIM108", or the adapter that wrote it.
    note: str = ""
    #: What the change does, in words ("Use `list` instead of `List` for type annotation").
    detail: str = ""


class Engine(Protocol):
    """Turns targets of one task into candidates, in batches."""

    @property
    def identity(self) -> EngineIdentity:
        """The engine, model and adapter this engine proposes with."""
        ...

    def propose(self, task: Task, targets: Sequence[Target]) -> list[Candidate]:
        """Return candidates for `targets` (any number per target, in order of preference)."""
        ...
