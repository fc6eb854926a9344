"""Which lines of the new file a unified diff touches, parsed from its hunk headers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class Hunk:
    """One hunk: `old_start/old_count` lines of the old file became `new_start/new_count`."""

    old_start: int
    old_count: int
    new_start: int
    new_count: int

    @property
    def new_lines(self) -> range:
        """The lines of the new file this hunk covers (empty for a pure deletion)."""
        return range(self.new_start, self.new_start + self.new_count)


@dataclass(frozen=True)
class FileChanges:
    """The touched lines of one file in the new revision.

    `added` holds lines added or rewritten; `deleted_after` holds the line numbers after which
    lines were only deleted (0 means at the top of the file).
    """

    added: frozenset[int] = field(default_factory=frozenset)
    deleted_after: frozenset[int] = field(default_factory=frozenset)

    def touches(self, start: int, end: int) -> bool:
        """Whether the change adds a line in `start..end` or deletes lines inside that span."""
        if any(start <= line <= end for line in self.added):
            return True
        return any(start <= line < end for line in self.deleted_after)


def parse_hunks(patch: str) -> list[Hunk]:
    """Return the hunks of a unified diff, from their `@@ -a,b +c,d @@` headers."""
    hunks = []
    for line in patch.splitlines():
        match = _HUNK_HEADER.match(line)
        if match:
            old_start, old_count, new_start, new_count = match.groups()
            hunks.append(
                Hunk(
                    old_start=int(old_start),
                    old_count=1 if old_count is None else int(old_count),
                    new_start=int(new_start),
                    new_count=1 if new_count is None else int(new_count),
                )
            )
    return hunks


def changed_lines(patch: str) -> FileChanges:
    """Return the lines of the new file that a unified diff adds, and where it only deletes.

    Works on diffs with any amount of context: context lines inside a hunk are not counted.
    """
    added: set[int] = set()
    deleted_after: set[int] = set()
    new_line = 0
    pending_deletion = False
    for line in patch.splitlines():
        match = _HUNK_HEADER.match(line)
        if match:
            if pending_deletion:
                deleted_after.add(new_line - 1)
            new_line = int(match.group(3))
            # A pure deletion's header names the line *before* the removed lines.
            if match.group(4) == "0":
                new_line += 1
            pending_deletion = False
            continue
        if new_line == 0 or line.startswith("\\"):
            continue
        if line.startswith("+"):
            added.add(new_line)
            new_line += 1
            pending_deletion = False
        elif line.startswith("-"):
            pending_deletion = True
        else:
            if pending_deletion:
                deleted_after.add(new_line - 1)
                pending_deletion = False
            new_line += 1
    if pending_deletion:
        deleted_after.add(new_line - 1)
    return FileChanges(added=frozenset(added), deleted_after=frozenset(deleted_after))
