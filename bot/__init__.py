"""The bot: CLI, configuration, events, orchestration, and publishing to GitHub or a report."""

__version__ = "0.1.0"
