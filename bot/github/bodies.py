"""Every text the bot writes to GitHub fits GitHub's limit: `fit(body)`, the one place that cuts.

GitHub refuses a comment, review, review comment or pull request body over 65,536 characters
(422 "Body is too long"), after the rest of the run may already have been written. So every
body passes through `fit` before it is compared or sent: a body within the limit is returned
unchanged; a longer one is cut at a line boundary, an open code fence or `<details>` block is
closed, a line says how much was left out, and every hidden marker line is kept, so the bot
still recognises its own text. `fit` is idempotent: fitting a fitted body changes nothing.
"""

from __future__ import annotations

import re

#: GitHub's limit is 65,536 characters; stay below it with room for GitHub's own counting.
MAX_CHARS = 60_000

_MARKER = re.compile(r"<!-- codegen:[a-z-]+ \{.*?\} -->")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")


def _closers(kept: list[str]) -> list[str]:
    """The lines that close what `kept` left open: a code fence, then `<details>` blocks."""
    fence: str | None = None
    details = 0
    for line in kept:
        match = _FENCE.match(line)
        if match:
            ticks = match.group(1)
            if fence is None:
                fence = ticks
            elif ticks[0] == fence[0] and len(ticks) >= len(fence) and line.strip() == ticks:
                fence = None
            continue
        if fence is None:
            details += line.count("<details>") - line.count("</details>")
    closers = [fence] if fence is not None else []
    return closers + ["</details>"] * max(0, details)


def left_out_line(lines: int, chars: int) -> str:
    """The line that says how much of a body was cut."""
    plural = "s" if lines != 1 else ""
    return (
        f"*… {lines} more line{plural} ({chars:,} characters) left out to fit GitHub's limit;"
        " the JSON report of the run has everything.*"
    )


def fit(body: str, limit: int = MAX_CHARS) -> str:
    """Return `body` if it fits in `limit` characters, else its cut version (see the module)."""
    if len(body) <= limit:
        return body
    lines = body.split("\n")
    marks = [m.group(0) for line in lines for m in _MARKER.finditer(line)]
    reserve = sum(len(m) + 1 for m in marks) + 400  # markers, closers and the left-out line
    kept: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > limit - reserve:
            break
        kept.append(line)
        used += len(line) + 1
    if not kept and lines:  # one huge first line: cut inside it
        kept.append(lines[0][: max(0, limit - reserve - 1)])
    rest = lines[len(kept) :]
    dropped = "\n".join(rest)
    lost = [m for m in marks if m not in "\n".join(kept)]
    tail = ["", left_out_line(len(rest), len(dropped)), *lost]
    return "\n".join([*kept, *_closers(kept), *tail])
