"""The docstring task: which touched definitions deserve one, and proving each candidate."""

from __future__ import annotations

import time
from collections.abc import Sequence

from codegen_bot.adapters.engines.base import Candidate
from codegen_bot.bot.config import DocsConfig, glob_match
from codegen_bot.bot.report import Proposal, SkippedTarget
from codegen_bot.bot.workspace.sources import SourceFile
from codegen_bot.refactor.docstrings.style import Convention
from codegen_bot.refactor.edits.insert_docstring import insert_docstring
from codegen_bot.refactor.gates import Verdict
from codegen_bot.refactor.gates.docstring_facts import check_facts
from codegen_bot.refactor.gates.docstring_only import check_docstring_only
from codegen_bot.refactor.gates.lint import RuffGate
from codegen_bot.refactor.gates.syntax import check_syntax
from codegen_bot.refactor.patches import line_replacement, unified_diff
from codegen_bot.refactor.results import Success
from codegen_bot.refactor.targets import Target, is_test_file


def skip_reason(target: Target, rules: DocsConfig) -> str | None:
    """Why a touched definition without a docstring gets none proposed; None when it should."""
    if any(glob_match(target.path, pattern) for pattern in rules.exclude):
        return "excluded by [tool.codegen.docs] exclude"
    module = target.path.rsplit("/", 1)[-1]
    if rules.skip_private_modules and module.startswith("_") and not _is_dunder_module(module):
        return "private module"
    if rules.skip_tests and (is_test_file(target.path) or target.name.startswith("test")):
        return "test code"
    if rules.skip_dunder and target.is_dunder:
        return "special method"
    if rules.skip_overloads and target.is_overload:
        return "overload stub"
    if rules.skip_private and not target.is_public:
        return "private name"
    if rules.skip_trivial_properties and target.is_trivial_property:
        return "one-line property"
    return None


def _is_dunder_module(name: str) -> bool:
    stem = name.rsplit(".", 1)[0]
    return stem.startswith("__") and stem.endswith("__")


def select_targets(
    sources: Sequence[SourceFile], rules: DocsConfig
) -> tuple[list[Target], list[SkippedTarget]]:
    """The touched definitions that lack a docstring and deserve one, and those left alone."""
    chosen: list[Target] = []
    skipped: list[SkippedTarget] = []
    for source in sources:
        for target in source.touched:
            if target.has_docstring:
                continue
            reason = skip_reason(target, rules)
            if reason is None:
                chosen.append(target)
            else:
                skipped.append(SkippedTarget("docs", target.path, target.qualname, reason))
    return chosen, skipped


def _rejected(
    candidate: Candidate, reason: str, verdicts: tuple[Verdict, ...] = (), **timings: float
) -> Proposal:
    return Proposal.of(
        "docs",
        candidate,
        accepted=False,
        gates=verdicts,
        reason=reason,
        timings=timings,
    )


def _accepted(
    candidate: Candidate, after: str, gates: list[Verdict], timings: dict[str, float]
) -> Proposal:
    target = candidate.target
    return Proposal.of(
        "docs",
        candidate,
        accepted=True,
        gates=tuple(gates),
        reason=None,
        patch=unified_diff(target.path, target.source, after),
        suggestion=line_replacement(target.source, after),
        timings=timings,
    )


def prove_all(
    candidates: Sequence[Candidate], ruff: RuffGate, convention: Convention | None = None
) -> list[Proposal]:
    """Apply each docstring candidate and run the gates, cheapest first; one proposal per target.

    Gates: the edited file parses and compiles; ruff (with the repository's configuration)
    reports nothing new; the AST without docstrings is unchanged; what the docstring states is
    what the code shows, in the repository's `convention` (the facts gate, for every engine;
    None skips its style rule). The first failure rejects a candidate. All candidates that reach
    ruff are checked in one ruff run. A target's proposal is its first candidate that passes,
    else its last rejection.
    """
    verdicts: dict[int, list[Verdict]] = {}
    edited: dict[int, str] = {}
    timings: dict[int, dict[str, float]] = {}
    outcome: dict[int, Proposal] = {}
    for index, candidate in enumerate(candidates):
        target = candidate.target
        if candidate.text is None:
            outcome[index] = _rejected(candidate, candidate.error or "the engine proposed nothing")
            continue
        started = time.perf_counter()
        result = insert_docstring(target.source, target.def_line, target.name, candidate.text)
        timings[index] = {"edit": time.perf_counter() - started}
        if not isinstance(result, Success):
            outcome[index] = _rejected(candidate, f"edit: {result.reason}", (), **timings[index])
            continue
        edited[index] = result.value
        verdicts[index] = [check_syntax(target.path, result.value)]

    waiting = [i for i in edited if verdicts[i][-1].passed]
    judged = ruff.check_many(
        [(candidates[i].target.path, candidates[i].target.source, edited[i]) for i in waiting]
    )
    for index, verdict in zip(waiting, judged, strict=True):
        verdicts[index].append(verdict)
        if verdict.passed:
            verdicts[index].append(
                check_docstring_only(candidates[index].target.source, edited[index])
            )
        if verdicts[index][-1].passed:
            target, text = candidates[index].target, candidates[index].text or ""
            verdicts[index].append(
                check_facts(target.source, target.def_line, target.name, text, convention)
            )

    for index, after in edited.items():
        gates = verdicts[index]
        timings[index]["gates"] = sum(v.seconds for v in gates)
        failed = next((v for v in gates if not v.passed), None)
        if failed is None:
            outcome[index] = _accepted(candidates[index], after, gates, timings[index])
        else:
            outcome[index] = _rejected(
                candidates[index], f"{failed.gate}: {failed.reason}", tuple(gates), **timings[index]
            )

    by_target: dict[tuple[str, str, int], Proposal] = {}
    for index, candidate in enumerate(candidates):
        key = (candidate.target.path, candidate.target.qualname, candidate.target.def_line)
        if key not in by_target or by_target[key].status != "accepted":
            by_target[key] = outcome[index]
    return list(by_target.values())
