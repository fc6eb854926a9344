"""The fast decode path: a static KV cache, one compiled step per token, few host syncs.

Why it is faster than `model.generate`: a decode step at small batch is bound by reading the
weights once, yet in eager PyTorch it costs hundreds of kernel launches and Python around each.
Here the step (the model's forward for one token, its attention mask, the greedy choice and its
log-probability) is one function compiled with `torch.compile(mode="reduce-overhead")`, which
replays it as a CUDA graph; the KV cache is transformers' `StaticCache`, so shapes never change
within a request, and caches and graphs are kept per (batch, cache length) bucket for the life
of the process. The host looks at the tokens only every `CHECK_EVERY` steps (for end-of-text and
stop strings), so the GPU rarely waits for Python.

Shapes, for batch B (padded up to a power of two when compiled), prompt length P (left padded)
and cache length L (P plus the new tokens, rounded up to `cache_step` when compiled):
    prompt ids              [B, P]
    key mask                [B, L]   True where a key is a real token (pads False, future True)
    tokens, positions       [B, 1]   each row's last token and its position
    generated ids, logprobs [B, T]   T = the most new tokens any row may write
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from transformers import StaticCache

from codegen_bot.adapters.engines.completion import Sampling
from codegen_bot.adapters.engines.hf.batch import Decoded, Row, cut_rows

#: Host checks for end-of-text and stop strings every this many steps (one sync each).
CHECK_EVERY = 8
#: Caches kept for reuse, one per (batch, length) bucket.
KEEP_CACHES = 4


def _round_up(value: int, step: int) -> int:
    return -(-value // step) * step


def _bucket(batch: int, limit: int) -> int:
    """The next power of two, at most `limit` (and never below `batch`)."""
    size = 1
    while size < batch:
        size *= 2
    return max(batch, min(size, limit))


@dataclass
class _Batch:
    """One batch on the device, as the loop advances it."""

    cache: Any
    key_mask: torch.Tensor  # [B, L]
    key_index: torch.Tensor  # [L]
    position: torch.Tensor  # [B, 1]
    seen: torch.Tensor  # scalar: the cache slot the next token is written to
    budgets: torch.Tensor  # [B]
    generated: torch.Tensor  # [B, T]
    scores: torch.Tensor  # [B, T]


class FastDecoder:
    """Decodes batches of rows with a static cache and a (possibly compiled) one-token step."""

    def __init__(
        self,
        model: Any,
        device: torch.device,
        *,
        compile_step: bool,
        cache_step: int,
        max_batch: int,
        backend: str = "inductor",
    ) -> None:
        self.model = model
        self.device = device
        self.compiled = compile_step
        self.cache_step = cache_step
        self.max_batch = max_batch
        self.backend = backend
        self._caches: OrderedDict[tuple[int, int], Any] = OrderedDict()
        self._step_fn: Any = None
        #: Why compiling the step failed, when it did (the decoder then runs eagerly).
        self.compile_error: str | None = None

    def _step(self) -> Any:
        """Return the one-token step, compiled on first use and kept for the process's life."""
        if self._step_fn is None:
            self._step_fn = self._eager_step
            if self.compiled:
                # One graph per (batch, cache length) bucket; the default limit of 8 is too few.
                limit = torch._dynamo.config.recompile_limit
                torch._dynamo.config.recompile_limit = max(limit, 64)
                graphs = self.device.type == "cuda" and self.backend == "inductor"
                self._step_fn = torch.compile(
                    self._eager_step,
                    backend=self.backend,
                    fullgraph=True,
                    mode="reduce-overhead" if graphs else None,
                )
        return self._step_fn

    def _eager_step(
        self, tokens: torch.Tensor, batch: _Batch
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        # Keys a new token may attend: real tokens up to and including its own slot `seen`.
        allowed = (batch.key_mask & (batch.key_index <= batch.seen))[:, None, None, :]
        out = self.model(
            input_ids=tokens,
            position_ids=batch.position,
            attention_mask=allowed,
            past_key_values=batch.cache,
            use_cache=True,
        )
        logits = out.logits[:, -1, :].float()
        logprobs = torch.log_softmax(logits, dim=-1)
        best = logprobs.argmax(dim=-1)
        return best, logprobs.gather(-1, best[:, None])[:, 0], logits

    def _cache(self, batch: int, length: int) -> Any:
        key = (batch, length)
        cache = self._caches.pop(key, None)
        if cache is None:
            cache = StaticCache(config=self.model.config, max_cache_len=length)
        else:
            cache.reset()
        self._caches[key] = cache
        while len(self._caches) > KEEP_CACHES:
            self._caches.popitem(last=False)
        return cache

    def decode(
        self,
        rows: Sequence[Row],
        sampling: Sampling,
        *,
        eos_ids: Sequence[int],
        stop: Sequence[str],
        tokenizer: Any,
    ) -> list[Decoded]:
        """Decode every row; return each row's new tokens, cut at end-of-text and its budget.

        Should compiling the step fail on this machine, the decoder says so once (a warning,
        and `compile_error` for `/health`) and decodes eagerly from then on: slower, same tokens.
        """
        # no_grad rather than inference_mode, as transformers' own compiled generate: the cache
        # outlives a request, and CUDA graphs replay it outside any inference-mode region.
        with torch.no_grad():
            try:
                ids, scores = self._run(rows, sampling, eos_ids, stop, tokenizer)
            except torch._dynamo.exc.TorchDynamoException as error:
                if not self.compiled:
                    raise
                self.compile_error = f"{type(error).__name__}: {error}".splitlines()[0]
                warnings.warn(
                    f"compiling the decode step failed, decoding without it: {self.compile_error}",
                    RuntimeWarning,
                    stacklevel=2,
                )
                self.compiled, self._step_fn = False, None
                self._caches.clear()
                ids, scores = self._run(rows, sampling, eos_ids, stop, tokenizer)
        return cut_rows(ids, scores, rows, eos_ids)

    def _run(
        self,
        rows: Sequence[Row],
        sampling: Sampling,
        eos_ids: Sequence[int],
        stop: Sequence[str],
        tokenizer: Any,
    ) -> tuple[list[list[int]], list[list[float]]]:
        """Prefill, then one step per token; the host checks for the end every CHECK_EVERY steps."""
        generator = None
        if not sampling.greedy and sampling.seed is not None:
            generator = torch.Generator(device=self.device).manual_seed(sampling.seed)
        batch, first, first_lp = self._prefill(rows, sampling, generator, tokenizer.pad_token_id)
        steps = batch.generated.shape[1]
        eos = torch.tensor(list(eos_ids) or [-1], device=self.device)
        batch.generated[:, 0], batch.scores[:, 0] = first, first_lp
        finished = torch.isin(first, eos) | (batch.budgets <= 1)
        stopped = [False] * len(batch.budgets)
        step_fn = self._step()
        done = steps
        for i in range(1, steps):
            batch.position += 1
            if self.compiled and self.device.type == "cuda":
                torch.compiler.cudagraph_mark_step_begin()
            best, best_lp, logits = step_fn(batch.generated[:, i - 1 : i], batch)
            token, token_lp = _choose(best, best_lp, logits, sampling, generator)
            batch.generated[:, i], batch.scores[:, i] = token, token_lp
            batch.seen += 1
            finished |= torch.isin(token, eos) | (batch.budgets <= i + 1)
            if (i + 1) % CHECK_EVERY == 0 or i == steps - 1:
                if stop:
                    _check_stops(batch.generated, i + 1, stop, tokenizer, stopped)
                flags = torch.tensor(stopped, device=self.device) | finished
                if bool(flags[: len(rows)].all()):
                    done = i + 1
                    break
        real = len(rows)
        return batch.generated[:real, :done].tolist(), batch.scores[:real, :done].tolist()

    def _prefill(
        self,
        rows: Sequence[Row],
        sampling: Sampling,
        generator: torch.Generator | None,
        pad: int,
    ) -> tuple[_Batch, torch.Tensor, torch.Tensor]:
        """Prefill the cache with the prompts; return the batch and each row's first token."""
        device = self.device
        size = _bucket(len(rows), self.max_batch) if self.compiled else len(rows)
        # Padding rows repeat the first row: real tokens, so no row is all padding.
        padded = list(rows) + [rows[0]] * (size - len(rows))
        prompt = max(len(r.ids) for r in padded)
        steps = max(r.max_new for r in padded)
        length = prompt + steps
        if self.compiled:
            length = _round_up(length, self.cache_step)
        ids = torch.full((size, prompt), pad, dtype=torch.long)
        key_mask = torch.zeros((size, length), dtype=torch.bool)
        key_mask[:, prompt:] = True
        for b, row in enumerate(padded):
            ids[b, prompt - len(row.ids) :] = torch.tensor(row.ids, dtype=torch.long)
            key_mask[b, prompt - len(row.ids) : prompt] = True
        ids, key_mask = ids.to(device), key_mask.to(device)
        # Positions count real tokens only, as `generate` counts them under left padding.
        positions = (key_mask[:, :prompt].long().cumsum(-1) - 1).clamp(min=0)
        cache = self._cache(size, length)
        out = self.model(
            input_ids=ids,
            attention_mask=key_mask,
            position_ids=positions,
            past_key_values=cache,
            use_cache=True,
            logits_to_keep=1,
        )
        logits = out.logits[:, -1, :].float()
        logprobs = torch.log_softmax(logits, dim=-1)
        best = logprobs.argmax(dim=-1)
        best_lp = logprobs.gather(-1, best[:, None])[:, 0]
        first, first_lp = _choose(best, best_lp, logits, sampling, generator)
        batch = _Batch(
            cache=cache,
            key_mask=key_mask,
            key_index=torch.arange(length, device=device),
            position=positions[:, -1:].clone(),
            seen=torch.tensor(prompt, device=device),
            budgets=torch.tensor([r.max_new for r in padded], device=device),
            generated=torch.empty((size, steps), dtype=torch.long, device=device),
            scores=torch.empty((size, steps), dtype=torch.float32, device=device),
        )
        return batch, first, first_lp


def _choose(
    best: torch.Tensor,
    best_lp: torch.Tensor,
    logits: torch.Tensor,
    sampling: Sampling,
    generator: torch.Generator | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the greedy token, or one sampled at the temperature within the nucleus `top_p`."""
    if sampling.greedy:
        return best, best_lp
    probs = torch.softmax(logits / sampling.temperature, dim=-1)
    if sampling.top_p < 1.0:
        sorted_probs, order = probs.sort(dim=-1, descending=True)
        outside = sorted_probs.cumsum(-1) - sorted_probs > sampling.top_p
        probs = torch.zeros_like(probs).scatter(-1, order, sorted_probs.masked_fill(outside, 0.0))
    token = torch.multinomial(probs, 1, generator=generator)[:, 0]
    # Likelihood under the model itself (temperature 1), to rank samples against each other.
    token_lp = torch.log_softmax(logits, dim=-1).gather(-1, token[:, None])[:, 0]
    return token, token_lp


def _check_stops(
    generated: torch.Tensor, count: int, stop: Sequence[str], tokenizer: Any, stopped: list[bool]
) -> None:
    """Mark rows whose recent text holds a stop string (looking back far enough to span windows)."""
    back = CHECK_EVERY + max(len(s) for s in stop) + 2
    tails = generated[:, max(0, count - back) : count].tolist()
    for b, tail in enumerate(tails):
        if not stopped[b]:
            text = tokenizer.decode(tail, skip_special_tokens=True)
            stopped[b] = any(s in text for s in stop)
