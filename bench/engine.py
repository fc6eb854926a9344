"""Decode speed of the hf engine against the GPU's memory-bandwidth roofline.

A model with Qwen2-1.5B's shapes and random weights (end-of-text suppressed, so every row writes
all its tokens, as a trained model would), a LoRA adapter of rank 16 on every linear layer, saved
and loaded through the engine's own loader. For each decode path and batch size it prints tokens
per second, the fraction of the roofline (weights plus KV cache read once per step, against
`--hbm-tbps`), time to first token, and the first call's time (compilation included); then model
load time in a cold process against a warm server, and agreement of the fast path's greedy
tokens with transformers' `generate`.

    .venv/bin/python -m bench.engine                      # on a GPU: the issue's shapes
    .venv/bin/python -m bench.engine --shape tiny --device cpu --batches 1,2 --prompt 16 --new 8

Paths ("variants"): fast+adapter (the adapter merged into the weights, as served), fast+base (no
adapter: the LoRA cost is the difference), fast+unmerged (LoRA matmuls beside the base ones),
generate+adapter and generate+base (transformers' `generate`, adapter unmerged).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from peft import LoraConfig, get_peft_model
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

from bench.shapes import SHAPES
from codegen_bot.adapters.engines.completion import Sampling
from codegen_bot.adapters.engines.hf.batch import Row
from codegen_bot.adapters.engines.hf.hf_config import HFConfig
from codegen_bot.adapters.engines.hf.loading import load_model, model_fingerprint
from codegen_bot.adapters.engines.hf.model import LoadedModel
from codegen_bot.adapters.lora.layout import adapter_folder
from codegen_bot.adapters.lora.metadata import AdapterMetadata

VARIANTS = ("fast+adapter", "fast+base", "fast+unmerged", "generate+adapter", "generate+base")

COLD_LOAD = """
import json, sys, time
started = time.perf_counter()
import torch, transformers, peft
from codegen_bot.adapters.engines.hf.hf_config import HFConfig
from codegen_bot.adapters.engines.hf.loading import load_model
imported = time.perf_counter()
model = load_model(HFConfig(sys.argv[1], sys.argv[2], device=sys.argv[3]))
if model.device.type == "cuda":
    torch.cuda.synchronize()
done = time.perf_counter()
print(json.dumps({"import_s": imported - started, "load_s": done - imported}))
"""


@dataclass
class Result:
    """One variant at one batch size."""

    variant: str
    batch: int
    tokens_per_s: float
    #: None when the run was too short to tell decoding from the first token.
    decode_tokens_per_s: float | None
    roofline_tokens_per_s: float
    roofline_fraction: float | None
    ttft_ms: float
    first_call_s: float
    agreement: float | None = None


def make_tokenizer() -> PreTrainedTokenizerFast:
    """A small byte-level BPE: the benchmark feeds token ids, the engine only needs pad and eos."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=["<|endoftext|>", "<|pad|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator([Path(__file__).read_text(encoding="utf-8")], trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, eos_token="<|endoftext|>", pad_token="<|pad|>"
    )


def build(folder: Path, adapters: Path, shape: str, device: str, rank: int) -> None:
    """Save a random model of `shape`, its tokenizer, and a random rank-`rank` LoRA adapter."""
    torch.manual_seed(0)
    tokenizer = make_tokenizer()
    config = Qwen2Config(
        **SHAPES[shape],
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
        tie_word_embeddings=True,
    )
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    with torch.device(device):
        model = Qwen2ForCausalLM(config).to(dtype)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    lora = LoraConfig(
        r=rank, lora_alpha=2 * rank, target_modules="all-linear", init_lora_weights=False
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # peft calls a deprecated transformers API
        peft_model = get_peft_model(model, lora)
    target = adapter_folder(adapters, "docs", "bench")
    peft_model.save_pretrained(target)
    AdapterMetadata(
        task="docs",
        version="bench",
        base_model=folder.name,
        base_fingerprint=model_fingerprint(folder),
    ).save(target)
    del peft_model, model
    if device.startswith("cuda"):
        torch.cuda.empty_cache()


def cold_load(folder: Path, adapters: Path, device: str) -> dict[str, float]:
    """Import and load in a fresh process, as a workflow run without a warm server pays it."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", COLD_LOAD, str(folder), str(adapters), device],
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["process_s"] = time.perf_counter() - started
    return figures


def weight_bytes(model: LoadedModel) -> int:
    """Bytes of base weights one decode step reads (LoRA factors aside; tied embeddings once)."""
    seen: set[int] = set()
    total = 0
    for name, parameter in model.model.named_parameters():
        if "lora_" in name or parameter.data_ptr() in seen:
            continue
        seen.add(parameter.data_ptr())
        total += parameter.numel() * parameter.element_size()
    return total


def kv_bytes_per_token(model: LoadedModel) -> int:
    """Bytes of keys and values one token holds in the cache, over all layers."""
    config = model.model.config
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    element = 2 if model.device.type == "cuda" else 4
    return config.num_hidden_layers * 2 * config.num_key_value_heads * head_dim * element


def _sync(model: LoadedModel) -> None:
    if model.device.type == "cuda":
        torch.cuda.synchronize()


def run_variant(
    model: LoadedModel, variant: str, rows: list[Row], repeat: int
) -> tuple[list[list[int]], float, float, float]:
    """Return tokens, first-call time, best time to first token and best total time."""
    path, kind = variant.split("+")
    adapter = None if kind == "base" else "docs"
    options: dict[str, Any] = {"path": "fast" if path == "fast" else "generate", "eos_ids": ()}
    if kind == "unmerged":
        options["merge"] = False
    first_rows = [Row(r.ids, 1) for r in rows]

    def timed(batch: list[Row]) -> tuple[list[list[int]], float]:
        _sync(model)
        started = time.perf_counter()
        decoded = model.decode_rows(adapter, batch, Sampling(), **options)
        _sync(model)
        return [d.ids for d in decoded], time.perf_counter() - started

    tokens, first_call = timed(rows)
    timed(first_rows)  # the one-token shape may be a graph of its own
    ttft = min(timed(first_rows)[1] for _ in range(repeat))
    total = min(timed(rows)[1] for _ in range(repeat))
    return tokens, first_call, ttft, total


def agreement(a: list[list[int]], b: list[list[int]]) -> float:
    """Share of positions where two runs chose the same token, up to their first difference."""
    same = total = 0
    for x, y in zip(a, b, strict=True):
        total += len(x)
        for p, q in zip(x, y, strict=False):
            if p != q:
                break
            same += 1
    return same / max(total, 1)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=sorted(SHAPES), default="qwen2-1.5b")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batches", default="1,8,32")
    parser.add_argument("--prompt", type=int, default=512)
    parser.add_argument("--new", type=int, default=128)
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--hbm-tbps", type=float, default=3.0, help="measured HBM bandwidth")
    parser.add_argument("--compile", choices=("auto", "on", "off"), default="auto")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    batches = [int(b) for b in args.batches.split(",")]
    variants = [v for v in args.variants.split(",") if v]
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variants {', '.join(sorted(unknown))}")

    with tempfile.TemporaryDirectory(prefix="codegen-bench-") as scratch:
        folder, adapters = Path(scratch) / f"random-{args.shape}", Path(scratch) / "adapters"
        started = time.perf_counter()
        build(folder, adapters, args.shape, args.device, args.rank)
        print(f"built and saved the random model in {time.perf_counter() - started:.1f} s")
        cold = cold_load(folder, adapters, args.device)
        config = HFConfig(
            str(folder),
            str(adapters),
            device=args.device,
            max_batch=max(batches),
            compile=args.compile,
        )
        model = load_model(config)
        results = measure(model, args, batches, variants)

    print_table(results, cold, model.load_seconds, args)
    if args.json:
        payload = {
            "shape": args.shape,
            "device": str(model.device),
            "gpu": torch.cuda.get_device_name() if model.device.type == "cuda" else None,
            "prompt": args.prompt,
            "new": args.new,
            "rank": args.rank,
            "hbm_tbps": args.hbm_tbps,
            "cold_load": cold,
            "warm_load_s": model.load_seconds,
            "results": [asdict(r) for r in results],
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


def measure(
    model: LoadedModel, args: argparse.Namespace, batches: list[int], variants: list[str]
) -> list[Result]:
    """Every variant at every batch size, with agreement against `generate` where both ran."""
    generator = torch.Generator().manual_seed(1)
    vocab = model.model.config.vocab_size
    step_weights = weight_bytes(model)
    per_token = kv_bytes_per_token(model)
    results: list[Result] = []
    for batch in batches:
        ids = torch.randint(3, vocab, (batch, args.prompt), generator=generator).tolist()
        rows = [Row(row, args.new) for row in ids]
        tokens: dict[str, list[list[int]]] = {}
        for variant in variants:
            tokens[variant], first, ttft, total = run_variant(model, variant, rows, args.repeat)
            # Bytes one decode step reads: all weights, and each row's cache at its mean length.
            step_bytes = step_weights + per_token * batch * (args.prompt + args.new / 2)
            roofline = batch / (step_bytes / (args.hbm_tbps * 1e12))
            decode = batch * (args.new - 1) / (total - ttft) if total > ttft else None
            results.append(
                Result(
                    variant=variant,
                    batch=batch,
                    tokens_per_s=batch * args.new / total,
                    decode_tokens_per_s=decode,
                    roofline_tokens_per_s=roofline,
                    roofline_fraction=None if decode is None else decode / roofline,
                    ttft_ms=ttft * 1000,
                    first_call_s=first,
                )
            )
        for result in results[-len(variants) :]:
            path, kind = result.variant.split("+")
            reference = f"generate+{'adapter' if kind == 'unmerged' else kind}"
            if path == "fast" and reference in tokens:
                result.agreement = agreement(tokens[result.variant], tokens[reference])
    return results


def print_table(
    results: list[Result], cold: dict[str, float], warm_load: float, args: argparse.Namespace
) -> None:
    """The figures, then the goals of issue 6 against what was measured."""
    print(
        f"\nshape {args.shape}, prompt {args.prompt}, {args.new} new tokens, LoRA r={args.rank}, "
        f"roofline at {args.hbm_tbps} TB/s\n"
    )
    header = (
        f"{'variant':<18}{'batch':>6}{'tok/s':>10}{'decode/s':>10}{'roofline/s':>12}"
        f"{'of roof':>9}{'TTFT ms':>9}{'1st call s':>11}{'agree':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        agree = "" if r.agreement is None else f"{r.agreement:.3f}"
        decode = "n/a" if r.decode_tokens_per_s is None else f"{r.decode_tokens_per_s:.0f}"
        share = "n/a" if r.roofline_fraction is None else f"{r.roofline_fraction:.1%}"
        print(
            f"{r.variant:<18}{r.batch:>6}{r.tokens_per_s:>10.0f}{decode:>10}"
            f"{r.roofline_tokens_per_s:>12.0f}{share:>9}{r.ttft_ms:>9.1f}"
            f"{r.first_call_s:>11.2f}{agree:>7}"
        )
    print(
        f"\nmodel load, cold process: {cold['process_s']:.1f} s "
        f"(imports {cold['import_s']:.1f} s, load {cold['load_s']:.1f} s); "
        f"warm server: 0 s per request (loaded once in {warm_load:.1f} s at start)"
    )
    served = {r.batch: r for r in results if r.variant == "fast+adapter"}
    base = {r.batch: r for r in results if r.variant == "fast+base"}
    if served:
        smallest, largest = served[min(served)], served[max(served)]
        # Decode speed is total time minus time to first token: too short a run cannot show it.
        fraction = smallest.roofline_fraction
        print(
            f"goal: >=50% of roofline at batch {smallest.batch}: "
            + ("n/a (run too short to time)" if fraction is None else f"{fraction:.1%}")
        )
        rate = largest.decode_tokens_per_s
        print(
            f"goal: >=8000 tok/s at batch {largest.batch}: "
            + ("n/a (run too short to time)" if rate is None else f"{rate:.0f}")
        )
        for batch in sorted(set(served) & set(base)):
            with_lora, without = served[batch].tokens_per_s, base[batch].tokens_per_s
            print(f"goal: LoRA costs <=10% at batch {batch}: {1 - with_lora / without:.1%}")


if __name__ == "__main__":
    main()
