"""The three task pipelines, a room each, and the pipeline that runs them on a diff.

`run_context` is what engines are told about the repository (not the Action's context).
`adapter_history` and `adapter_eval` are what adapters/lora asks of the bot: a repository's
history to mine, and these very tasks to evaluate an adapter with.

May import bot's top, bot/workspace, bot/github (markers), adapters/ and refactor/;
never bot/publish: proposing holds no write token.
"""
