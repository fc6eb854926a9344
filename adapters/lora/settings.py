"""How an adapter is trained: LoRA's shape, the optimiser, the batches, the speed switches.

One frozen dataclass with the defaults, read from `[tool.codegen.lora]` (validated like every
other section of the configuration) and overridden by `codegen adapters train` flags. It is
saved in the adapter's metadata, so an adapter says how it was made. Nothing here imports torch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Switch = Literal["auto", "on", "off"]


@dataclass(frozen=True)
class TrainSettings:
    """`[tool.codegen.lora]`: LoRA hyper-parameters and the training run's shape."""

    rank: int = 16
    alpha: int = 32
    dropout: float = 0.05
    #: Module names (suffixes) to adapt; `all-linear` is every linear layer but the output head.
    target_modules: tuple[str, ...] = ("all-linear",)
    learning_rate: float = 2e-4
    weight_decay: float = 0.0
    warmup_steps: int = 10
    #: Passes over the training sequences; `steps` > 0 sets the number of optimiser steps instead.
    epochs: float = 3.0
    steps: int = 0
    #: Tokens per packed sequence; an example (prompt and answer) longer than this is skipped.
    seq_len: int = 4096
    #: Sequences per optimiser step, and per forward pass (gradients accumulate in between).
    batch_size: int = 8
    micro_batch: int = 2
    grad_clip: float = 1.0
    seed: int = 0
    #: Save a checkpoint (to resume from) every this many steps; 0: never.
    checkpoint_every: int = 50
    #: Print progress every this many steps.
    log_every: int = 10
    #: Recompute activations in the backward pass: "auto" is on for CUDA, off on the CPU.
    gradient_checkpointing: Switch = "auto"
    #: torch.compile each decoder layer: "auto" is off (compilation costs minutes per run).
    compile: Switch = "off"
    #: transformers' attention implementation: sdpa, eager, flex_attention, flash_attention_2.
    attention: str = "sdpa"

    def problems(self) -> list[str]:
        """What is wrong with these settings (an empty list when nothing is)."""
        found = []
        for name in ("rank", "alpha", "seq_len", "batch_size", "micro_batch", "log_every"):
            if getattr(self, name) < 1:
                found.append(f"`{name}` must be at least 1")
        for name in ("warmup_steps", "steps", "checkpoint_every", "seed"):
            if getattr(self, name) < 0:
                found.append(f"`{name}` must not be negative")
        if not 0 <= self.dropout < 1:
            found.append("`dropout` must be from 0 up to (not including) 1")
        if self.learning_rate <= 0 or self.weight_decay < 0 or self.grad_clip < 0:
            found.append(
                "`learning_rate` must be positive, `weight_decay` and `grad_clip` not negative"
            )
        if self.epochs <= 0 and self.steps == 0:
            found.append("`epochs` must be positive (or `steps` set)")
        if self.batch_size % self.micro_batch:
            found.append(
                f"`batch_size` ({self.batch_size}) must be a multiple of `micro_batch` "
                f"({self.micro_batch})"
            )
        if not self.target_modules:
            found.append("`target_modules` names no module")
        if self.attention not in ("sdpa", "eager", "flex_attention", "flash_attention_2"):
            found.append(
                f"`attention` {self.attention!r}: choose sdpa, eager, flex_attention or "
                "flash_attention_2"
            )
        return found

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON values, for the adapter's metadata."""
        data = asdict(self)
        data["target_modules"] = list(self.target_modules)
        return data
