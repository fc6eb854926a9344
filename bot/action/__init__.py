"""What the GitHub Action runs: event, job, propose, publish; and `/codegen` slash commands.

A slash command is typed in a pull request comment; it is not a CLI command (cli/).

May import adapters/ and refactor/, and other rooms of bot/.
"""
