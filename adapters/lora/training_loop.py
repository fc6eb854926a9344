"""LoRA training, top to bottom: packed examples in, an adapter in the engine's layout out.

    tokenized pairs ─► packed sequences ─► base model (frozen) + LoRA ─► AdamW ─► adapter

1. Model. The base model loads in bf16 on CUDA (fp32 on the CPU) with its chosen attention
   implementation; peft puts LoRA on the chosen linear layers, and only those train (their
   weights kept in fp32; on CUDA the matmuls run under bf16 autocast). On CUDA, activations are
   recomputed in the backward pass (gradient checkpointing) unless turned off; each decoder
   layer can be compiled.
2. Data. Examples are packed into sequences of `seq_len` tokens (`packing.py`: positions restart
   per example, so no example attends to another). Each epoch visits the sequences in an order
   shuffled by the seed and the epoch, so step s always sees the same batch: a resumed run
   continues exactly where the interrupted one stopped.
3. Loss. Cross-entropy on completion tokens only, each weighted by its example's weight
   (accepted suggestions count more), divided by the step's total weight: a weighted mean per
   token, the same whatever the micro-batch split. Logits are computed only at positions that
   have a target, a chunk at a time, so a 150k-token vocabulary never fills memory.
4. Checkpoints (`saving.py`). Every `checkpoint_every` steps the LoRA weights, the optimiser
   state, the RNG states and the losses so far go to `<folder>/checkpoint/`, atomically (the
   learning rate and the batches are functions of the step: nothing else is needed).
5. End. The eval loss on the held-out sequences (before training too, for comparison); the
   caller saves the adapter with `saving.save_adapter` (`adapter_config.json` last: the engine
   counts a version folder only once that file is in it).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

from codegen_bot.adapters.engines.hf.loading import resolve_device
from codegen_bot.adapters.lora.layout import CHECKPOINT_DIR
from codegen_bot.adapters.lora.packing import IGNORE, Packed, Tokenized, pack
from codegen_bot.adapters.lora.saving import load_checkpoint, save_checkpoint
from codegen_bot.adapters.lora.settings import TrainSettings

Progress = Callable[[str], None]
_LOSS_CHUNK = 4096  # positions whose logits are computed at once


def _quiet(_: str) -> None:
    """Say nothing."""


@dataclass(frozen=True)
class TrainJob:
    """One training run: which base model, which examples, where the adapter goes."""

    model_dir: Path
    #: The version folder, `ADAPTERS_DIR/<task>/<version>/`; checkpoints go in it too.
    folder: Path
    train: Sequence[Tokenized]
    eval: Sequence[Tokenized]
    settings: TrainSettings
    device: str = "auto"
    #: Names the data and settings; a checkpoint written for another job is refused.
    fingerprint: str = ""
    resume: bool = False


@dataclass
class TrainResult:
    """What a run did: the trained model (peft), its figures, and where it started."""

    model: Any
    steps: int
    resumed_from: int
    sequences: int
    eval_sequences: int
    tokens: int  # non-padding tokens seen, this process and the interrupted ones before it
    seconds: float
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Batch:
    """Packed sequences as tensors on the device."""

    input_ids: torch.Tensor  # (batch, seq_len)
    position_ids: torch.Tensor  # (batch, seq_len), restarting at 0 per example
    targets: torch.Tensor  # (batch, seq_len), IGNORE where nothing is learned
    weights: torch.Tensor  # (batch, seq_len), float32

    @classmethod
    def of(cls, sequences: Sequence[Packed], device: torch.device) -> Batch:
        """Stack packed sequences into one batch on `device`."""

        def tensor(name: str, dtype: torch.dtype) -> torch.Tensor:
            """One field of every sequence as a tensor on the device."""
            rows = [getattr(s, name) for s in sequences]
            return torch.tensor(rows, dtype=dtype).to(device, non_blocking=True)

        return cls(
            tensor("input_ids", torch.long),
            tensor("position_ids", torch.long),
            tensor("targets", torch.long),
            tensor("weights", torch.float32),
        )


# --- 1. the model ----------------------------------------------------------------------------


def autocast_for(device: torch.device) -> Any:
    """bf16 autocast on CUDA (the fp32 LoRA weights' matmuls run in bf16); nothing on the CPU."""
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return nullcontext()


def load_base(model_dir: Path, settings: TrainSettings, device: torch.device) -> Any:
    """The base model in bf16 on CUDA (fp32 on the CPU), with the chosen attention."""
    from transformers import AutoModelForCausalLM  # noqa: PLC0415 (heavy; only when training)
    from transformers.utils import logging as hf_logging  # noqa: PLC0415

    hf_logging.disable_progress_bar()
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    model: Any = AutoModelForCausalLM.from_pretrained(
        str(model_dir), dtype=dtype, attn_implementation=settings.attention, local_files_only=True
    )
    return model.to(device)


def with_lora(
    model: Any, settings: TrainSettings, device: torch.device, *, compile_backend: str = "inductor"
) -> Any:
    """Freeze `model`, add LoRA layers per the settings; checkpointing and compile as asked.

    Compilation is per decoder layer (each layer is the same graph, compiled once), which
    compiles in seconds where the whole model would take minutes, and leaves the loss's
    data-dependent selection of target positions outside any graph.
    """
    from peft import LoraConfig, get_peft_model  # noqa: PLC0415

    model.config.use_cache = False
    checkpointing = settings.gradient_checkpointing == "on" or (
        settings.gradient_checkpointing == "auto" and device.type == "cuda"
    )
    if checkpointing:
        # Non-reentrant: the frozen embeddings' output needs no `requires_grad` trick.
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    modules = settings.target_modules
    config = LoraConfig(
        r=settings.rank,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules="all-linear" if modules == ("all-linear",) else list(modules),
        task_type="CAUSAL_LM",
    )
    torch.manual_seed(settings.seed)  # LoRA's A matrices start from the seed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # peft on transformers APIs: not ours
        peft_model = get_peft_model(model, config)
    if settings.compile == "on":
        base: Any = peft_model.get_base_model()  # typed as a module whose attributes are tensors
        for layer in base.get_decoder().layers:
            layer.compile(backend=compile_backend)
    return peft_model


def weighted_loss(model: Any, batch: Batch) -> torch.Tensor:
    """Sum over positions with a target of weight times cross-entropy (float32).

    The decoder runs on the whole batch; the output head only on the positions that have a
    target, `_LOSS_CHUNK` at a time, each chunk's logits recomputed in the backward pass
    rather than kept.
    """
    base = model.get_base_model()
    # No cache and no attention mask: that is when transformers reads the examples' bounds from
    # the restarting positions and keeps each example's attention to itself.
    hidden = base.get_decoder()(
        input_ids=batch.input_ids, position_ids=batch.position_ids, use_cache=False
    ).last_hidden_state
    keep = batch.targets != IGNORE
    hidden, targets, weights = hidden[keep], batch.targets[keep], batch.weights[keep]
    head = base.get_output_embeddings()
    # Zero that stays in the graph, so a batch without any target still backpropagates.
    total = hidden.sum().float() * 0.0
    for start in range(0, hidden.shape[0], _LOSS_CHUNK):
        end = start + _LOSS_CHUNK
        total = total + checkpoint(
            _chunk_loss,
            head,
            hidden[start:end],
            targets[start:end],
            weights[start:end],
            use_reentrant=False,
        )
    return total


def _chunk_loss(
    head: torch.nn.Module, hidden: torch.Tensor, targets: torch.Tensor, weights: torch.Tensor
) -> torch.Tensor:
    logits = head(hidden).float()
    return (F.cross_entropy(logits, targets, reduction="none") * weights).sum()


# --- 2. the data -----------------------------------------------------------------------------


def total_steps(sequences: int, settings: TrainSettings) -> int:
    """Optimiser steps of the run: `steps`, or enough batches for `epochs` passes."""
    if settings.steps:
        return settings.steps
    return max(1, math.ceil(settings.epochs * sequences / settings.batch_size))


@cache
def epoch_order(sequences: int, seed: int, epoch: int) -> tuple[int, ...]:
    """The order in which epoch `epoch` visits the sequences (the same for the same seed)."""
    generator = torch.Generator().manual_seed(seed * 100_003 + epoch)
    return tuple(torch.randperm(sequences, generator=generator).tolist())


def step_indexes(step: int, sequences: int, settings: TrainSettings) -> list[int]:
    """The sequences of optimiser step `step`: a window on the epochs' orders, end to end."""
    chosen = []
    for slot in range(step * settings.batch_size, (step + 1) * settings.batch_size):
        epoch, offset = divmod(slot, sequences)
        chosen.append(epoch_order(sequences, settings.seed, epoch)[offset])
    return chosen


def learning_rate(step: int, steps: int, settings: TrainSettings) -> float:
    """Linear warm-up, then a cosine down to a tenth of the peak."""
    if step < settings.warmup_steps:
        return settings.learning_rate * (step + 1) / settings.warmup_steps
    span = max(1, steps - settings.warmup_steps)
    progress = min(1.0, (step - settings.warmup_steps) / span)
    return settings.learning_rate * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def _micro_batches(
    sequences: Sequence[Packed], indexes: list[int], size: int
) -> Iterator[list[Packed]]:
    for start in range(0, len(indexes), size):
        yield [sequences[i] for i in indexes[start : start + size]]


# --- 3. the loop -----------------------------------------------------------------------------


def train_step(
    model: Any,
    optimizer: torch.optim.Optimizer,
    batch: Sequence[Packed],
    lr: float,
    *,
    settings: TrainSettings,
    device: torch.device,
) -> tuple[float, int]:
    """One optimiser step on `batch`, a micro-batch at a time; return its loss and tokens seen."""
    for group in optimizer.param_groups:
        group["lr"] = lr
    step_weight = sum(s.weight for s in batch) or 1.0
    step_loss = torch.zeros((), device=device)
    for start in range(0, len(batch), settings.micro_batch):
        micro = batch[start : start + settings.micro_batch]
        with autocast_for(device):
            loss = weighted_loss(model, Batch.of(micro, device)) / step_weight
        loss.backward()
        step_loss += loss.detach()
    if settings.grad_clip:
        torch.nn.utils.clip_grad_norm_(
            [p for g in optimizer.param_groups for p in g["params"]], settings.grad_clip
        )
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    seen = sum(settings.seq_len - s.padding for s in batch)
    return step_loss.item(), seen  # one device sync per step


def train(job: TrainJob, progress: Progress = _quiet) -> TrainResult:
    """Train LoRA on `job.train`, evaluate on `job.eval`; return the trained model and figures."""
    settings = job.settings
    device = resolve_device(job.device)
    cuda = device.type == "cuda"
    model = with_lora(load_base(job.model_dir, settings, device), settings, device)
    pad_id = model.config.pad_token_id
    pad_id = pad_id if isinstance(pad_id, int) else 0
    sequences = pack(job.train, settings.seq_len, pad_id)
    eval_sequences = pack(job.eval, settings.seq_len, pad_id)
    if not sequences:
        raise ValueError("no training examples fit in a sequence")
    steps = total_steps(len(sequences), settings)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        trainable, lr=settings.learning_rate, weight_decay=settings.weight_decay, fused=cuda
    )

    if job.resume:
        state = load_checkpoint(job.folder, job.fingerprint, model, optimizer)
        progress(f"resuming at step {state['step']} of {steps} from {job.folder / CHECKPOINT_DIR}")
    else:
        state = _fresh_state(model, eval_sequences, settings, device)
    start = state["step"]
    progress(
        f"training {len(sequences)} sequences of {settings.seq_len} tokens "
        f"({len(job.train)} examples) for {steps} steps on {device}"
    )

    model.train()
    started, tokens_here = time.perf_counter(), 0
    window_started, window_tokens = started, 0
    for step in range(start, steps):
        indexes = step_indexes(step, len(sequences), settings)
        lr = learning_rate(step, steps, settings)
        step_loss, seen = train_step(
            model, optimizer, [sequences[i] for i in indexes], lr, settings=settings, device=device
        )
        tokens_here += seen
        window_tokens += seen
        state["losses"].append(step_loss)
        state["step"] = step + 1
        if (step + 1) % settings.log_every == 0 or step + 1 == steps:
            now = time.perf_counter()
            rate = window_tokens / max(now - window_started, 1e-9)
            progress(
                f"step {step + 1}/{steps}  loss {step_loss:.4f}  lr {lr:.2e}  {rate:,.0f} tokens/s"
            )
            window_started, window_tokens = now, 0
        if settings.checkpoint_every and (step + 1) % settings.checkpoint_every == 0:
            state["tokens"] += tokens_here
            state["seconds"] += time.perf_counter() - started
            started, tokens_here = time.perf_counter(), 0
            save_checkpoint(job.folder, job.fingerprint, model, optimizer, state)

    model.eval()
    losses = state["losses"]
    tail = losses[-max(1, len(losses) // 10) :]
    metrics = {
        "train_loss_first": losses[0],
        "train_loss": sum(tail) / len(tail),
        **state["before"],
    }
    if eval_sequences:
        with autocast_for(device):
            metrics["eval_loss"] = evaluate_loss(model, eval_sequences, settings, device)
    return TrainResult(
        model=model,
        steps=steps,
        resumed_from=start,
        sequences=len(sequences),
        eval_sequences=len(eval_sequences),
        tokens=state["tokens"] + tokens_here,
        seconds=state["seconds"] + time.perf_counter() - started,
        metrics=metrics,
    )


@torch.no_grad()
def evaluate_loss(
    model: Any, sequences: Sequence[Packed], settings: TrainSettings, device: torch.device
) -> float:
    """The weighted mean cross-entropy per completion token over `sequences`."""
    total = sum(s.weight for s in sequences) or 1.0
    loss = 0.0
    for micro in _micro_batches(sequences, list(range(len(sequences))), settings.micro_batch):
        loss += weighted_loss(model, Batch.of(micro, device)).item()
    return loss / total


def _fresh_state(
    model: Any,
    eval_sequences: Sequence[Packed],
    settings: TrainSettings,
    device: torch.device,
) -> dict[str, Any]:
    """A run's state at step 0, with the base model's eval loss (LoRA starts as a no-op)."""
    before = {}
    if eval_sequences:
        model.eval()
        with autocast_for(device), model.disable_adapter():
            before["eval_loss_base"] = evaluate_loss(model, eval_sequences, settings, device)
    return {"step": 0, "losses": [], "tokens": 0, "seconds": 0.0, "before": before}
