"""The tests task: facts gathered once per job, then new tests proven in the sandbox.

May import bot's top, bot/workspace, bot/tasks, adapters/ and refactor/.
"""
