"""Which files one night looks at: a bounded set, rotating through the repository by date.

Pure and stateless: the same repository and date always give the same files, and successive
dates give different ones, so nights cover the whole repository in turn without remembering
anything. Recently changed files come first: up to half of the night's slots rotate through
the files changed in the last days (most recent first), the rest through all other files in
path order. `.github/` and test code are never chosen.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass

from codegen_bot.bot.config import Config, glob_match
from codegen_bot.refactor.targets import is_test_file


def exclusion(path: str, config: Config) -> str | None:
    """Why a file is never refactored at night; None when it may be."""
    if path.startswith(".github/") or "/.github/" in path:
        return "under .github/"
    if not path.endswith(".py"):
        return "not a Python file"
    if is_test_file(path):
        return "test code"
    rules = config.nightly
    if not config.wants(path) or not any(glob_match(path, g) for g in rules.include):
        return "not included by the configuration"
    if any(glob_match(path, g) for g in rules.exclude):
        return "excluded by nightly.exclude"
    return None


@dataclass(frozen=True)
class Selection:
    """The night's files in the order they are worked on, and how they were chosen."""

    files: tuple[str, ...]
    recent: tuple[str, ...]  # those of `files` chosen as recently changed
    eligible: int  # files the rotation goes through
    recently_changed: int  # eligible files changed within `recent_days`

    def describe(self, night: datetime.date) -> str:
        """One sentence for the report."""
        return (
            f"night of {night.isoformat()}: {len(self.files)} of {self.eligible} eligible files "
            f"({len(self.recent)} of the {self.recently_changed} changed recently, the rest in "
            "rotation)"
        )


def _window(items: Sequence[str], count: int, night: int) -> list[str]:
    """`count` items starting where night number `night` leaves off, wrapping around."""
    if count <= 0 or not items:
        return []
    start = (night * count) % len(items)
    picked = {(start + step) % len(items) for step in range(min(count, len(items)))}
    return [items[index] for index in sorted(picked)]


def select_files(
    paths: Sequence[str], recent: Sequence[str], night: datetime.date, max_files: int
) -> Selection:
    """The files night `night` works on, from the eligible `paths`.

    `recent` lists recently changed files, most recent first (others are ignored). Each night
    takes the next window of each list: the recent window keeps their order, most recent first.
    """
    allowed = set(paths)
    recent_list = [path for path in dict.fromkeys(recent) if path in allowed]
    recent_set = set(recent_list)
    others = sorted(path for path in allowed if path not in recent_set)
    recent_slots = min(len(recent_list), math.ceil(max_files / 2) if others else max_files)
    other_slots = min(len(others), max_files - recent_slots)
    recent_slots = min(len(recent_list), max_files - other_slots)  # give back unused slots
    day = night.toordinal()
    chosen_recent = _window(recent_list, recent_slots, day)
    chosen_others = _window(others, other_slots, day)
    return Selection(
        files=tuple(chosen_recent + chosen_others),
        recent=tuple(chosen_recent),
        eligible=len(allowed),
        recently_changed=len(recent_list),
    )
