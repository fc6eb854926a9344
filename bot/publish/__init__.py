"""Everything that writes to GitHub: the side that holds the write token.

The review and its summary, the inline-suggestion plan, branches and pull requests
(tests, nightly). It runs no pull-request code: review this room alone to see what the
bot can change on GitHub.

May import bot's top, bot/github, bot/nightly (pure text) and refactor/; never a task.
"""
