"""The rows a decode path takes and gives back: plain values, shared by both paths."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One sequence to decode: prompt tokens and its own budget of new tokens."""

    ids: list[int]
    max_new: int


@dataclass(frozen=True)
class Decoded:
    """New tokens of one row (cut at end-of-text and at its budget) and their log-probabilities."""

    ids: list[int]
    logprobs: list[float]
    #: The model wrote end-of-text before the budget ran out.
    ended: bool = False


def cut_rows(
    ids: Sequence[Sequence[int]],
    logprobs: Sequence[Sequence[float]],
    rows: Sequence[Row],
    eos_ids: Sequence[int],
) -> list[Decoded]:
    """Each row's tokens up to its budget and before its first end-of-text token."""
    found = []
    ends = set(eos_ids)
    for row_ids, row_logprobs, row in zip(ids, logprobs, rows, strict=True):
        kept = list(row_ids[: row.max_new])
        scores = list(row_logprobs[: row.max_new])
        end = next((i for i, token in enumerate(kept) if token in ends), None)
        if end is None:
            found.append(Decoded(kept, scores[: len(kept)]))
        else:
            found.append(Decoded(kept[:end], scores[:end], ended=True))
    return found
