r"""Unified diffs that `git apply` accepts, and the line replacement a review suggestion needs.

Lines are counted as git counts them: only `\n` ends a line. `str.splitlines` also breaks at a
form feed, U+2028 and other separators, which would shift every line number after one.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

_NO_NEWLINE = "\\ No newline at end of file\n"


def git_lines(text: str) -> list[str]:
    r"""Split `text` into lines as git does: after each `\n`, which each line keeps."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    return [*lines, parts[-1]] if parts[-1] else lines


def unified_diff(path: str, before: str, after: str, context: int = 3) -> str:
    """Return a git-style unified diff of one file, empty when nothing changed.

    Line endings are kept as they are (CRLF files stay CRLF), and a missing newline at the end
    of either side is marked the way git marks it.
    """
    if before == after:
        return ""
    old = git_lines(before)
    new = git_lines(after)
    lines = [f"diff --git a/{path} b/{path}\n"]
    for line in difflib.unified_diff(old, new, f"a/{path}", f"b/{path}", n=context):
        if line.startswith(("---", "+++")):
            lines.append(line.rstrip("\n") + "\n")
        elif line.endswith("\n"):
            lines.append(line)
        else:
            lines.append(line + "\n" + _NO_NEWLINE)
    return "".join(lines)


@dataclass(frozen=True)
class Replacement:
    """Lines `start..end` (1-based, inclusive) of the old file become `text`.

    This is exactly what a GitHub suggestion block says: the commented lines are replaced by the
    block's contents.
    """

    start: int
    end: int
    text: str


def line_replacement(before: str, after: str) -> Replacement | None:
    """Return the single smallest line range of `before` whose replacement gives `after`.

    A pure insertion after line N is anchored on line N (the suggestion repeats it), since a
    suggestion must replace at least one existing line. None when the texts are equal.
    """
    if before == after:
        return None
    old = git_lines(before)
    new = git_lines(after)
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while (
        tail < min(len(old), len(new)) - head
        and old[len(old) - 1 - tail] == new[len(new) - 1 - tail]
    ):
        tail += 1
    start, old_end, new_end = head, len(old) - tail, len(new) - tail
    if start == old_end:  # nothing removed: widen to the line before the insertion
        if start == 0:
            old_end += 1
            new_end += 1
        else:
            start -= 1
    return Replacement(start=start + 1, end=old_end, text="".join(new[start:new_end]))


def new_file_patch(path: str, text: str) -> str:
    """Return the git patch that creates `path` with `text` (`git apply` accepts it)."""
    lines = git_lines(text)
    body = [line if line.endswith("\n") else line + "\n" + _NO_NEWLINE for line in lines]
    return (
        f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n"
        f"@@ -0,0 +1,{len(lines)} @@\n" + "".join(f"+{line}" for line in body)
    )
