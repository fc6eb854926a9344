"""The refactor task: rewrites of existing functions, each proven not to change behaviour.

Candidates (one per function: ruff's fixes from the heuristic engine, or a model's rewrite) go
through the gates cheapest first: the edit applies and the file parses; ruff with the
repository's configuration finds nothing new (imports the change left unused are removed with
it); passing tests cover the function (one baseline run of the suite, a coverage context per
test); the whole suite passes with all changes applied together (culprits dropped by coverage
or bisection). Everything runs in a sandboxed copy of the commit, never in the user's checkout.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

from codegen_bot.adapters.engines.base import Candidate, Engine, RunContext
from codegen_bot.bot.config import Config
from codegen_bot.bot.github.markers import digest
from codegen_bot.bot.report import Proposal, TaskOutcome
from codegen_bot.bot.tasks.refactor.suite import Suite, prepared_suite
from codegen_bot.bot.tasks.suite_baseline import Baseline, measure_baseline
from codegen_bot.bot.workspace.repository import Workspace
from codegen_bot.refactor.edits.combine import (
    Combined,
    apply_replacements,
    combine,
    definition_replacement,
)
from codegen_bot.refactor.edits.unused_imports import describe
from codegen_bot.refactor.gates import Verdict
from codegen_bot.refactor.gates.behaviour import (
    Change,
    SuiteProver,
    SuiteRun,
    body_lines,
    coverage_gate,
    prove_together,
)
from codegen_bot.refactor.gates.lint import RuffGate
from codegen_bot.refactor.gates.syntax import check_syntax
from codegen_bot.refactor.patches import Replacement, line_replacement, unified_diff
from codegen_bot.refactor.results import Success
from codegen_bot.refactor.targets import Target
from codegen_bot.refactor.testing.coverage_data import FileCoverage

Progress = Callable[[str], None]
CLOSED_REASON = "proposed before in a nightly pull request that was closed without merging"


def proposal_key(path: str, symbol: str, old: str, new: str) -> str:
    """A stable name for one change: the same rewrite of the same code always has this key."""
    return digest("refactor", path, symbol, old, new)


@dataclass(frozen=True)
class RefactorSettings:
    """How many changes to prove, how strict coverage is, and which changes not to propose."""

    max_proposals: int = 20
    changed_lines_covered: bool = True
    closed_keys: frozenset[str] = frozenset()


@dataclass
class _Work:
    """One candidate on its way through the gates."""

    candidate: Candidate
    gates: list[Verdict] = field(default_factory=list)
    reason: str | None = None
    replacement: Replacement | None = None
    alone: Combined | None = None  # the file with only this change (and its import cleanup)
    key: str = ""
    tests: tuple[str, ...] = ()

    @property
    def target(self) -> Target:
        return self.candidate.target

    def reject(self, reason: str) -> None:
        self.reason = self.reason or reason


@dataclass
class RefactorOutcome(TaskOutcome):
    """What the refactor task adds to a report, and the files as they end up."""

    #: path → the whole file after every accepted change (and the imports they left unused).
    final_files: dict[str, str] = field(default_factory=dict)


def run(
    workspace: Workspace,
    rev: str,
    targets: Sequence[Target],
    config: Config,
    engine: Engine,
    *,
    settings: RefactorSettings,
    progress: Progress,
    context: RunContext | None = None,
    suite: Suite | str | None = None,
) -> RefactorOutcome:
    """Propose rewrites of `targets` (functions of commit `rev`), prove them, report them.

    `suite`: the copy of `rev` and its runner, when the caller made it earlier (see
    `prepared_suite`); else it is made here, before anything is proposed.
    """
    outcome = RefactorOutcome()
    started = time.perf_counter()
    works: list[_Work] = []
    if targets:
        # The suite's copy and warm parent first: the parent warms up while the engine proposes.
        with contextlib.ExitStack() as stack:
            if suite is None:
                suite = stack.enter_context(prepared_suite(workspace, rev, config))
            works = _propose_and_prove(
                workspace, rev, targets, engine,
                suite=suite, settings=settings, progress=progress, context=context, outcome=outcome,
            )  # fmt: skip
    accepted = [w for w in works if w.reason is None]
    sources = {w.target.path: w.target.source for w in accepted}
    for path, combined in _combine(accepted, sources).items():
        outcome.final_files[path] = combined.text
    outcome.proposals = [_proposal(w) for w in works]
    outcome.timings["refactor_total"] = time.perf_counter() - started
    progress(f"refactor: {len(accepted)} of {len(works)} changes passed every gate")
    return outcome


def _propose_and_prove(
    workspace: Workspace,
    rev: str,
    targets: Sequence[Target],
    engine: Engine,
    *,
    suite: Suite | str,
    settings: RefactorSettings,
    progress: Progress,
    context: RunContext | None,
    outcome: RefactorOutcome,
) -> list[_Work]:
    """Propose rewrites, pass them through the edit gates, then prove the survivors on `suite`."""
    phase = time.perf_counter()
    candidates = engine.propose("refactor", targets, context)
    outcome.timings["refactor_propose"] = time.perf_counter() - phase
    phase = time.perf_counter()
    tried = [_Work(candidate) for candidate in candidates]
    _edit_gates(tried, workspace.config_files(rev), settings.closed_keys)
    works = _first_per_target(tried)
    outcome.timings["refactor_edit_gates"] = time.perf_counter() - phase
    waiting = [w for w in works if w.reason is None]
    progress(f"refactor: {len(waiting)} of {len(works)} proposed changes parse and pass ruff")
    if waiting:
        _test_gates(
            workspace, rev, waiting, suite, settings=settings, outcome=outcome, progress=progress
        )
    return works


def _first_per_target(works: Sequence[_Work]) -> list[_Work]:
    """One candidate per target: the engine's first that passed the edit gates, else its first.

    The tests then judge that one candidate, so each target costs the suite nothing extra.
    """
    chosen: dict[tuple[str, str, int], _Work] = {}
    for work in works:
        target = work.target
        place = (target.path, target.qualname, target.def_line)
        if place not in chosen or (chosen[place].reason is not None and work.reason is None):
            chosen[place] = work
    return list(chosen.values())


def _edit_gates(
    works: list[_Work], config_files: Mapping[str, str], closed: Collection[str]
) -> None:
    """Apply each change alone; it must parse, be new, and pass ruff (one ruff run for all)."""
    for work in works:
        target, text = work.target, work.candidate.text
        if text is None:
            work.reject(work.candidate.error or "the engine proposed nothing")
            continue
        replaced = definition_replacement(target, text)
        if not isinstance(replaced, Success):
            work.reject(f"edit: {replaced.reason}")
            continue
        alone = combine(target.path, target.source, [replaced.value])
        if not isinstance(alone, Success):
            work.reject(f"edit: {alone.reason}")
            continue
        work.replacement, work.alone = replaced.value, alone.value
        work.key = proposal_key(target.path, target.qualname, target.code, replaced.value.text)
        work.gates.append(check_syntax(target.path, alone.value.text))
        if not work.gates[-1].passed:
            work.reject(f"syntax: {work.gates[-1].reason}")
        elif work.key in closed:
            work.reject(CLOSED_REASON)
    checked = [w for w in works if w.reason is None and w.alone is not None]
    with RuffGate(config_files) as ruff:
        verdicts = ruff.check_many(
            [(w.target.path, w.target.source, w.alone.text) for w in checked if w.alone]
        )
    for work, verdict in zip(checked, verdicts, strict=True):
        work.gates.append(verdict)
        if not verdict.passed:
            work.reject(f"ruff: {verdict.reason}")


def _combine(works: Sequence[_Work], sources: Mapping[str, str]) -> dict[str, Combined]:
    """Each file's text with all of `works`' changes to it applied (or raises on a clash)."""
    by_path: dict[str, list[Replacement]] = {}
    for work in works:
        assert work.replacement is not None
        by_path.setdefault(work.target.path, []).append(work.replacement)
    combined = {}
    for path, replacements in by_path.items():
        result = combine(path, sources[path], replacements)
        if not isinstance(result, Success):
            raise ValueError(f"{path}: the changes cannot be combined: {result.reason}")
        combined[path] = result.value
    return combined


def _test_gates(
    workspace: Workspace,
    rev: str,
    works: list[_Work],
    suite: Suite | str,
    *,
    settings: RefactorSettings,
    outcome: RefactorOutcome,
    progress: Progress,
) -> None:
    """Coverage from one baseline run, then the suite with all covered changes together."""
    if isinstance(suite, str):
        for work in works:
            work.reject(f"tests: not run: {suite}")
        outcome.notes.append(f"the repository's tests were not run: {suite}")
        return
    outcome.notes += suite.notes
    runner, conventions, rules = suite.runner, suite.conventions, suite.config.tests
    phase = time.perf_counter()
    progress("refactor: running the repository's suite once under coverage")
    targets = [w.target for w in works]
    baseline, notes = measure_baseline(
        workspace, rev, runner,
        conventions=conventions, targets=targets, rules=rules, plan=suite.plan,
    )  # fmt: skip
    outcome.timings["refactor_baseline"] = time.perf_counter() - phase
    if baseline.result is None:
        why = baseline.distrust or baseline.note or "no baseline"
        outcome.notes.append(f"nothing could be proven: {why}")
        for work in works:
            work.reject(f"tests: {why}")
        return
    outcome.notes.extend(notes)
    covered = _coverage(works, baseline.result.coverage, baseline.failing, settings)
    phase = time.perf_counter()
    wall = min(rules.suite_timeout, max(60.0, 3 * baseline.result.seconds + 30))
    prover = SuiteProver(
        runner,
        list(conventions.pytest_args),
        baseline.result,
        lambda changes: _texts(changes, covered),
        wall,
        progress,
    )
    changes = [Change(w.key, w.target.path, frozenset(w.tests)) for w in covered.values()]
    proof = prove_together(prover, changes) if changes else prover.proof
    outcome.timings["refactor_prove"] = time.perf_counter() - phase
    for work in covered.values():
        work.gates.extend(proof.verdicts.get(work.key, ()))
        failed = next((g for g in proof.verdicts.get(work.key, ()) if not g.passed), None)
        if failed is not None:
            work.reject(f"{failed.gate}: {failed.reason}")
    spent = outcome.timings["refactor_baseline"]
    outcome.notes.append(_runs_note(baseline, spent, proof.runs))


def _runs_note(baseline: Baseline, spent: float, runs: Sequence[SuiteRun]) -> str:
    """How often the suite ran in this run, and for what; `spent`: the baseline's seconds."""
    rest = ", ".join(f"{run.purpose} ({run.seconds:.1f} s)" for run in runs)
    if baseline.reused and baseline.result is not None:
        # The suite did not run at base: say what this run spent, not what the cached one did.
        cached = (
            f"its coverage at base came from the cache of an earlier run on the same tree "
            f"({spent:.1f} s here; measured in {baseline.result.seconds:.1f} s then)"
        )
        if not runs:
            return f"the suite ran 0 times: {cached}, and no change was covered by passing tests"
        times = "once" if len(runs) == 1 else f"{len(runs)} times"
        return f"the suite ran {times}: {rest}; {cached}"
    seconds = baseline.result.seconds if baseline.result is not None else spent
    first = f"once at base under coverage ({seconds:.1f} s)"
    if not runs:
        return f"the suite ran {first}: no change was covered by passing tests"
    return f"the suite ran {1 + len(runs)} times: {first}, then {rest}"


def _coverage(
    works: list[_Work],
    coverage: Mapping[str, FileCoverage],
    failing: frozenset[str],
    settings: RefactorSettings,
) -> dict[str, _Work]:
    """Reject the changes no passing test covers; cap the rest; return them by key."""
    covered: dict[str, _Work] = {}
    for work in works:
        target = work.target
        changed = None
        if settings.changed_lines_covered:
            assert work.replacement is not None
            applied = apply_replacements(target.source, [work.replacement])
            smallest = (
                line_replacement(target.source, applied.value)
                if isinstance(applied, Success)
                else None
            )
            changed = (smallest.start, smallest.end) if smallest else None
        body = body_lines(target.def_line, target.header_end, target.end)
        verdict, tests = coverage_gate(coverage.get(target.path), failing, body, changed)
        work.gates.append(verdict)
        work.tests = tests
        if not verdict.passed:
            work.reject(verdict.reason or "coverage")
        elif len(covered) >= settings.max_proposals:
            work.reject(
                f"over the limit of {settings.max_proposals} changes per night "
                "(nightly.max_proposals)"
            )
        else:
            covered[work.key] = work
    return covered


def _texts(changes: Sequence[Change], works: Mapping[str, _Work]) -> dict[str, str] | str:
    """The files `changes` touch, with those changes applied, for a sandboxed run."""
    chosen = [works[change.key] for change in changes]
    try:
        combined = _combine(chosen, {w.target.path: w.target.source for w in chosen})
    except ValueError as error:
        return str(error)
    return {path: result.text for path, result in combined.items()}


def _proposal(work: _Work) -> Proposal:
    """The report's entry for one change."""
    candidate, target = work.candidate, work.target
    accepted = work.reason is None and bool(work.gates)
    replacement = work.replacement
    old_lines = target.end - target.start + 1
    new_lines = replacement.text.count("\n") if replacement else 0
    metrics: dict[str, object] = {
        "rules": candidate.note or candidate.identity.describe(),
        "what": candidate.detail or f"rewritten ({old_lines} lines → {new_lines})",
        "covering_tests": list(work.tests),
        "key": work.key,
    }
    if work.alone is not None and work.alone.removed_imports:
        metrics["imports_removed"] = [describe(name) for name in work.alone.removed_imports]
    return Proposal.of(
        "refactor",
        candidate,
        accepted=accepted,
        gates=tuple(work.gates),
        reason=None if accepted else work.reason or "rejected",
        patch=unified_diff(target.path, target.source, work.alone.text)
        if accepted and work.alone
        else "",
        suggestion=replacement if accepted else None,
        text=replacement.text if replacement else None,
        metrics=metrics,
    )
