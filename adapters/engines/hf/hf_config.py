"""How the `hf` engine loads and runs its model: one frozen value, from flags and defaults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Decode = Literal["fast", "generate"]
Switch = Literal["auto", "on", "off"]


@dataclass(frozen=True)
class HFConfig:
    """Where the model and adapters are, and how to decode with them.

    `decode="fast"` is codegen's own loop: a static KV cache, the active task's adapter merged
    into the weights, and (where `compile` allows, by default on CUDA) the one-token step compiled
    with CUDA graphs. `decode="generate"` is transformers' `generate` with the adapter unmerged.
    Both give the same greedy tokens; the fast one is the default.
    """

    #: A local folder, or a hub id when `allow_download` is set.
    model: str
    #: `ADAPTERS_DIR/<task>/<version>/` (see `adapters.lora.layout`); None runs the base model.
    adapters_dir: str | None = None
    #: Pinned adapter versions per task; tasks not named get their latest version.
    adapter_versions: Mapping[str, str] = field(default_factory=dict)
    #: "auto" (CUDA when available), "cpu", "cuda" or "cuda:N".
    device: str = "auto"
    allow_download: bool = False
    decode: Decode = "fast"
    #: torch.compile the decode step; "auto" compiles on CUDA only (a CPU gains nothing).
    compile: Switch = "auto"
    #: torch.compile's backend; "eager" only traces the step (tests use it on the CPU).
    compile_backend: str = "inductor"
    #: Fast path: merge the active task's adapter into the weights (exact base weights kept aside).
    merge: bool = True
    #: Sequences decoded together; larger groups are split.
    max_batch: int = 32
    #: Static caches are sized in steps of this many tokens, so compiled shapes repeat.
    cache_step: int = 128
    #: Say on stderr which adapter version each task runs with, and why.
    announce: bool = True
