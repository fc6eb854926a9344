"""LoRA adapters from the repository's own history: mining, training, eval, metadata.

The pure miners, datasets, the training loop, eval figures, and where adapters live.
The parts that run the bot's own tasks (mining through git, eval through the tasks)
are in bot/lora.

May import adapters/engines, adapters/prompts and refactor/.
"""
