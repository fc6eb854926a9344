"""Engines that turn targets into candidate texts, their prompts, serving, LoRA adapters.

`engines/` (heuristic, hf, openai), `prompts/`, `serve/` (`codegen serve`) and `lora/`
(training, layout, metadata).

May import refactor/ (target types and gates); never bot/.
"""
