"""Refactorings from ruff's safe fixes, proposed one function at a time.

Ruff fixes the whole file; each function whose code the fixes changed becomes one candidate (the
function's new definition), so that each change is judged, tested and accepted on its own.
Fixes outside functions (imports, module constants) are not proposed here.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import libcst as cst

from codegen_bot.adapters.engines.base import Candidate, EngineIdentity
from codegen_bot.refactor.edits.ruff_fix import SAFE_EXTRA_RULES, ruff_fix
from codegen_bot.refactor.results import Success
from codegen_bot.refactor.targets import Target, find_definitions


def _by_occurrence(definitions: Sequence[Target]) -> dict[tuple[str, int], Target]:
    """Definitions keyed by qualified name and how many of that name came before."""
    seen: dict[str, int] = {}
    keyed = {}
    for target in definitions:
        count = seen.get(target.qualname, 0)
        seen[target.qualname] = count + 1
        keyed[(target.qualname, count)] = target
    return keyed


def ruff_candidates(
    targets: Sequence[Target],
    config_files: Mapping[str, str],
    identity: EngineIdentity,
    extra_rules: Sequence[str] = SAFE_EXTRA_RULES,
    extra_label: str = "added by codegen's safe extra rules",
) -> list[Candidate]:
    """One candidate per function target whose code ruff's fixes change; none for the rest.

    Each candidate's note names its rules and whose they are: the project's own ruff
    selection, or the extra rules (`extra_label` says who added them).
    """
    candidates: list[Candidate] = []
    by_path: dict[str, list[Target]] = {}
    for target in targets:
        if target.kind != "class":
            by_path.setdefault(target.path, []).append(target)
    for path, group in by_path.items():
        started = time.perf_counter()
        fixed = ruff_fix(path, group[0].source, config_files, extra_rules)
        if not isinstance(fixed, Success) or fixed.value.text == group[0].source:
            continue
        try:
            after = _by_occurrence(find_definitions(path, fixed.value.text))
        except cst.ParserSyntaxError:
            continue
        seconds = (time.perf_counter() - started) / len(group)
        places: dict[tuple[str, int], tuple[str, int]] | None = None
        for target in group:
            new = after.get((target.qualname, 0))
            if (target.qualname, 1) in after:
                # A name defined twice (a property's getter and setter): match them in order.
                if places is None:
                    before = _by_occurrence(find_definitions(path, group[0].source))
                    places = {(t.qualname, t.def_line): key for key, t in before.items()}
                new = after.get(places.get((target.qualname, target.def_line), ("", -1)))
            if new is None or new.code == target.code:
                continue
            rules = sorted(
                {code for code, line in fixed.value.rules if target.start <= line <= target.end}
            )
            said = dict.fromkeys(
                message
                for _, line, message in fixed.value.messages
                if target.start <= line <= target.end and message
            )
            candidates.append(
                Candidate(
                    target,
                    "refactor",
                    new.code,
                    identity,
                    seconds=seconds,
                    note=_rule_note(rules, fixed.value.configured, extra_label),
                    detail="; ".join(said),
                )
            )
    return candidates


def _rule_note(rules: Sequence[str], configured: frozenset[str], extra_label: str) -> str:
    """`ruff F541 (selected by the project's ruff configuration)`, grouped by whose rule."""
    if not rules:
        return "ruff"
    own = [code for code in rules if code in configured]
    added = [code for code in rules if code not in configured]
    parts = []
    if own:
        parts.append(f"ruff {', '.join(own)} (selected by the project's ruff configuration)")
    if added:
        parts.append(f"ruff {', '.join(added)} ({extra_label})")
    return "; ".join(parts)
