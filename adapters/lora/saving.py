"""A training run's state on disk: checkpoints to resume from, and the finished adapter.

A checkpoint is one file, `<version folder>/checkpoint/state.pt`, replaced atomically, so a run
killed at any moment leaves the previous one whole. The finished adapter is written so that
the engine never sees half of it: peft's weights and the metadata first, `adapter_config.json`
(what makes a version folder count) last, and the checkpoint removed after.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import torch

from codegen_bot.adapters.lora.layout import CHECKPOINT_DIR, CHECKPOINT_STATE, PEFT_CONFIG
from codegen_bot.adapters.lora.metadata import AdapterMetadata


def save_checkpoint(
    folder: Path, fingerprint: str, model: Any, optimizer: Any, state: dict[str, Any]
) -> Path:
    """Write the run's state to `<folder>/checkpoint/state.pt`, replacing the last atomically."""
    folder = folder / CHECKPOINT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    payload = {
        **state,
        "fingerprint": fingerprint,
        "lora": {n: p.detach().cpu() for n, p in model.named_parameters() if p.requires_grad},
        "optimizer": optimizer.state_dict(),
        "rng_cpu": torch.get_rng_state(),
        "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }
    partial = folder / (CHECKPOINT_STATE + ".partial")
    torch.save(payload, partial)
    os.replace(partial, folder / CHECKPOINT_STATE)  # a kill leaves the previous checkpoint whole
    return folder / CHECKPOINT_STATE


def load_checkpoint(folder: Path, fingerprint: str, model: Any, optimizer: Any) -> dict[str, Any]:
    """Restore LoRA weights, optimiser and RNG states; return the run's state to continue."""
    path = folder / CHECKPOINT_DIR / CHECKPOINT_STATE
    if not path.is_file():
        raise ValueError(f"no checkpoint to resume from in {folder}")
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if payload.get("fingerprint") != fingerprint:
        raise ValueError(
            f"the checkpoint in {folder} was written for other data or settings; "
            "resume with the same dataset and flags, or start a new version"
        )
    parameters = dict(model.named_parameters())
    with torch.no_grad():
        for name, value in payload["lora"].items():
            parameters[name].copy_(value)
    optimizer.load_state_dict(payload["optimizer"])
    torch.set_rng_state(payload["rng_cpu"])
    if payload["rng_cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(payload["rng_cuda"])
    keys = ("step", "losses", "tokens", "seconds", "before")
    return {key: payload[key] for key in keys}


def save_adapter(model: Any, folder: Path, metadata: AdapterMetadata) -> Path:
    """Save the adapter into `folder` with its metadata; `adapter_config.json` goes in last."""
    staging = folder / ".saving"
    shutil.rmtree(staging, ignore_errors=True)
    model.save_pretrained(str(staging))
    for item in staging.iterdir():
        if item.name != PEFT_CONFIG:
            os.replace(item, folder / item.name)
    metadata.save(folder)
    os.replace(staging / PEFT_CONFIG, folder / PEFT_CONFIG)
    shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(folder / CHECKPOINT_DIR, ignore_errors=True)
    return folder
