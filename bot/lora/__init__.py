"""LoRA adapters from history, the parts that drive the bot: mining and eval.

Mining reads history through the workspace; eval runs the real tasks. Training, layout
and metadata live in adapters/lora, below bot/, so that engines can load adapters.

May import adapters/ and refactor/, and other rooms of bot/.
"""
