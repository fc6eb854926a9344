"""The refactor task: rewrites of existing functions, each proven not to change behaviour.

May import bot's top, bot/workspace, bot/tasks, adapters/ and refactor/.
"""
