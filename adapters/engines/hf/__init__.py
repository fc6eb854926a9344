"""The `hf` engine: a transformers model with one peft LoRA adapter per task, in this process.

`hf_config` imports nothing heavy; the other modules import torch, so the registry and
`codegen serve` import them only when a model is asked for.

May import adapters/engines, adapters/prompts and adapters/lora (layout, metadata).
"""
