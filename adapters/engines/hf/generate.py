"""The plain decode path: transformers' `generate`, with the task's adapter active (unmerged).

The reference the fast path is checked against. Every generation setting is given explicitly,
so a model's own `generation_config.json` (a repetition penalty, say) cannot make the two differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from transformers import GenerationConfig

from codegen_bot.adapters.engines.completion import Sampling
from codegen_bot.adapters.engines.hf.batch import Decoded, Row, cut_rows

#: Keep every step's logits (for log-probabilities) only up to this many numbers; beyond it the
#: plain path reports none (samples are then not ranked): 32 rows x 1024 steps x 152k vocab
#: would be 10 GB. The fast path computes log-probabilities as it goes, at no such cost.
LOGITS_BUDGET = 1 << 27


def plain_generate(
    model: Any,
    tokenizer: Any,
    rows: Sequence[Row],
    sampling: Sampling,
    *,
    eos_ids: Sequence[int],
    stop: Sequence[str],
) -> list[Decoded]:
    """Decode `rows` in one left-padded batch with `model.generate`."""
    device = next(model.parameters()).device
    padded = tokenizer.pad({"input_ids": [r.ids for r in rows]}, padding=True, return_tensors="pt")
    prompt = padded["input_ids"].shape[1]
    steps = max(r.max_new for r in rows)
    keep_logits = len(rows) * steps * model.config.vocab_size <= LOGITS_BUDGET
    chosen = {}
    if not sampling.greedy:
        chosen = {"temperature": sampling.temperature, "top_p": sampling.top_p, "top_k": 0}
    config = GenerationConfig(
        max_new_tokens=steps,
        do_sample=not sampling.greedy,
        repetition_penalty=1.0,
        # An empty list, not None: None would let the model's own end-of-text back in.
        eos_token_id=list(eos_ids),
        pad_token_id=tokenizer.pad_token_id,
        stop_strings=list(stop) or None,
        return_dict_in_generate=True,
        output_logits=keep_logits,
        **chosen,
    )
    if sampling.seed is not None:
        torch.manual_seed(sampling.seed)
    with torch.no_grad():
        out = model.generate(
            input_ids=padded["input_ids"].to(device),
            attention_mask=padded["attention_mask"].to(device),
            generation_config=config,
            tokenizer=tokenizer if stop else None,
        )
        generated = out.sequences[:, prompt:]
        if keep_logits:
            # Log-probabilities under the model itself (temperature 1), as the fast path's.
            logprobs = torch.stack(out.logits, dim=1).float().log_softmax(-1)
            scores = logprobs.gather(-1, generated[:, : logprobs.shape[1], None])[..., 0].tolist()
        else:
            scores = [[] for _ in rows]
    return cut_rows(generated.tolist(), scores, rows, eos_ids)
