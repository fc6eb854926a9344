"""The docs task: which touched definitions deserve a docstring, and proving each one.

May import bot's top, bot/workspace, bot/tasks, adapters/ and refactor/.
"""
