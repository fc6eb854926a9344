"""The docstring task: which touched definitions deserve one, and proving each candidate."""

from __future__ import annotations

import time
from collections.abc import Sequence

from adapters.base import Candidate
from bot.config import DocsConfig
from bot.report import Proposal, SkippedTarget
from bot.sources import SourceFile
from refactor.codemods.insert_docstring import insert_docstring
from refactor.patches import line_replacement, unified_diff
from refactor.results import Success
from refactor.targets import Target
from refactor.validate import Verdict
from refactor.validate.docstring_only import check_docstring_only
from refactor.validate.lint import RuffGate
from refactor.validate.syntax import check_syntax


def is_test_file(path: str) -> bool:
    """Whether `path` is test code by the usual pytest conventions."""
    name = path.rsplit("/", 1)[-1]
    parts = path.split("/")[:-1]
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
        or any(part in {"tests", "test", "testing"} for part in parts)
    )


def skip_reason(target: Target, rules: DocsConfig) -> str | None:
    """Why a touched definition without a docstring gets none proposed; None when it should."""
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
    target = candidate.target
    return Proposal(
        task="docs",
        path=target.path,
        symbol=target.qualname,
        kind=target.kind,
        start=target.start,
        end=target.end,
        identity=candidate.identity,
        status="rejected",
        gates=verdicts,
        reason=reason,
        patch="",
        suggestion=None,
        text=candidate.text,
        timings={"propose": candidate.seconds, **timings},
    )


def prove(candidate: Candidate, ruff: RuffGate) -> Proposal:
    """Apply one docstring candidate and run the gates in order, cheapest first.

    Gates: the edited file parses and compiles; ruff (with the repository's configuration)
    reports nothing new; the AST without docstrings is unchanged. The first failure rejects.
    """
    target = candidate.target
    if candidate.text is None:
        return _rejected(candidate, candidate.error or "the engine proposed nothing")
    started = time.perf_counter()
    edited = insert_docstring(target.source, target.def_line, target.name, candidate.text)
    edit_seconds = time.perf_counter() - started
    if not isinstance(edited, Success):
        return _rejected(candidate, f"edit: {edited.reason}", edit=edit_seconds)
    after = edited.value
    gates: list[Verdict] = []
    started = time.perf_counter()
    for gate in (
        lambda: check_syntax(target.path, after),
        lambda: ruff.check(target.path, target.source, after),
        lambda: check_docstring_only(target.source, after),
    ):
        verdict = gate()
        gates.append(verdict)
        if not verdict.passed:
            return _rejected(
                candidate,
                f"{verdict.gate}: {verdict.reason}",
                tuple(gates),
                edit=edit_seconds,
                gates=time.perf_counter() - started,
            )
    return Proposal(
        task="docs",
        path=target.path,
        symbol=target.qualname,
        kind=target.kind,
        start=target.start,
        end=target.end,
        identity=candidate.identity,
        status="accepted",
        gates=tuple(gates),
        reason=None,
        patch=unified_diff(target.path, target.source, after),
        suggestion=line_replacement(target.source, after),
        text=candidate.text,
        timings={
            "propose": candidate.seconds,
            "edit": edit_seconds,
            "gates": time.perf_counter() - started,
        },
    )


def prove_all(candidates: Sequence[Candidate], ruff: RuffGate) -> list[Proposal]:
    """One proposal per target: the first of its candidates that passes, else its last rejection."""
    by_target: dict[tuple[str, str, int], list[Candidate]] = {}
    for candidate in candidates:
        t = candidate.target
        by_target.setdefault((t.path, t.qualname, t.def_line), []).append(candidate)
    proposals = []
    for group in by_target.values():
        proposal = None
        for candidate in group:
            proposal = prove(candidate, ruff)
            if proposal.status == "accepted":
                break
        assert proposal is not None
        proposals.append(proposal)
    return proposals
