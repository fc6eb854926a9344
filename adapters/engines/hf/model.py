"""A loaded model with its task adapters, continuing batches of prompts with the adapter asked for.

One object serves both the in-process `hf` engine and `codegen serve`. Work is grouped by
sampling and stop strings, sorted by prompt length so padding stays small, split into batches of
`max_batch`, and decoded by the fast loop (`decode.py`) or by transformers' `generate`
(`generate.py`). Not thread-safe: one caller at a time (the server's worker thread).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from codegen_bot.adapters.engines.base import EngineIdentity, Task
from codegen_bot.adapters.engines.chat import (
    ChatFrame,
    TrainedPrompt,
    chat_frame_of,
    trained_prompt_of,
)
from codegen_bot.adapters.engines.completion import (
    Completion,
    CompletionError,
    CompletionRequest,
    CompletionResult,
    FinishReason,
    Sampling,
    cut_at_stop,
)
from codegen_bot.adapters.engines.hf.batch import Decoded, Row
from codegen_bot.adapters.engines.hf.decode import FastDecoder
from codegen_bot.adapters.engines.hf.generate import plain_generate
from codegen_bot.adapters.engines.hf.hf_config import Decode, HFConfig
from codegen_bot.adapters.engines.hf.merge import AdapterWeights
from codegen_bot.adapters.lora.layout import AdapterRef


class LoadedModel:
    """The base model, its tokenizer and adapters (named by task), ready to continue prompts."""

    def __init__(
        self,
        *,
        model: Any,
        tokenizer: Any,
        name: str,
        fingerprint: str,
        adapters: dict[str, AdapterRef],
        device: torch.device,
        config: HFConfig,
        load_seconds: float,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.name = name
        self.fingerprint = fingerprint
        self.adapters = adapters
        self.device = device
        self.config = config
        self.load_seconds = load_seconds
        self.weights = AdapterWeights(model if adapters else None)
        compile_step = config.compile == "on" or (
            config.compile == "auto" and device.type == "cuda"
        )
        inner = model.get_base_model() if adapters else model
        self.decoder = FastDecoder(
            inner,
            device,
            compile_step=compile_step,
            cache_step=config.cache_step,
            max_batch=config.max_batch,
            backend=config.compile_backend,
        )
        eos = inner.generation_config.eos_token_id if inner.generation_config else None
        eos_ids = eos if isinstance(eos, list) else [eos] if eos is not None else []
        if tokenizer.eos_token_id is not None:
            eos_ids.append(tokenizer.eos_token_id)
        self.eos_ids = tuple(sorted(set(eos_ids)))
        #: The model's chat template around one message (None: it has none).
        self.chat_frame: ChatFrame | None = chat_frame_of(tokenizer)

    # --- identity -------------------------------------------------------------------------------

    @property
    def model_label(self) -> str:
        """`qwen2-1.5b@3fa2c1d9e0b1`: the model's name and content fingerprint."""
        return f"{self.name}@{self.fingerprint}"

    def adapter_for(self, task: str) -> str | None:
        """Return the adapter `task` runs with: the task when it has one, else None (the base)."""
        return task if task in self.adapters else None

    def identity(self, task: Task) -> EngineIdentity:
        """The model and adapter (with version) that answer `task`."""
        ref = self.adapters.get(task)
        return EngineIdentity("hf", self.model_label, ref.label if ref else None)

    @property
    def summary(self) -> EngineIdentity:
        """The model and every adapter loaded."""
        labels = ", ".join(ref.label for ref in self.adapters.values())
        return EngineIdentity("hf", self.model_label, labels or None)

    def trained_prompt(self, task: str) -> TrainedPrompt | None:
        """How `task`'s adapter was prompted in training (None: no adapter, or not recorded)."""
        ref = self.adapters.get(task)
        return trained_prompt_of(ref.metadata.hyperparameters) if ref else None

    @property
    def max_context(self) -> int | None:
        """The model's position limit."""
        limit = getattr(self.model.config, "max_position_embeddings", None)
        return int(limit) if limit else None

    def count_tokens(self, text: str) -> int:
        """Exact prompt length, special tokens included."""
        return len(self.tokenizer(text)["input_ids"])

    # --- generation -----------------------------------------------------------------------------

    def complete(
        self, adapter: str | None, requests: Sequence[CompletionRequest]
    ) -> list[CompletionResult]:
        """Continue every request with `adapter` (None: the base model); one result per request."""
        if adapter is not None and adapter not in self.adapters:
            return [CompletionError(f"no adapter named {adapter!r}") for _ in requests]
        results: list[CompletionResult] = [CompletionError("not decoded")] * len(requests)
        groups: dict[tuple[Sampling, tuple[str, ...]], list[int]] = {}
        for index, request in enumerate(requests):
            groups.setdefault((request.sampling, request.stop), []).append(index)
        for (sampling, stop), indexes in groups.items():
            found = self._complete_group(adapter, [requests[i] for i in indexes], sampling, stop)
            for index, result in zip(indexes, found, strict=True):
                results[index] = result
        return results

    def _complete_group(
        self,
        adapter: str | None,
        requests: list[CompletionRequest],
        sampling: Sampling,
        stop: tuple[str, ...],
    ) -> list[CompletionResult]:
        """Requests that share sampling and stop strings, decoded in batches of similar length."""
        results: list[CompletionResult] = [[] for _ in requests]
        rows: list[tuple[int, Row]] = []  # (request index, row): n rows per request
        limit = self.max_context
        for index, request in enumerate(requests):
            ids = self.tokenizer(request.prompt)["input_ids"]
            if limit is not None and len(ids) + request.max_new_tokens > limit:
                results[index] = CompletionError(
                    f"prompt of {len(ids)} tokens plus {request.max_new_tokens} new ones exceeds "
                    f"the model's {limit}"
                )
                continue
            rows.extend((index, Row(ids, request.max_new_tokens)) for _ in range(request.n))
        # Similar lengths decode together: less padding, and the longest batches first.
        order = sorted(range(len(rows)), key=lambda i: -len(rows[i][1].ids))
        decoded: dict[int, Decoded] = {}
        for start in range(0, len(order), self.config.max_batch):
            chunk = order[start : start + self.config.max_batch]
            outputs = self._decode(adapter, [rows[i][1] for i in chunk], sampling, stop)
            decoded.update(zip(chunk, outputs, strict=True))
        for i, (index, row) in enumerate(rows):
            found = results[index]
            assert isinstance(found, list)
            found.append(self._finish(decoded[i], stop, len(row.ids)))
        return results

    def _decode(
        self, adapter: str | None, rows: list[Row], sampling: Sampling, stop: tuple[str, ...]
    ) -> list[Decoded]:
        return self.decode_rows(adapter, rows, sampling, stop)

    def decode_rows(
        self,
        adapter: str | None,
        rows: Sequence[Row],
        sampling: Sampling,
        stop: Sequence[str] = (),
        *,
        path: Decode | None = None,
        merge: bool | None = None,
        eos_ids: Sequence[int] | None = None,
    ) -> list[Decoded]:
        """Decode token rows in one batch; `path`, `merge` and `eos_ids` override the config.

        The benchmark calls this directly, with end-of-text suppressed (`eos_ids=()`).
        """
        path = path or self.config.decode
        eos = self.eos_ids if eos_ids is None else tuple(eos_ids)
        if path == "generate":
            with self.weights.active(adapter, merged=False):
                return plain_generate(
                    self.model, self.tokenizer, rows, sampling, eos_ids=eos, stop=stop
                )
        merged = self.config.merge if merge is None else merge
        merged = merged and (adapter is None or self.weights.mergeable(adapter))
        with self.weights.active(adapter, merged=merged):
            return self.decoder.decode(
                rows, sampling, eos_ids=eos, stop=stop, tokenizer=self.tokenizer
            )

    def _finish(self, decoded: Decoded, stop: tuple[str, ...], prompt_tokens: int) -> Completion:
        """Text cut before the first stop string; tokens and log-probability up to it."""
        text = self.tokenizer.decode(decoded.ids, skip_special_tokens=True)
        cut, stopped = cut_at_stop(text, stop)
        count = len(decoded.ids)
        if stopped:
            count = self._tokens_until(decoded.ids, cut)
        kept = tuple(decoded.logprobs[:count])
        logprob = sum(kept) if len(kept) == count else None  # None: the path reported none
        reason: FinishReason = "stop" if stopped or decoded.ended else "length"
        return Completion(
            cut, reason, count, logprob, kept if logprob is not None else (), prompt_tokens
        )

    def _tokens_until(self, ids: list[int], kept: str) -> int:
        """The fewest leading tokens whose text covers `kept` and the stop string after it."""
        low, high = 0, len(ids)
        while low < high:
            middle = (low + high) // 2
            if len(self.tokenizer.decode(ids[:middle], skip_special_tokens=True)) > len(kept):
                high = middle
            else:
                low = middle + 1
        return low

    def describe(self) -> dict[str, Any]:
        """What `/health` and `/v1/models` report about this model."""
        return {
            "model": self.name,
            "fingerprint": self.fingerprint,
            "path": str(Path(self.config.model)),
            "device": str(self.device),
            "decode": self.config.decode,
            "compiled": self.decoder.compiled,
            "compile_error": self.decoder.compile_error,
            "load_seconds": round(self.load_seconds, 3),
            "chat_template": self.chat_frame is not None,
            "adapters": {
                task: {"version": ref.version, "path": str(ref.path), **ref.metadata.to_dict()}
                for task, ref in self.adapters.items()
            },
        }
