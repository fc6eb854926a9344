"""Definition rewrites as line replacements of the base file, and any set of them applied together.

Each rewrite of one function becomes the `Replacement` of that function's lines in the base
file (what a publisher applies, bottom-up, to the base text). Any subset of a file's rewrites
can then be applied together, followed by removing the imports that the subset — and not the
base file — leaves unused: whether `List` is still needed depends on which functions changed.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from codegen_bot.refactor.edits.replace_definition import replace_definition
from codegen_bot.refactor.edits.unused_imports import ImportName, remove_newly_unused
from codegen_bot.refactor.patches import Replacement, git_lines, line_replacement
from codegen_bot.refactor.results import Failure, Result, Success
from codegen_bot.refactor.targets import Target


def definition_replacement(target: Target, new_code: str) -> Result[Replacement]:
    """The replacement of the target's lines in its file (`target.source`) by its rewrite.

    `new_code` is the whole new definition, at any indentation (see `replace_definition`); the
    replacement's text is it as placed in the file. Fails when the rewrite changes nothing or
    cannot be placed.
    """
    source, start, end = target.source, target.start, target.end
    if _in_place(target.code, new_code, target.name):
        # Already indented like the definition (ruff's fixes are): the lines are the change.
        text = (
            new_code
            if new_code.endswith("\n") or not target.code.endswith("\n")
            else new_code + "\n"
        )
        if text == target.code:
            return Failure("the rewrite is identical to the definition")
        return Success(Replacement(start, end, text))
    edited = replace_definition(source, target.def_line, target.name, new_code)
    if not isinstance(edited, Success):
        return edited
    changed = line_replacement(source, edited.value)
    if changed is None:
        return Failure("the rewrite is identical to the definition")
    before = git_lines(source)
    after = git_lines(edited.value)
    # Widen the smallest changed range to the whole definition: outside the changed range the
    # two texts are the same line for line, so the new lines are found by the length change.
    first, last = min(start, changed.start), max(end, changed.end)
    delta = len(after) - len(before)
    return Success(Replacement(first, last, "".join(after[first - 1 : last + delta])))


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _in_place(old: str, new: str, name: str) -> bool:
    """Whether `new` can replace the lines of `old` as it is.

    It must have the same indentation and line endings, and be exactly one definition of
    `name` (checked by parsing `new` alone, not the whole file).
    """
    if not old or not new or ("\r\n" in old) != ("\r\n" in new):
        return False
    indent = _indent(old)
    lines = [line for line in new.splitlines() if line.strip()]
    if not lines or _indent(lines[0]) != indent or not all(x.startswith(indent) for x in lines):
        return False
    try:
        module = cst.parse_module(textwrap.dedent(new))
    except cst.ParserSyntaxError:
        return False
    only = module.body[0] if len(module.body) == 1 else None
    return isinstance(only, cst.FunctionDef) and only.name.value == name


def apply_replacements(source: str, replacements: Sequence[Replacement]) -> Result[str]:
    """`source` with every replacement applied (bottom-up); fails when two of them overlap."""
    lines = git_lines(source)
    below = len(lines) + 1
    for replacement in sorted(replacements, key=lambda r: r.start, reverse=True):
        if replacement.end >= below or replacement.start < 1:
            return Failure(f"the changes to lines {replacement.start}-{replacement.end} overlap")
        lines[replacement.start - 1 : replacement.end] = git_lines(replacement.text)
        below = replacement.start
    return Success("".join(lines))


@dataclass(frozen=True)
class Combined:
    """A file after a set of rewrites, and the imports removed because they became unused."""

    text: str
    removed_imports: tuple[ImportName, ...] = ()


def combine(path: str, source: str, replacements: Sequence[Replacement]) -> Result[Combined]:
    """Apply `replacements` to `source`, then remove the imports they left unused."""
    applied = apply_replacements(source, replacements)
    if not isinstance(applied, Success):
        return applied
    cleaned = remove_newly_unused(source, applied.value, path)
    if not isinstance(cleaned, Success):
        return cleaned
    text, removed = cleaned.value
    return Success(Combined(text, removed))
