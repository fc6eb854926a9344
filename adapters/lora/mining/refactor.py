"""Refactoring pairs: function bodies rewritten without changing behaviour, before → after.

Two sources: commits that rewrote a function's body, kept its signature, touched no test and do
not call themselves fixes (so the repository's tests vouch for the old behaviour); and ruff's
safe fixes applied to the code at head.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst

from codegen_bot.adapters.lora.mining.docs import context_of, is_accepted_suggestion
from codegen_bot.adapters.lora.mining.records import CommitChange, Origin, Row
from codegen_bot.refactor.diffs import changed_lines
from codegen_bot.refactor.targets import Target, find_definitions, is_test_file, touched_definitions

_BEHAVIOUR_CHANGE = re.compile(r"\b(fix(es|ed)?|bug|regression|revert|hotfix|feature|feat)\b", re.I)
_MAX_CHANGED_LINES = 40


def _signature(target: Target) -> str:
    lines = target.code.splitlines()
    return "\n".join(lines[: target.header_end - target.start + 1])


def _functions(path: str, source: str) -> dict[str, Target]:
    try:
        return {t.qualname: t for t in find_definitions(path, source) if t.kind != "class"}
    except cst.ParserSyntaxError:
        return {}


def history_rows(commit: CommitChange) -> Iterator[Row]:
    """Pairs from a commit that rewrote function bodies and left the tests alone."""
    if any(is_test_file(c.path) for c in commit.files) or _BEHAVIOUR_CHANGE.search(commit.message):
        return
    origin: Origin = "accepted" if is_accepted_suggestion(commit.message) else "history"
    for change in commit.files:
        if change.before is None or change.after is None or is_test_file(change.path):
            continue
        before = _functions(change.path, change.before)
        try:
            touched = touched_definitions(change.path, change.after, changed_lines(change.patch))
        except cst.ParserSyntaxError:
            continue
        for after in touched:
            old = before.get(after.qualname)
            if after.kind == "class" or old is None or old.code == after.code:
                continue
            if _signature(old) != _signature(after):
                continue
            if abs(len(old.code.splitlines()) - len(after.code.splitlines())) > _MAX_CHANGED_LINES:
                continue
            yield Row(
                task="refactor",
                path=change.path,
                symbol=after.qualname,
                commit=commit.sha,
                input=old.code,
                output=after.code,
                origin=origin,
                weight=3.0 if origin == "accepted" else 1.0,
                context=context_of(change.after, after),
                source=change.before,
            )


def ruff_rows(path: str, source: str, fixed: str, commit: str) -> Iterator[Row]:
    """Pairs from ruff's safe fixes of one file: each function the fixes changed."""
    if source == fixed or is_test_file(path):
        return
    old, new = _functions(path, source), _functions(path, fixed)
    for name, before in old.items():
        after = new.get(name)
        if after is not None and after.code != before.code:
            yield Row(
                task="refactor",
                path=path,
                symbol=name,
                commit=commit,
                input=before.code,
                output=after.code,
                origin="ruff",
                context=context_of(source, before),
                source=source,
            )
