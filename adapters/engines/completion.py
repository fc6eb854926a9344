"""Text completion as values: what a model engine asks a model for and what comes back.

Shared by the in-process `hf` engine, `codegen serve` and the `openai` engine, so that a prompt
gives the same candidates whichever way it reaches the model. Nothing here imports torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from codegen_bot.adapters.engines.base import EngineIdentity, Task
from codegen_bot.adapters.engines.chat import ChatFrame, TrainedPrompt

FinishReason = Literal["stop", "length"]


@dataclass(frozen=True)
class Sampling:
    """How the next token is chosen: greedy when `temperature` is 0, else sampled."""

    temperature: float = 0.0
    top_p: float = 1.0
    seed: int | None = None

    @property
    def greedy(self) -> bool:
        """Whether decoding takes the most likely token every step."""
        return self.temperature <= 0.0


@dataclass(frozen=True)
class CompletionRequest:
    """One prompt to continue `n` times, for `max_new_tokens` at most or until a stop string."""

    prompt: str
    max_new_tokens: int
    stop: tuple[str, ...] = ()
    n: int = 1
    sampling: Sampling = field(default_factory=Sampling)


@dataclass(frozen=True)
class Completion:
    """One continuation: its text (cut before any stop string), why it ended, and its likelihood."""

    text: str
    finish_reason: FinishReason
    tokens: int
    #: Sum of the log-probabilities of the generated tokens, when the backend reports them.
    logprob: float | None = None
    #: Each generated token's log-probability (empty when the backend does not report them).
    token_logprobs: tuple[float, ...] = ()
    #: The prompt's length in tokens (0 when unknown).
    prompt_tokens: int = 0

    @property
    def mean_logprob(self) -> float | None:
        """Average log-probability per token, comparable across lengths; None when unknown."""
        if self.logprob is None:
            return None
        return self.logprob / max(self.tokens, 1)


@dataclass(frozen=True)
class CompletionError:
    """Why a request got no completions (a server error, a prompt too long for the model)."""

    reason: str


CompletionResult = list[Completion] | CompletionError


class Completer(Protocol):
    """A model that continues prompts for a task, with the adapter that task uses."""

    def identity(self, task: Task) -> EngineIdentity:
        """The model and adapter that answer requests for `task`."""
        ...

    @property
    def summary(self) -> EngineIdentity:
        """The model and every adapter in use, for the report's header."""
        ...

    def count_tokens(self, text: str) -> int:
        """How many tokens `text` is (exact when the tokenizer is at hand, else a safe estimate)."""
        ...

    @property
    def max_context(self) -> int | None:
        """The most tokens prompt and completion may hold together; None when unknown."""
        ...

    @property
    def chat_frame(self) -> ChatFrame | None:
        """The model's chat template around one user message; None when it has none."""
        ...

    def trained_prompt(self, task: Task) -> TrainedPrompt | None:
        """How `task`'s adapter was trained to be prompted; None for the base model."""
        ...

    def complete(self, task: Task, requests: Sequence[CompletionRequest]) -> list[CompletionResult]:
        """Continue every request with `task`'s adapter; one result per request, in order."""
        ...


def cut_at_stop(text: str, stops: Sequence[str]) -> tuple[str, bool]:
    """Return `text` up to the earliest stop string, and whether one was found."""
    cut = min((index for stop in stops if stop and (index := text.find(stop)) >= 0), default=-1)
    if cut < 0:
        return text, False
    return text[:cut], True
