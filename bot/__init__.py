"""The bot: reads events and repositories, runs the tasks, publishes to GitHub or a report.

Its top holds what every room shares: `config` (one frozen value), `errors` (the one
exception tree), `report` (the run's result, a JSON contract) and `markdown` (that
report for people). The rooms: `github` (talks to GitHub), `action` (what the Action
runs), `workspace` (the reviewed repository), `tasks` (docs, tests, refactor), `nightly`,
`publish` (the write side), `lora` (adapters from history), `cli` (the subcommands).

May import adapters/ and refactor/; nothing below imports bot/.
"""

__version__ = "0.1.0"
