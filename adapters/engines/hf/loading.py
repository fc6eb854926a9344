"""Load the base model, its tokenizer and one LoRA adapter per task, side by side."""

from __future__ import annotations

import hashlib
import os
import struct
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import torch
from huggingface_hub import snapshot_download
from huggingface_hub.errors import HfHubHTTPError
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer
from transformers.utils import logging as hf_logging

from codegen_bot.adapters.engines.base import TASKS, EngineError
from codegen_bot.adapters.engines.hf.gguf import ensure_converted, is_gguf
from codegen_bot.adapters.engines.hf.hf_config import HFConfig
from codegen_bot.adapters.engines.hf.model import LoadedModel
from codegen_bot.adapters.lora.layout import AdapterRef, choose_adapter

_SAMPLE_BYTES = 1 << 16
_DOWNLOAD_PATTERNS = ["*.json", "*.safetensors", "*.txt", "*.model", "*.tiktoken"]


def model_fingerprint(folder: str | Path) -> str:
    """A short hash naming a model folder's contents, independent of where the folder is.

    It reads `config.json`, every weight file's name and size, each safetensors header (names,
    shapes, dtypes) and the first 64 KiB of tensor data: cheap for a 15 GB model, and different
    for different weights. Adapter metadata records it, so an adapter is never run on another base.
    """
    folder = Path(folder)
    digest = hashlib.sha256()
    config = folder / "config.json"
    if config.is_file():
        digest.update(config.read_bytes())
    for weights in sorted([*folder.glob("*.safetensors"), *folder.glob("*.bin")]):
        digest.update(f"{weights.name}:{weights.stat().st_size}".encode())
        with weights.open("rb") as stream:
            if weights.suffix == ".safetensors":
                (length,) = struct.unpack("<Q", stream.read(8))
                digest.update(stream.read(min(length, 1 << 26)))
            digest.update(stream.read(_SAMPLE_BYTES))
    return digest.hexdigest()[:12]


def resolve_model(config: HFConfig) -> tuple[Path, str]:
    """The model's local folder and its name; downloads from the hub only when allowed."""
    path = Path(config.model).expanduser()
    if is_gguf(path):
        return ensure_converted(path, os.environ, _stderr), path.name
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise EngineError(f"model folder {path} has no config.json")
        return path, path.resolve().name
    if not config.allow_download:
        raise EngineError(
            f"model {config.model!r} is not a folder on this machine; give a local path, "
            "or allow downloads from the Hugging Face hub (--allow-download)"
        )
    try:
        # Config, tokenizer and safetensors weights only: no duplicate .bin, ONNX or GGUF files.
        local = snapshot_download(config.model, allow_patterns=_DOWNLOAD_PATTERNS)
    except (HfHubHTTPError, OSError, ValueError) as error:
        raise EngineError(f"cannot download model {config.model!r}: {error}") from error
    return Path(local), config.model


def _stderr(line: str) -> None:
    print(f"codegen: {line}", file=sys.stderr, flush=True)


def resolve_device(name: str) -> torch.device:
    """`auto` is the first CUDA device when there is one, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as error:
        raise EngineError(f"unknown device {name!r}: {error}") from error
    if device.type == "cuda" and not torch.cuda.is_available():
        raise EngineError(f"device {name!r} asked for, but this machine has no CUDA device")
    return device


def find_adapters(config: HFConfig, fingerprint: str) -> dict[str, AdapterRef]:
    """Find each task's adapter under `config.adapters_dir`, checked against the base model."""
    if config.adapters_dir is None:
        if config.adapter_versions:
            raise EngineError("adapter versions are pinned, but no adapters directory is given")
        return {}
    found: dict[str, AdapterRef] = {}
    for task in TASKS:
        ref, why = choose_adapter(config.adapters_dir, task, config.adapter_versions.get(task))
        if config.announce:
            _stderr(f"adapter for {why}")
        if ref is None:
            continue
        trained_on = ref.metadata.base_fingerprint
        if trained_on and trained_on != fingerprint:
            raise EngineError(
                f"adapter {ref.label} was trained on base model {ref.metadata.base_model} "
                f"({trained_on}), not on this one ({fingerprint})"
            )
        found[task] = ref
    return found


def _attach_adapters(model: Any, adapters: dict[str, AdapterRef]) -> Any:
    """Wrap `model` in peft with every adapter loaded under its task's name."""
    wrapped: Any = model
    for index, (task, ref) in enumerate(adapters.items()):
        try:
            with warnings.catch_warnings():
                # peft calls transformers APIs that warn of their deprecation: noise to our users.
                warnings.simplefilter("ignore", FutureWarning)
                if index == 0:
                    wrapped = PeftModel.from_pretrained(model, str(ref.path), adapter_name=task)
                else:
                    wrapped.load_adapter(str(ref.path), adapter_name=task)
        except (OSError, ValueError, RuntimeError, KeyError) as error:
            raise EngineError(
                f"cannot load adapter {ref.label} from {ref.path}: {error}"
            ) from error
    return wrapped


def load_model(config: HFConfig) -> LoadedModel:
    """Load tokenizer, model (bf16 on CUDA, fp32 on CPU) and task adapters; raises EngineError."""
    started = time.perf_counter()
    path, name = resolve_model(config)
    device = resolve_device(config.device)
    fingerprint = model_fingerprint(path)
    adapters = find_adapters(config, fingerprint)

    # Progress bars per weight shard would drown codegen's own progress lines on stderr.
    hf_logging.disable_progress_bar()

    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        model: Any = AutoModelForCausalLM.from_pretrained(
            str(path), dtype=dtype, local_files_only=True
        )
    except (OSError, ValueError, KeyError) as error:
        raise EngineError(f"cannot load model {name} from {path}: {error}") from error
    tokenizer.padding_side = "left"
    if tokenizer.pad_token_id is None and tokenizer.eos_token is None:
        raise EngineError(f"the tokenizer of {name} has neither a padding nor an end-of-text token")
    if tokenizer.pad_token_id is None:
        # Left padding is masked out, so any token serves; the end-of-text token is the usual one.
        tokenizer.pad_token = tokenizer.eos_token
    model = _attach_adapters(model.to(device).eval(), adapters)
    model.requires_grad_(False)
    return LoadedModel(
        model=model,
        tokenizer=tokenizer,
        name=name,
        fingerprint=fingerprint,
        adapters=adapters,
        device=device,
        config=config,
        load_seconds=time.perf_counter() - started,
    )
