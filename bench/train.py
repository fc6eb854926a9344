"""LoRA training speed: tokens/s and model-FLOPs utilisation on packed sequences.

A model with Qwen2-1.5B's shapes and random weights (speed does not depend on their values),
LoRA of rank 16 on every linear layer, batches of `--batch` sequences of `--seq-len` tokens,
each sequence random documents of random lengths back to back (packed, no padding); one
optimiser step per batch. Every variant but the anchor runs codegen's own training step
(`adapters.lora.training_loop.train_step`, what `codegen adapters train` runs).

MFU = 6 x N x tokens/s / peak (989 TFLOP/s: H100 SXM, dense bf16), N counting *every*
parameter of the model (1.54 B for Qwen2-1.5B, its tied embedding once), as the issue's anchor
counts; the trainable LoRA parameters (18 M at r=16) are printed too but not used. With LoRA the
frozen weights get no weight gradients, so a step without activation checkpointing really does
about 4N FLOPs per token (forward 2N, input gradients 2N) and one with checkpointing about 6N
(the forward twice): by the 6N convention, dropping checkpointing counts as a FLOP saving too.

Variants:
- anchor: the issue's measurement: plain peft LoRA, `model(input_ids, labels=input_ids)` (the
  full logits), gradient checkpointing, no compilation, the whole batch in one forward, plain
  causal attention over each 2k sequence (documents see each other).
- packed: codegen's step with `codegen adapters train`'s CUDA defaults: attention kept within
  each document (positions restart per document), loss on target positions only through the
  head a chunk at a time, gradient checkpointing, bf16 autocast, fused AdamW.
- fast: packed, without gradient checkpointing (the activations of a micro-batch of 8 x 2k fit
  in 80 GB), each decoder layer compiled (`torch.compile`). `--fast-micro-batch` trades memory
  for steps; `--attention flash_attention_2` (needs the flash-attn package) or `flex_attention`
  swap the attention kernel.

    .venv/bin/python -m bench.train                    # on an H100: the issue's shapes
    .venv/bin/python -m bench.train --shape tiny --device cpu --seq-len 128 --batch 2 --steps 2
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import random
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModelForCausalLM, Qwen2Config

from bench.shapes import SHAPES
from codegen_bot.adapters.lora.packing import Packed, segments
from codegen_bot.adapters.lora.settings import TrainSettings
from codegen_bot.adapters.lora.training_loop import autocast_for, train_step, with_lora

VARIANTS = ("anchor", "packed", "fast")
PEAK_TFLOPS = 989.0  # H100 SXM, dense bf16
ANCHOR = "anchor on an H100: 16,600 tokens/s, 16% MFU, 40 GB"


@dataclass
class Result:
    """One variant's figures."""

    variant: str
    tokens_per_s: float
    mfu: float
    peak_memory_gb: float | None
    step_s: float
    first_step_s: float
    loss: float
    settings: dict[str, Any]


def documents(seq_len: int, rng: random.Random, shortest: int, longest: int) -> list[int]:
    """Random document lengths that fill `seq_len` exactly (the last one cut to fit)."""
    lengths: list[int] = []
    while sum(lengths) < seq_len:
        lengths.append(min(rng.randint(shortest, longest), seq_len - sum(lengths)))
    return lengths


def make_batch(args: argparse.Namespace, vocab: int, seed: int) -> list[Packed]:
    """`--batch` packed sequences of random tokens, `--seq-len` each, no padding."""
    rng = random.Random(seed)
    return [
        segments(documents(args.seq_len, rng, args.shortest, args.longest), 0, vocab, seed + i)
        for i in range(args.batch)
    ]


def variant_settings(variant: str, args: argparse.Namespace) -> TrainSettings:
    """Training settings per variant (the anchor uses only its LoRA and checkpointing)."""
    base = TrainSettings(
        rank=args.rank,
        alpha=2 * args.rank,
        dropout=0.0,
        seq_len=args.seq_len,
        batch_size=args.batch,
        micro_batch=args.batch,
        gradient_checkpointing="on",
        compile="off",
        attention="sdpa",
        grad_clip=1.0,
    )
    if variant == "fast":
        return dataclasses.replace(
            base,
            micro_batch=args.fast_micro_batch or args.batch,
            gradient_checkpointing="on" if args.fast_checkpointing else "off",
            compile=args.compile,
            attention=args.attention,
        )
    return base


def build_model(args: argparse.Namespace, settings: TrainSettings, device: torch.device) -> Any:
    """A random model of the shape on `device` (bf16 on CUDA), LoRA added per `settings`."""
    torch.manual_seed(0)
    config = Qwen2Config(**SHAPES[args.shape], tie_word_embeddings=True, pad_token_id=0)
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(
            config, dtype=dtype, attn_implementation=settings.attention
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return with_lora(model, settings, device, compile_backend=args.compile_backend)


def anchor_step(model: Any, optimizer: Any, batch: list[Packed], device: torch.device) -> float:
    """The plain recipe: full logits, transformers' own loss, one forward for the batch."""
    ids = torch.tensor([s.input_ids for s in batch], device=device)
    with autocast_for(device):
        loss = model(input_ids=ids, labels=ids).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return float(loss.item())


def one_step(
    variant: str,
    model: Any,
    optimizer: Any,
    batch: list[Packed],
    *,
    settings: TrainSettings,
    device: torch.device,
) -> float:
    """One optimiser step of the variant; its loss."""
    if variant == "anchor":
        return anchor_step(model, optimizer, batch, device)
    loss, _ = train_step(model, optimizer, batch, 1e-4, settings=settings, device=device)
    return loss


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def run_variant(variant: str, args: argparse.Namespace, device: torch.device) -> Result:
    """Build, warm up (compilation happens here), then time `--steps` optimiser steps."""
    settings = variant_settings(variant, args)
    model = build_model(args, settings, device)
    model.train()
    every = sum(p.numel() for n, p in model.named_parameters() if "lora_" not in n)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-4, fused=device.type == "cuda")
    batches = [make_batch(args, SHAPES[args.shape]["vocab_size"], s) for s in range(2)]

    def step(index: int) -> float:
        return one_step(
            variant,
            model,
            optimizer,
            batches[index % len(batches)],
            settings=settings,
            device=device,
        )

    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    step(0)
    _sync(device)
    first = time.perf_counter() - started
    for index in range(1, args.warmup):
        step(index)
    _sync(device)
    started = time.perf_counter()
    loss = 0.0
    for index in range(args.steps):
        loss = step(index)
    _sync(device)
    seconds = (time.perf_counter() - started) / args.steps
    tokens_per_s = args.batch * args.seq_len / seconds
    peak = torch.cuda.max_memory_allocated() / 1e9 if device.type == "cuda" else None
    result = Result(
        variant=variant,
        tokens_per_s=tokens_per_s,
        mfu=6 * every * tokens_per_s / (args.peak_tflops * 1e12),
        peak_memory_gb=peak,
        step_s=seconds,
        first_step_s=first,
        loss=loss,
        settings={
            **settings.to_dict(),
            "parameters": every,
            "trainable": sum(p.numel() for p in trainable),
        },
    )
    return result


def print_table(results: list[Result], args: argparse.Namespace) -> None:
    """The figures, then the goal against the best variant."""
    first = results[0].settings
    print(
        f"\nshape {args.shape}: {first['parameters'] / 1e6:,.1f} M parameters (MFU counts all), "
        f"{first['trainable'] / 1e6:.1f} M trainable (LoRA r={args.rank}, all linear layers); "
        f"batch {args.batch} x {args.seq_len} tokens, peak {args.peak_tflops:.0f} TFLOP/s\n"
    )
    header = f"{'variant':<10}{'tokens/s':>12}{'MFU':>8}{'peak GB':>9}{'step s':>9}{'1st s':>8}"
    print(header)
    print("-" * len(header))
    for r in results:
        memory = "n/a" if r.peak_memory_gb is None else f"{r.peak_memory_gb:.1f}"
        print(
            f"{r.variant:<10}{r.tokens_per_s:>12,.0f}{r.mfu:>8.1%}{memory:>9}"
            f"{r.step_s:>9.3f}{r.first_step_s:>8.1f}"
        )
    best = max(results, key=lambda r: r.mfu)
    print(f"\ngoal: MFU >= 35%: best {best.variant} {best.mfu:.1%} ({ANCHOR})")


def main(argv: list[str] | None = None) -> list[Result]:
    """Run the variants and print (and optionally save as JSON) their figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shape", choices=sorted(SHAPES), default="qwen2-1.5b")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--seq-len", type=int, default=2048)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--steps", type=int, default=10, help="timed steps per variant")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first (compile)")
    parser.add_argument("--shortest", type=int, default=64, help="shortest document, tokens")
    parser.add_argument("--longest", type=int, default=1024, help="longest document, tokens")
    parser.add_argument("--fast-micro-batch", type=int, default=0, help="0: the whole batch")
    parser.add_argument("--fast-checkpointing", action="store_true")
    parser.add_argument("--compile", choices=("on", "off"), default="on")
    parser.add_argument("--compile-backend", default="inductor", help="eager: trace only (tests)")
    parser.add_argument(
        "--attention",
        default="sdpa",
        choices=("sdpa", "eager", "flex_attention", "flash_attention_2"),
        help="the fast variant's attention",
    )
    parser.add_argument("--peak-tflops", type=float, default=PEAK_TFLOPS)
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    results = []
    for variant in (v for v in args.variants.split(",") if v):
        results.append(run_variant(variant, args, device))
        gc.collect()  # the variant's model and optimiser go before the next one is built
        if device.type == "cuda":
            torch.cuda.empty_cache()
    print_table(results, args)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    return results


if __name__ == "__main__":
    main()
