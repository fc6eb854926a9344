"""LoRA adapters from the repository's own history: mining, training, eval, metadata.

The pure miners and the mining run, datasets, the training loop, eval and promotion, and
where adapters live. The repository's history and the bot's own tasks come in as values
(`mining.run.History`, `evaluation.EvalTasks`) that bot/tasks builds, so the whole life of an
adapter is read here without an import back up into the bot.

May import adapters/engines, adapters/prompts and refactor/.
"""
