"""The nightly job: the night's files, its proven refactorings, its pull request's text.

All pure or local; putting the pull request on GitHub lives in publish/.

May import bot's top, bot/github (markers), bot/workspace, bot/tasks, adapters/ and
refactor/.
"""
