"""Which task adapter the weights run with, merged into them or beside them.

Merging the active task's LoRA delta into the base weights makes a decode step cost what the
base model's does (no extra matmuls per layer). Switching tasks restores the exact base weights
from a copy kept aside (on the CPU), never by subtracting the delta back: in bf16 that would
drift a little at every switch of a long-lived server.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from peft.tuners.lora import LoraLayer


class AdapterWeights:
    """The adapter state of one peft model (or of a plain model, which has none)."""

    def __init__(self, peft_model: Any | None) -> None:
        self.peft_model = peft_model
        self.merged: str | None = None
        self._saved: dict[str, Any] = {}  # module name -> exact base weight, on the CPU
        self._touched: list[str] = []  # modules whose weight holds the merged delta

    def _lora_layers(self) -> Iterator[tuple[str, Any]]:
        assert self.peft_model is not None
        for name, module in self.peft_model.named_modules():
            if isinstance(module, LoraLayer):
                yield name, module

    def mergeable(self, adapter: str) -> bool:
        """Whether `adapter` is a plain LoRA whose delta can be added to the weights."""
        if self.peft_model is None:
            return False
        config = self.peft_model.peft_config[adapter]
        if not str(getattr(config, "peft_type", "")).endswith("LORA"):
            return False
        return not getattr(config, "use_dora", False) and not getattr(config, "lora_bias", False)

    def merge(self, adapter: str) -> None:
        """Make the weights hold the base weights plus `adapter`'s delta (a no-op when they do)."""
        if self.merged == adapter:
            return
        self.restore()
        with torch.no_grad():
            for name, layer in self._lora_layers():
                embeddings = getattr(layer, "lora_embedding_A", {})
                if adapter not in layer.lora_A and adapter not in embeddings:
                    continue
                weight = layer.get_base_layer().weight
                if name not in self._saved:
                    saved = weight.detach().to("cpu", copy=True)
                    self._saved[name] = saved.pin_memory() if weight.is_cuda else saved
                delta = layer.get_delta_weight(adapter)
                # One rounding, in the weights' own dtype, of the exact sum.
                weight.copy_((weight.float() + delta.float()).to(weight.dtype))
                self._touched.append(name)
        self.merged = adapter

    def restore(self) -> None:
        """Put the exact base weights back."""
        if self.merged is None or self.peft_model is None:
            return
        modules = dict(self.peft_model.named_modules())
        with torch.no_grad():
            for name in self._touched:
                modules[name].get_base_layer().weight.copy_(self._saved[name], non_blocking=True)
        self._touched = []
        self.merged = None

    @contextmanager
    def active(self, adapter: str | None, merged: bool) -> Iterator[None]:
        """Run the body with `adapter` (None: the base model), merged into the weights or not."""
        model = self.peft_model
        if model is None:
            yield
            return
        if adapter is None or merged:
            if adapter is None:
                self.restore()
            else:
                self.merge(adapter)
            with model.disable_adapter():
                yield
            return
        self.restore()
        model.set_adapter(adapter)
        yield
