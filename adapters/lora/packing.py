"""Sequence packing: many short examples in one fixed-length sequence, none seeing another.

Examples (prompt tokens, completion tokens, weight) are placed first-fit, longest first, into
sequences of `seq_len` tokens. Each example's positions start again at 0. That restart is what
keeps examples apart: transformers reads a packed batch from `position_ids` when no attention
mask is given, and builds a block-diagonal causal mask from it (flash-attention's varlen kernel
reads the same boundaries), so a token attends only to earlier tokens of its own example. The
targets never cross a boundary either: position t of an example learns token t + 1 of the same
example, only where that token is part of the completion. The end of a sequence that no example
fills is padding: a segment of its own, with no targets.

Pure Python on lists; the trainer turns a batch into tensors.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

IGNORE = -100  # the target of a position that learns nothing


@dataclass(frozen=True)
class Tokenized:
    """One example as token ids: the prompt (learned from) and the completion (learned)."""

    prompt: tuple[int, ...]
    completion: tuple[int, ...]
    weight: float = 1.0

    def __len__(self) -> int:
        return len(self.prompt) + len(self.completion)


@dataclass(frozen=True)
class Packed:
    """One training sequence of exactly `seq_len` tokens."""

    input_ids: tuple[int, ...]
    position_ids: tuple[int, ...]
    #: The token each position must predict, or IGNORE.
    targets: tuple[int, ...]
    #: The weight of each position's target (0 where IGNORE).
    weights: tuple[float, ...]
    #: How many examples it holds, and how many of its tokens are padding.
    examples: int
    padding: int

    @property
    def weight(self) -> float:
        """The sum of its targets' weights: the loss of a batch is divided by this sum."""
        return sum(self.weights)


def targets_of(example: Tokenized) -> tuple[list[int], list[float]]:
    """Per position of the example: the next token when it is a completion token, else IGNORE."""
    ids = [*example.prompt, *example.completion]
    first = len(example.prompt)  # index of the first completion token
    targets = [ids[t + 1] if t + 1 >= first else IGNORE for t in range(len(ids) - 1)] + [IGNORE]
    weights = [example.weight if target != IGNORE else 0.0 for target in targets]
    return targets, weights


def pack(examples: Sequence[Tokenized], seq_len: int, pad_id: int) -> list[Packed]:
    """Pack examples into sequences of `seq_len` tokens, first fit, longest first.

    Examples longer than `seq_len` must be filtered out before (ValueError otherwise). The
    result's order is deterministic for the same input.
    """
    bins: list[list[int]] = []  # example indexes per sequence
    room: list[int] = []
    for index in sorted(range(len(examples)), key=lambda i: (-len(examples[i]), i)):
        size = len(examples[index])
        if size > seq_len:
            raise ValueError(f"example {index} has {size} tokens, more than seq_len {seq_len}")
        if size == 0:
            continue
        slot = next((b for b, free in enumerate(room) if free >= size), None)
        if slot is None:
            bins.append([])
            room.append(seq_len)
            slot = len(bins) - 1
        bins[slot].append(index)
        room[slot] -= size
    return [_sequence([examples[i] for i in chosen], seq_len, pad_id) for chosen in bins]


def _sequence(examples: Sequence[Tokenized], seq_len: int, pad_id: int) -> Packed:
    ids: list[int] = []
    positions: list[int] = []
    targets: list[int] = []
    weights: list[float] = []
    for example in examples:
        example_targets, example_weights = targets_of(example)
        ids += [*example.prompt, *example.completion]
        positions += range(len(example))
        targets += example_targets
        weights += example_weights
    padding = seq_len - len(ids)
    ids += [pad_id] * padding
    positions += range(padding)
    targets += [IGNORE] * padding
    weights += [0.0] * padding
    return Packed(
        tuple(ids), tuple(positions), tuple(targets), tuple(weights), len(examples), padding
    )


def segments(lengths: Sequence[int], pad_id: int, vocab: int, seed: int) -> Packed:
    """A sequence of random tokens cut into examples of `lengths`, every token learned.

    The training benchmark's data: packed without padding, all positions trained but the last
    of each example (as a plain causal-LM batch trains all but the last of each row).
    """
    rng = random.Random(seed)
    examples = []
    for length in lengths:
        tokens = tuple(rng.randrange(vocab) for _ in range(length))
        examples.append(Tokenized(tokens[:1], tokens[1:]))
    return _sequence(examples, sum(lengths), pad_id)
