"""The `openai` engine: prompts answered by an OpenAI-compatible server, one model per adapter.

Works with `codegen serve`, and with vLLM or SGLang serving LoRA modules. Each task's model
name is, in order: the one given (`served_models`), else the task's own name (`docs`) when the
server lists it, else the server's only base model. The server is first asked for its models
on the first proposal, never when the engine is built.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

from codegen_bot.adapters.engines.base import TASKS, EngineError, EngineIdentity, Task
from codegen_bot.adapters.engines.chat import ChatFrame, TrainedPrompt
from codegen_bot.adapters.engines.completion import (
    Completion,
    CompletionError,
    CompletionRequest,
    CompletionResult,
    FinishReason,
)
from codegen_bot.adapters.engines.openai.client import ApiCallError, ClientConfig, OpenAIClient
from codegen_bot.adapters.engines.prompted import PromptedEngine

#: Characters per token assumed to size prompts without the server's tokenizer; code averages
#: 3.5 to 4, so 3 leaves a margin.
CHARS_PER_TOKEN = 3


class OpenAICompleter:
    """A `Completer` over HTTP."""

    def __init__(
        self, client: OpenAIClient, served_models: Mapping[str, str] | None = None
    ) -> None:
        self.client = client
        self.served_models = dict(served_models or {})
        self._catalogue: dict[str, dict[str, Any]] | None = None

    def models(self) -> dict[str, dict[str, Any]]:
        """The server's models by id, asked once; raises EngineError when the server cannot say."""
        if self._catalogue is None:
            try:
                answer = self.client.get("/v1/models")
            except ApiCallError as error:
                raise EngineError(
                    f"cannot list the models of {self.client.url('')}: {error}"
                ) from error
            data = answer.get("data") if isinstance(answer, dict) else None
            if not isinstance(data, list) or not all(
                isinstance(m, dict) and isinstance(m.get("id"), str) for m in data
            ):
                raise EngineError(
                    f"{self.client.url('/v1/models')} did not answer with a list of models"
                )
            self._catalogue = {m["id"]: m for m in data}
        return self._catalogue

    def model_for(self, task: Task) -> dict[str, Any]:
        """The server's model entry that answers `task`."""
        models = self.models()
        if task in self.served_models:
            name = self.served_models[task]
            if name not in models:
                raise EngineError(
                    f"the server has no model {name!r} for {task} (models: {', '.join(models)})"
                )
            return models[name]
        if task in models:
            return models[task]
        bases = [m for m in models.values() if not m.get("parent")]
        if len(bases) == 1:
            return bases[0]
        raise EngineError(
            f"the server has no model named {task!r} and no single base model to fall back on "
            f"(models: {', '.join(models)}); name one for {task}"
        )

    @property
    def chat_frame(self) -> ChatFrame | None:
        """The served model's chat template, when the server lists it (codegen serve does)."""
        for entry in self.models().values():
            own = entry.get("codegen")
            frame = ChatFrame.from_dict(own.get("chat_frame")) if isinstance(own, dict) else None
            if frame is not None:
                return frame
        return None

    def trained_prompt(self, task: Task) -> TrainedPrompt | None:
        """How the task's served adapter was prompted in training, when the server says."""
        own = self.model_for(task).get("codegen")
        return TrainedPrompt.from_dict(own.get("trained_prompt")) if isinstance(own, dict) else None

    def identity(self, task: Task) -> EngineIdentity:
        """The served model and adapter, as the server names them."""
        entry = self.model_for(task)
        codegen = entry.get("codegen")
        own: dict[str, Any] = codegen if isinstance(codegen, dict) else {}
        parent = entry.get("parent") if isinstance(entry.get("parent"), str) else None
        model = own.get("model") or parent or entry["id"]
        adapter = own.get("adapter") if "adapter" in own else (entry["id"] if parent else None)
        return EngineIdentity("openai", model, adapter)

    @property
    def summary(self) -> EngineIdentity:
        """The model and the tasks' adapters (the URL until the server is asked)."""
        if self._catalogue is None:
            return EngineIdentity("openai", self.client.url(""))
        identities = []
        for task in TASKS:
            try:
                identities.append(self.identity(task))
            except EngineError:
                continue
        model = identities[0].model if identities else self.client.url("")
        adapters = ", ".join(dict.fromkeys(i.adapter for i in identities if i.adapter))
        return EngineIdentity("openai", model, adapters or None)

    def count_tokens(self, text: str) -> int:
        """An estimate on the safe side; the server refuses what is too long anyway."""
        return math.ceil(len(text) / CHARS_PER_TOKEN)

    @property
    def max_context(self) -> int | None:
        """The served models' length limit, when the server says (vLLM and codegen serve do)."""
        limits = [m.get("max_model_len") for m in self.models().values()]
        known = [limit for limit in limits if isinstance(limit, int) and limit > 0]
        return min(known) if known else None

    def complete(self, task: Task, requests: Sequence[CompletionRequest]) -> list[CompletionResult]:
        """Send the prompts in batches, a few requests at a time; one result per request."""
        name = self.model_for(task)["id"]
        groups: dict[tuple[Any, ...], list[int]] = {}
        for index, request in enumerate(requests):
            key = (request.max_new_tokens, request.stop, request.n, request.sampling)
            groups.setdefault(key, []).append(index)
        size = max(self.client.config.batch_prompts, 1)
        batches = [
            indexes[start : start + size]
            for indexes in groups.values()
            for start in range(0, len(indexes), size)
        ]
        results: list[CompletionResult | None] = [None] * len(requests)
        with ThreadPoolExecutor(max_workers=max(self.client.config.max_concurrency, 1)) as pool:
            answers = pool.map(
                lambda batch: self._send(name, [requests[i] for i in batch]), batches
            )
            for batch, answer in zip(batches, answers, strict=True):
                for index, result in zip(batch, answer, strict=True):
                    results[index] = result
        return [r if r is not None else CompletionError("not sent") for r in results]

    def _send(self, name: str, requests: list[CompletionRequest]) -> list[CompletionResult]:
        first = requests[0]
        body: dict[str, Any] = {
            "model": name,
            "prompt": [r.prompt for r in requests],
            "max_tokens": first.max_new_tokens,
            "n": first.n,
            "temperature": first.sampling.temperature,
            "top_p": first.sampling.top_p,
        }
        if first.stop:
            body["stop"] = list(first.stop)
        if first.sampling.seed is not None:
            body["seed"] = first.sampling.seed
        if not first.sampling.greedy:
            body["logprobs"] = 0  # the chosen tokens' own log-probabilities, to rank the samples
        try:
            answer = self.client.post("/v1/completions", body)
        except ApiCallError as error:
            return [CompletionError(str(error)) for _ in requests]
        return self._read(answer, requests)

    def _read(self, answer: Any, requests: list[CompletionRequest]) -> list[CompletionResult]:
        """Choices back to their prompts (choice `i * n + j` belongs to prompt `i`)."""
        n = requests[0].n
        choices = answer.get("choices") if isinstance(answer, dict) else None
        if not isinstance(choices, list) or len(choices) != len(requests) * n:
            return [CompletionError("malformed answer: wrong number of choices") for _ in requests]
        per_prompt: list[list[Completion]] = [[] for _ in requests]
        for position, choice in enumerate(choices):
            completion = self._choice(choice, requests[0].max_new_tokens)
            if isinstance(completion, CompletionError):
                return [completion for _ in requests]
            index = choice.get("index", position)
            if not isinstance(index, int) or not 0 <= index < len(choices):
                return [
                    CompletionError(f"malformed answer: choice index {index!r}") for _ in requests
                ]
            per_prompt[index // n].append(completion)
        return list(per_prompt)

    def _choice(self, choice: Any, max_tokens: int) -> Completion | CompletionError:
        if not isinstance(choice, dict) or not isinstance(choice.get("text"), str):
            return CompletionError("malformed answer: a choice without text")
        reason = choice.get("finish_reason") or "stop"
        if reason not in ("stop", "length"):
            return CompletionError(f"the server ended a choice with finish_reason {reason!r}")
        reason = cast(FinishReason, reason)
        text = choice["text"]
        logprobs = choice.get("logprobs")
        token_lps = logprobs.get("token_logprobs") if isinstance(logprobs, dict) else None
        if isinstance(token_lps, list) and all(isinstance(v, int | float) for v in token_lps):
            kept = tuple(float(v) for v in token_lps)
            return Completion(text, reason, len(kept), sum(kept), kept)
        tokens = max_tokens if reason == "length" else self.count_tokens(text)
        return Completion(text, reason, tokens)


def build_openai_engine(
    config: ClientConfig, served_models: Mapping[str, str] | None = None
) -> PromptedEngine:
    """The engine for the server at `config.base_url` (no request is made until it proposes)."""
    return PromptedEngine("openai", OpenAICompleter(OpenAIClient(config), served_models))
