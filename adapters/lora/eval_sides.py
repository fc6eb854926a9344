"""What each side of an adapter's eval is: its figures, and the model it answers with.

`codegen adapters eval` runs the same targets twice, with the base model and with the adapter;
each run is a `Side`, and each answers through a `PinnedCompleter` (the loaded model with one
adapter, or none, whatever the task asks).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from codegen_bot.adapters.engines.base import EngineIdentity, Task
from codegen_bot.adapters.engines.chat import ChatFrame, TrainedPrompt
from codegen_bot.adapters.engines.completion import CompletionRequest, CompletionResult


@dataclass
class Side:
    """One model's figures: the base model, or the base model with the adapter."""

    name: str
    targets: int = 0
    answered: int = 0  # answers the engine's parser accepted
    passed: int = 0  # answers that passed every gate
    skipped: int = 0  # tests: targets the tests task left alone (already covered, ...)
    scores: list[float] = field(default_factory=list)  # ROUGE-L per target (0: no answer)
    reasons: Counter[str] = field(default_factory=Counter)  # why answers were rejected

    @property
    def rouge(self) -> float | None:
        """Mean ROUGE-L F1, None where the task has no reference text to compare with."""
        return sum(self.scores) / len(self.scores) if self.scores else None

    def metrics(self, suffix: str) -> dict[str, float]:
        """The figures as metadata metrics, `eval_pass_rate` + suffix and so on."""
        found = {
            f"eval_pass_rate{suffix}": self.passed / max(self.targets, 1),
            f"eval_parse_rate{suffix}": self.answered / max(self.targets, 1),
        }
        if self.rouge is not None:
            found[f"eval_rouge_l{suffix}"] = self.rouge
        return found


class PinnedCompleter:
    """A `Completer` over a loaded model that always answers with one adapter (or none)."""

    def __init__(self, loaded: Any, adapter: str | None) -> None:
        self.loaded = loaded
        self.adapter = adapter

    def identity(self, task: Task) -> EngineIdentity:
        """The model, and the adapter when this side uses it."""
        ref = self.loaded.adapters.get(self.adapter) if self.adapter else None
        return EngineIdentity("hf", self.loaded.model_label, ref.label if ref else None)

    @property
    def summary(self) -> EngineIdentity:
        """The same as `identity`, whatever the task: one adapter at most."""
        return self.identity(self.loaded.adapters[self.adapter].task if self.adapter else "docs")

    def count_tokens(self, text: str) -> int:
        """Exact, with the model's tokenizer."""
        return int(self.loaded.count_tokens(text))

    @property
    def max_context(self) -> int | None:
        """The model's position limit."""
        return self.loaded.max_context  # type: ignore[no-any-return]

    @property
    def chat_frame(self) -> ChatFrame | None:
        """The model's chat template, from its tokenizer."""
        return self.loaded.chat_frame  # type: ignore[no-any-return]

    def trained_prompt(self, task: Task) -> TrainedPrompt | None:
        """How the pinned adapter was prompted in training (None on the base side)."""
        return self.loaded.trained_prompt(self.adapter) if self.adapter else None  # type: ignore[no-any-return]

    def complete(self, task: Task, requests: Sequence[CompletionRequest]) -> list[CompletionResult]:
        """Continue the prompts with the pinned adapter."""
        return self.loaded.complete(self.adapter, requests)  # type: ignore[no-any-return]
