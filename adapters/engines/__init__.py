"""The engine interface, completions as values, and the engines: heuristic, hf, openai.

`base` is `propose(task, targets)`; `prompted` is the model engine over any completer;
`registry` picks an engine by name.

May import adapters/prompts, adapters/lora (layout, metadata) and refactor/.
"""
