"""The `hf` engine: prompts answered by a model loaded in this process."""

from __future__ import annotations

from collections.abc import Sequence

from codegen_bot.adapters.engines.base import EngineIdentity, Task
from codegen_bot.adapters.engines.chat import ChatFrame, TrainedPrompt
from codegen_bot.adapters.engines.completion import CompletionRequest, CompletionResult
from codegen_bot.adapters.engines.hf.hf_config import HFConfig
from codegen_bot.adapters.engines.hf.loading import load_model
from codegen_bot.adapters.engines.hf.model import LoadedModel
from codegen_bot.adapters.engines.prompted import PromptedEngine


class HFCompleter:
    """A `Completer` over a loaded model: each task runs with its own adapter, or the base model."""

    def __init__(self, model: LoadedModel) -> None:
        self.model = model

    def identity(self, task: Task) -> EngineIdentity:
        """The model and the task's adapter with its version."""
        return self.model.identity(task)

    @property
    def summary(self) -> EngineIdentity:
        """The model and every adapter loaded."""
        return self.model.summary

    def count_tokens(self, text: str) -> int:
        """Exact, with the model's tokenizer."""
        return self.model.count_tokens(text)

    @property
    def max_context(self) -> int | None:
        """The model's position limit."""
        return self.model.max_context

    @property
    def chat_frame(self) -> ChatFrame | None:
        """The model's chat template, from its tokenizer."""
        return self.model.chat_frame

    def trained_prompt(self, task: Task) -> TrainedPrompt | None:
        """How the task's adapter was prompted in training."""
        return self.model.trained_prompt(task)

    def complete(self, task: Task, requests: Sequence[CompletionRequest]) -> list[CompletionResult]:
        """Continue the prompts with the task's adapter."""
        return self.model.complete(self.model.adapter_for(task), requests)


def build_hf_engine(config: HFConfig) -> PromptedEngine:
    """Load the model and its adapters and return the engine; raises EngineError."""
    return PromptedEngine("hf", HFCompleter(load_model(config)))
