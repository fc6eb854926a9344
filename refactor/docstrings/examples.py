"""Doctest examples in a docstring: find them, or take them out with the heading left empty.

An example's expected output is a claim about what the code returns. The bot proposes a
docstring only when it can prove what it says, and it does not run examples a model wrote, so
a model's docstring must hold none, and an adapter learns the project's docstrings without them.
"""

from __future__ import annotations

import re

#: Headings of a section that holds only examples (Google "Examples:", numpy "Examples" + rule).
_HEADING = re.compile(r"^\s*(?:examples?|usage|doctests?)\s*:*\s*$", re.I)
_RULE = re.compile(r"^\s*[-=~^]{3,}\s*$")


def _prompt(line: str) -> bool:
    stripped = line.lstrip()
    return stripped.startswith(">>>") and (len(stripped) == 3 or stripped[3] in " \t")


def has_examples(text: str) -> bool:
    """Whether the docstring holds a doctest example (a `>>>` prompt line)."""
    return any(_prompt(line) for line in text.splitlines())


def without_examples(text: str) -> str:
    """The docstring with its doctest examples and their outputs taken out.

    An example runs from its `>>>` line to the next blank line; a code fence or a heading whose
    section held only examples goes with them, and runs of blank lines left behind become one.
    """
    kept: list[str] = []
    in_example = False
    for line in text.splitlines():
        stripped = line.strip()
        in_example = _prompt(line) or (in_example and bool(stripped))
        if not in_example:
            kept.append(line)
    return _tidy(_drop_empty_headings(_drop_empty_fences(kept)))


def _drop_empty_fences(lines: list[str]) -> list[str]:
    """Lines without Markdown code fences (```pycon ... ```) that held only the examples."""
    out: list[str] = []
    index = 0
    while index < len(lines):
        if lines[index].strip().startswith("```"):
            close = next(
                (j for j in range(index + 1, len(lines)) if lines[j].strip() == "```"), None
            )
            if close is not None and not any(line.strip() for line in lines[index + 1 : close]):
                index = close + 1
                continue
        out.append(lines[index])
        index += 1
    return out


def _drop_empty_headings(lines: list[str]) -> list[str]:
    """Lines without example headings (and their rules) that head nothing but blank lines."""
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if _HEADING.match(line):
            after = index + 1
            if after < len(lines) and _RULE.match(lines[after]):
                after += 1
            rest = lines[after:]
            body = next((i for i, later in enumerate(rest) if later.strip()), len(rest))
            ends = body == len(rest)
            if ends or (_indent(rest[body]) <= _indent(line) and _section(rest, body)):
                index = after
                continue
        out.append(line)
        index += 1
    return out


def _section(rest: list[str], body: int) -> bool:
    """Whether the line at `body` starts a new section (a heading), not the examples' prose."""
    line = rest[body]
    ruled = body + 1 < len(rest) and _RULE.match(rest[body + 1]) is not None
    return ruled or line.rstrip().endswith(":")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _tidy(lines: list[str]) -> str:
    out: list[str] = []
    for line in lines:
        if not line.strip() and (not out or not out[-1].strip()):
            continue
        out.append(line.rstrip())
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out)
