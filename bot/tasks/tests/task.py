"""The tests task: new tests for the changed public functions, proven in a sandbox.

Which definitions get tests; a scratch worktree of head (never the user's checkout) in which
the repository's suite runs once under coverage and the candidates run N times; candidates in
rounds (each target's first candidate together, then the second for the targets whose first
failed...); one report entry per target, with the test file, its patch and its figures.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from codegen_bot.adapters.engines.base import Candidate, Engine, RunContext
from codegen_bot.bot.config import Config, TestsConfig
from codegen_bot.bot.report import Proposal, SkippedTarget, TaskOutcome
from codegen_bot.bot.tasks.baseline_plan import planned_baseline
from codegen_bot.bot.tasks.suite_baseline import Baseline, measure_baseline
from codegen_bot.bot.tasks.tests.gather import gather
from codegen_bot.bot.workspace.repository import Workspace
from codegen_bot.bot.workspace.scratch_copy import export_tree, left_out_note, read_copied
from codegen_bot.bot.workspace.sources import SourceFile
from codegen_bot.refactor.gates import Verdict
from codegen_bot.refactor.gates.new_tests import (
    NewTest,
    TestSettings,
    TestVerdict,
    validate_new_tests,
)
from codegen_bot.refactor.patches import new_file_patch
from codegen_bot.refactor.sandbox.process import (
    Isolation,
    Limits,
    Sandbox,
    detect_isolation,
    hidden_paths,
    scrub_environment,
)
from codegen_bot.refactor.sandbox.runner import TestRunner
from codegen_bot.refactor.sandbox.warm import warm_sessions
from codegen_bot.refactor.targets import Target, is_test_file, snake_case
from codegen_bot.refactor.testing.conventions import Conventions, detect

Progress = Callable[[str], None]
_PROPERTY_DECORATORS = {
    "property",
    "cached_property",
    "functools.cached_property",
    "abstractmethod",
    "abc.abstractmethod",
}


def skip_reason(target: Target, rules: TestsConfig) -> str | None:
    """Why a touched definition gets no test; None when it should get one."""
    if target.kind == "class":
        return "a class (its methods are targets)"
    if is_test_file(target.path) or target.name.startswith("test"):
        return "test code"
    if target.is_dunder:
        return "special method"
    if target.is_overload:
        return "overload stub"
    if rules.skip_private and not target.is_public:
        return "private name"
    if set(target.decorators) & _PROPERTY_DECORATORS:
        return "property or abstract method"
    if target.is_async:
        return "async function (not supported by the heuristic tests yet)"
    return None


def select_targets(
    sources: Sequence[SourceFile], rules: TestsConfig
) -> tuple[list[Target], list[SkippedTarget]]:
    """The touched functions and methods that should get tests, and those left alone."""
    chosen: list[Target] = []
    skipped: list[SkippedTarget] = []
    for source in sources:
        for target in source.touched:
            reason = skip_reason(target, rules)
            if reason is None and len(chosen) >= rules.max_targets:
                reason = (
                    f"over the limit of {rules.max_targets} targets per run (tests.max_targets)"
                )
            if reason is None:
                chosen.append(target)
            else:
                skipped.append(SkippedTarget("tests", target.path, target.qualname, reason))
    return chosen, skipped


def _test_path(target: Target, module: str, conventions: Conventions, taken: set[str]) -> str:
    """A new test file's path in the repository's tests folder, unique by file name."""
    stem = module.rsplit(".", 1)[-1] + "_" + snake_case(target.qualname.replace(".", "_"))
    folder = "" if conventions.test_dir in ("", ".") else conventions.test_dir.rstrip("/") + "/"
    name = conventions.test_file_name(stem)
    count = 1
    while name in taken:
        count += 1
        name = conventions.test_file_name(f"{stem}_{count}")
    taken.add(name)
    return folder + name


def make_sandbox(
    repo: Path, config: TestsConfig, python: str
) -> tuple[Sandbox, tuple[str, ...]] | str:
    """The sandbox for this job and the secret values to strike from output, or why none runs."""
    # `none` reaches here only from the runner's operator: a repository's file cannot set it.
    isolation = Isolation("none", "turned off by the runner's operator (--isolation none)")
    if config.isolation != "none":
        isolation = detect_isolation()
        if config.isolation == "bubblewrap" and not isolation.isolated:
            return f"bubblewrap is required here, and {isolation.detail}"
    env, dropped = scrub_environment(os.environ)
    secrets = tuple(os.environ[name] for name in dropped)
    home = Path.home() if os.environ.get("HOME") else None
    limits = Limits(wall_seconds=config.suite_timeout, memory_bytes=config.memory_mb * 1024**2)
    sandbox = Sandbox((), env, isolation, limits, hidden_paths(repo, python, home))
    return sandbox, secrets


def run(
    workspace: Workspace,
    head: str,
    sources: Sequence[SourceFile],
    config: Config,
    engine: Engine,
    *,
    progress: Progress,
    context: RunContext | None = None,
    edit_tree: Callable[[Path], None] | None = None,
) -> TaskOutcome:
    """Propose, prove and report tests for the touched public functions and methods.

    `edit_tree` may change the scratch copy of head before anything runs in it (an adapter's
    evaluation takes out the held-out tests); the repository itself is never touched.
    """
    outcome = TaskOutcome()
    rules = config.tests
    targets, outcome.skipped = select_targets(sources, rules)
    progress(f"tests: {len(targets)} functions and methods to test")
    if not targets:
        return outcome
    python = rules.python or sys.executable
    made = make_sandbox(workspace.path, rules, python)
    if isinstance(made, str):
        outcome.notes.append(f"tests were not run: {made}")
        return outcome
    sandbox, secrets = made
    outcome.notes.append(sandbox.isolation.describe())
    scratch = Path(tempfile.mkdtemp(prefix="codegen-tests-"))
    try:
        started = time.perf_counter()
        tree = scratch / "tree"
        tree.mkdir()
        outcome.notes += left_out_note(export_tree(workspace, head, tree))
        if edit_tree is not None:
            edit_tree(tree)
        paths = [str(p.relative_to(tree)) for p in tree.rglob("*") if p.is_file()]
        conventions = detect(
            paths, lambda p: read_copied(tree / p, config.max_file_bytes), config.test_command
        )
        import_paths = (
            (str(tree / conventions.import_root), str(tree))
            if conventions.import_root
            else (str(tree),)
        )
        runner = TestRunner(
            tree, scratch / "work", sandbox, python, import_paths, secrets, conventions.rootdir
        )
        outcome.timings["tests_setup"] = time.perf_counter() - started

        # The build of a version file the copy lacks starts first (it runs beside the warm-up);
        # one warm parent forks every session of the job: baseline, probe and candidates.
        with (
            planned_baseline(
                workspace, head, runner, conventions=conventions, rules=rules,
                cached=edit_tree is None,
            ) as plan,
            warm_sessions(runner, early=plan.build is not None),
        ):  # fmt: skip
            phase = time.perf_counter()
            progress("tests: running the repository's suite once under coverage")
            baseline, notes = measure_baseline(
                workspace,
                head,
                runner,
                conventions=conventions,
                targets=targets,
                rules=rules,
                plan=plan,
            )
            outcome.notes.extend(notes)
            outcome.timings["tests_baseline"] = time.perf_counter() - phase
            if baseline.distrust:
                outcome.notes.append(f"no test was accepted: {baseline.distrust}")
            chosen = _filter(targets, baseline, conventions, paths, outcome)

            phase = time.perf_counter()
            facts = gather(runner, chosen, conventions, baseline, rules) if chosen else []
            outcome.timings["tests_probe"] = time.perf_counter() - phase
            phase = time.perf_counter()
            candidates = engine.propose("tests", facts, context) if facts else []
            outcome.timings["tests_propose"] = time.perf_counter() - phase
            phase = time.perf_counter()
            outcome.proposals = _prove(
                candidates,
                runner,
                baseline,
                TestSettings(rules.runs, rules.timeout, conventions.pytest_args),
                sandbox.isolation,
                progress=progress,
            )
            outcome.timings["tests_prove"] = time.perf_counter() - phase
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    accepted = sum(p.status == "accepted" for p in outcome.proposals)
    progress(f"tests: {accepted} of {len(outcome.proposals)} passed the gates")
    return outcome


def _filter(
    targets: list[Target],
    baseline: Baseline,
    conventions: Conventions,
    paths: list[str],
    outcome: TaskOutcome,
) -> list[tuple[Target, str, str]]:
    """The targets worth a test, with their module and test file path; the rest are skipped."""
    taken = {p.rsplit("/", 1)[-1] for p in paths}
    chosen = []
    for target in targets:
        module = conventions.module_name(target.path)
        reason = (
            None
            if module
            else f"not importable as a module from `{conventions.import_root or '.'}`"
        )
        failing = baseline.failing_covering(target)
        before = baseline.coverage(target)
        if reason is None and baseline.distrust:
            reason = f"coverage today cannot be trusted: {baseline.distrust}"
        if reason is None and failing:
            reason = f"its own tests fail at head ({', '.join(failing[:3])})"
        if reason is None and before.statements and before.complete:
            reason = "already fully covered (every line and branch) by the repository's tests"
        if reason is not None:
            outcome.skipped.append(SkippedTarget("tests", target.path, target.qualname, reason))
            continue
        assert module is not None
        chosen.append((target, module, _test_path(target, module, conventions, taken)))
    return chosen


def _prove(
    candidates: Sequence[Candidate],
    runner: TestRunner,
    baseline: Baseline,
    settings: TestSettings,
    isolation: Isolation,
    *,
    progress: Progress,
) -> list[Proposal]:
    """Validate candidates in rounds: each target's next candidate until one passes."""
    queues: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        queues.setdefault(f"{candidate.target.path}:{candidate.target.qualname}", []).append(
            candidate
        )
    final: dict[str, Proposal] = {}
    round_number = 0
    while any(queues.values()):
        round_number += 1
        batch: list[tuple[NewTest, Candidate]] = []
        for key, queue in queues.items():
            if (key in final and final[key].status == "accepted") or not queue:
                continue
            candidate = queue.pop(0)
            if candidate.text is None:
                final[key] = _proposal(candidate, None, isolation)
                continue
            target = candidate.target
            test_path = getattr(target, "test_path", "") or f"tests/test_{target.name}.py"
            new = NewTest(
                len(batch),
                test_path,
                candidate.text,
                target.path,
                target.qualname,
                target.start,
                target.end,
            )
            batch.append((new, candidate))
        if not batch:
            continue
        progress(f"tests: round {round_number}, {len(batch)} candidates in one sandboxed session")
        before = {new.target_key: baseline.coverage(c.target) for new, c in batch}
        verdicts = validate_new_tests([new for new, _ in batch], runner, before, settings)
        for (new, candidate), verdict in zip(batch, verdicts, strict=True):
            proposal = _proposal(candidate, verdict, isolation)
            earlier = final.get(new.target_key)
            if earlier is not None:
                # Say what the candidates before this one failed on.
                tried = [*earlier.metrics.get("earlier", []), earlier.reason]
                metrics = {**proposal.metrics, "earlier": tried}
                proposal = dataclasses.replace(proposal, metrics=metrics)
            final[new.target_key] = proposal
            if verdict.passed:
                queues[new.target_key] = []
    return list(final.values())


def _proposal(candidate: Candidate, verdict: TestVerdict | None, isolation: Isolation) -> Proposal:
    target = candidate.target
    text = verdict.text if verdict is not None and verdict.text else candidate.text
    test_path = verdict.test.path if verdict else getattr(target, "test_path", "")
    metrics: dict[str, object] = {
        "target_path": target.path,
        "target_start": target.start,
        "target_end": target.end,
        "test_path": test_path,
        "isolation": isolation.kind,
    }
    gates: tuple[Verdict, ...] = ()
    if verdict is not None:
        gates = verdict.gates
        figures = dict(verdict.metrics)
        runs = figures.get("runs")
        if runs is not None and "runs_passed" in figures:
            figures["runs_text"] = f"{figures['runs_passed']}/{runs}"
        metrics.update(figures)
    passed = verdict is not None and verdict.passed
    reason = (
        None
        if passed
        else (verdict.reason if verdict else candidate.error or "the engine proposed nothing")
    )
    lines = (text or "").count("\n") or 1
    return Proposal.of(
        "tests",
        candidate,
        accepted=passed,
        gates=gates,
        reason=reason,
        path=test_path,
        span=(1, lines),
        patch=new_file_patch(test_path, text) if passed and text else "",
        text=text,
        metrics=metrics,
    )
