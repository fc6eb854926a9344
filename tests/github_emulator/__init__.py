"""A local GitHub API emulator: a real HTTP server on 127.0.0.1 that PyGithub talks to."""

from tests.github_emulator.server import Emulator, Exchange, Fault
from tests.github_emulator.state import FileEntry, State

__all__ = ["Emulator", "Exchange", "Fault", "FileEntry", "State"]
