"""The one small interface every engine implements, and the candidates it returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from codegen_bot.adapters.engines.chat import PromptFormat
from codegen_bot.refactor.docstrings.style import Style
from codegen_bot.refactor.targets import Target

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


class EngineError(Exception):
    """An engine cannot start or reach its model: a missing path, a refused download, no server."""


@dataclass(frozen=True)
class TokenBudgets:
    """How many new tokens a model may write per task."""

    docs: int = 256
    tests: int = 1024
    refactor: int = 1024

    def of(self, task: Task) -> int:
        """The budget of `task`."""
        return int(getattr(self, task))


@dataclass(frozen=True)
class RunContext:
    """What a run tells a model engine beyond the targets: the repository's ways and wishes.

    Model engines put the examples in their prompts; the heuristic engine needs none of it.
    `docstring_examples` are snippets of this repository's code (a signature and its docstring);
    `test_example` is one of its test modules as `(path, text)`.
    """

    style: Style = "google"
    docstring_examples: tuple[str, ...] = ()
    test_example: tuple[str, str] | None = None
    #: Candidates per target: 1 is greedy decoding; k > 1 adds k - 1 samples after the greedy one.
    samples: int = 1
    temperature: float = 0.8
    #: The most tokens a prompt may hold; context beyond it is cut, farthest code first.
    context_tokens: int = 2048
    max_new_tokens: TokenBudgets = TokenBudgets()
    #: `completion`, `chat` (the model's chat template), or `auto`: chat when the model has one.
    #: A task whose adapter records how it was trained uses that format and budget instead.
    prompt_format: PromptFormat = "auto"


class Engine(Protocol):
    """Turns targets of one task into candidates, in batches."""

    @property
    def identity(self) -> EngineIdentity:
        """The engine, model and adapter this engine proposes with."""
        ...

    def propose(
        self, task: Task, targets: Sequence[Target], context: RunContext | None = None
    ) -> list[Candidate]:
        """Return candidates for `targets` (any number per target, in order of preference)."""
        ...
