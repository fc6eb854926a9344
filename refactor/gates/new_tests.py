"""Gates for a new test module: it must earn its place in the repository.

In order: it parses and compiles; the repository's ruff finds nothing in it; it imports; in the
sandbox it reads no secret, opens no socket, starts no process, does not sleep and writes only
to its temporary folders; each run finishes within the time limit; it passes N runs in a row;
it leaves no file behind; and it raises the line or branch coverage of its target.

Each candidate runs N times in its own sandboxed pytest session (so no candidate's imports or
leftovers can decide another's fate), with a coverage context per test. The sessions are forked
one at a time from a warm parent (`sandbox.warm`). Given the project's own pytest arguments,
a session collects as the project's command does, pruned to the candidate's file: a candidate
that command would not collect is rejected (`collected`) without a session of its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codegen_bot.refactor.gates.ruff_files import format_files, ruff_new_files
from codegen_bot.refactor.gates.syntax import check_syntax
from codegen_bot.refactor.gates.verdict import Verdict
from codegen_bot.refactor.sandbox.runner import RunResult, TestOutcome, TestRunner
from codegen_bot.refactor.sandbox.warm import warm_sessions
from codegen_bot.refactor.testing.coverage_data import SpanCoverage, gain, span_coverage


@dataclass(frozen=True)
class NewTest:
    """One candidate test module for one target."""

    ident: int
    path: str
    text: str
    target_path: str
    qualname: str
    start: int
    end: int

    @property
    def target_key(self) -> str:
        """`path:qualname` of the target."""
        return f"{self.target_path}:{self.qualname}"

    def owns(self, nodeid: str) -> bool:
        """Whether a node id (or a module's) belongs to this test file."""
        return nodeid.split("::", 1)[0] == self.path


@dataclass(frozen=True)
class TestSettings:
    """How hard a new test is tried: runs in a row, and seconds allowed per run."""

    __test__ = False  # not a pytest test class, whatever its name

    runs: int = 5
    timeout: float = 10.0
    #: The project's own pytest arguments: a test they do not collect is rejected. None: unchecked.
    project_args: tuple[str, ...] | None = None


@dataclass(frozen=True)
class TestVerdict:
    """The gates one candidate went through, and its figures."""

    __test__ = False  # not a pytest test class, whatever its name

    test: NewTest
    gates: tuple[Verdict, ...]
    metrics: dict[str, Any] = field(default_factory=dict)
    #: The module as proven: the candidate after `ruff format` with the repository's settings.
    text: str = ""

    @property
    def passed(self) -> bool:
        """Whether every gate passed."""
        return bool(self.gates) and all(gate.passed for gate in self.gates)

    @property
    def reason(self) -> str | None:
        """The first failing gate's reason, prefixed by its name."""
        failed = next((gate for gate in self.gates if not gate.passed), None)
        return None if failed is None else f"{failed.gate}: {failed.reason}"


def validate_new_tests(
    tests: Sequence[NewTest],
    runner: TestRunner,
    baseline: Mapping[str, SpanCoverage],
    settings: TestSettings,
) -> list[TestVerdict]:
    """Run every gate on every candidate; `baseline` maps target keys to their coverage today."""
    gates: dict[int, list[Verdict]] = {t.ident: [] for t in tests}
    metrics: dict[int, dict[str, Any]] = {t.ident: {} for t in tests}
    waiting: list[NewTest] = []
    for test in tests:
        verdict = check_syntax(test.path, test.text)
        gates[test.ident].append(verdict)
        if verdict.passed:
            waiting.append(test)
    written = _write(runner.root, waiting)
    texts = {t.ident: t.text for t in tests}
    try:
        format_files(runner.root, [t.path for t in waiting])
        for test in waiting:
            texts[test.ident] = (runner.root / test.path).read_text(encoding="utf-8")
        findings = ruff_new_files(runner.root, [t.path for t in waiting])
        running = []
        for test in waiting:
            problems = findings if isinstance(findings, str) else findings.get(test.path, [])
            reason = (
                problems
                if isinstance(problems, str)
                else "; ".join(problems[:3])
                + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else "")
                if problems
                else None
            )
            gates[test.ident].append(Verdict("ruff", reason is None, reason))
            if reason is None:
                running.append(test)
            else:
                (runner.root / test.path).unlink(missing_ok=True)
        # Each candidate in its own session: what another one imports or leaves behind cannot
        # decide its fate, so the order of the candidates cannot either.
        with warm_sessions(runner):
            for alone in running:
                for test, judged, figures in _sessions([alone], runner, baseline, settings):
                    gates[test.ident].extend(judged)
                    metrics[test.ident].update(figures)
    finally:
        for path in written:
            path.unlink(missing_ok=True)
    return [TestVerdict(t, tuple(gates[t.ident]), metrics[t.ident], texts[t.ident]) for t in tests]


def _write(root: Path, tests: Sequence[NewTest]) -> list[Path]:
    written = []
    for test in tests:
        path = root / test.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(test.text, encoding="utf-8")
        written.append(path)
    return written


Judged = tuple[NewTest, list[Verdict], dict[str, Any]]


def _sessions(
    tests: list[NewTest],
    runner: TestRunner,
    baseline: Mapping[str, SpanCoverage],
    settings: TestSettings,
) -> list[Judged]:
    """Run `tests` together; split the group only when a session dies without naming a culprit."""
    if not tests:
        return []
    count = sum(t.text.count("def test") for t in tests) or len(tests)
    wall = 60.0 + settings.timeout * settings.runs * count * 1.5
    paths = [t.path for t in tests]
    own = settings.project_args
    result = runner.pytest(
        paths if own is None else list(own),
        sorted({t.target_path for t in tests}),
        wall,
        guard={"candidates": paths, "runs": settings.runs, "timeout": settings.timeout},
        only=None if own is None else paths,
    )
    if not result.completed:
        culprit = next((t for t in tests if result.in_flight and t.owns(result.in_flight)), None)
        if culprit is not None:
            why = (
                f"did not finish within {settings.timeout:g}s and could not be stopped: it loops "
                "forever or hangs (the sandbox killed it)"
            )
            rest = [t for t in tests if t is not culprit]
            return [
                (culprit, [Verdict("time", False, why)], {}),
                *_sessions(rest, runner, baseline, settings),
            ]
        if len(tests) == 1:
            tail = " ".join(result.output.strip().splitlines()[-3:])[-400:]
            why = "the test session ended without a result" + (
                " (wall-time limit)" if result.timed_out else ""
            )
            return [(tests[0], [Verdict("sandbox", False, f"{why}: {tail or 'no output'}")], {})]
        middle = len(tests) // 2
        return _sessions(tests[:middle], runner, baseline, settings) + _sessions(
            tests[middle:], runner, baseline, settings
        )
    written_by = {t.ident: _written(t, result) for t in tests}
    unexplained = set(result.leftovers) - {p for paths in written_by.values() for p in paths}
    unexplained -= {t.path for t in tests}
    if unexplained and len(tests) > 1:
        middle = len(tests) // 2
        return _sessions(tests[:middle], runner, baseline, settings) + _sessions(
            tests[middle:], runner, baseline, settings
        )
    return [
        _judge(
            t,
            result,
            baseline,
            settings,
            written_by[t.ident] | (unexplained if len(tests) == 1 else set()),
        )
        for t in tests
    ]


def _written(test: NewTest, result: RunResult) -> set[str]:
    paths = {p for owner, found in result.writes.items() if test.owns(owner) for p in found}
    return paths & set(result.leftovers)


def _judge(
    test: NewTest,
    result: RunResult,
    baseline: Mapping[str, SpanCoverage],
    settings: TestSettings,
    leftovers: set[str],
) -> Judged:
    gates: list[Verdict] = []
    figures: dict[str, Any] = {"runs": settings.runs}

    def gate(name: str, reason: str | None) -> bool:
        gates.append(Verdict(name, reason is None, reason))
        return reason is None

    nodeids = sorted(n for n in result.outcomes if test.owns(n))
    error = result.collect_errors.get(test.path)
    own = settings.project_args
    if own is not None and not error and test.path not in result.collectors:
        command = " ".join(["pytest", *own]).strip()
        gate(
            "collected",
            f"the project's own `{command}` does not collect it (its testpaths, python_files "
            "or rootdir leave it out)",
        )
        return test, gates, figures
    if not gate(
        "imports",
        f"does not import: {error}" if error else None if nodeids else "collects no tests",
    ):
        return test, gates, figures
    violations = [
        v for owner, found in result.violations.items() if test.owns(owner) for v in found
    ]
    if not gate(
        "sandbox", "the test " + "; ".join(dict.fromkeys(violations)) if violations else None
    ):
        return test, gates, figures
    runs = [result.outcomes[n] for n in nodeids]
    if any(run.timeout for found in runs for run in found):
        gate("time", f"did not finish within {settings.timeout:g}s: it loops forever or hangs")
        return test, gates, figures
    per_run = [
        sum(found[i].seconds for found in runs if i < len(found)) for i in range(settings.runs)
    ]
    # Runs stop at a test's first failure, so the runs passed in a row are the shortest streak.
    passes = min(_streak(found) for found in runs)
    figures.update(runs_passed=passes, seconds=round(sum(per_run) / max(1, passes), 4))
    # The gate measures CPU time where the sandbox reports it: a loaded machine stretches the
    # wall clock, not the work a test does.
    per_run_cpu = [
        sum(_work_seconds(found[i]) for found in runs if i < len(found))
        for i in range(settings.runs)
    ]
    slowest = max(per_run_cpu, default=0.0)
    too_slow = f"a run took {slowest:.1f} CPU seconds, over the limit of {settings.timeout:g}s"
    if not gate("time", too_slow if slowest > settings.timeout else None):
        return test, gates, figures
    if passes < settings.runs:
        outcomes = [run for found in runs for run in found]
        failed = [r.message for r in outcomes if r.outcome in ("failed", "error") and r.message]
        message = _last_line(failed[0] if failed else "")
        if all(run.outcome == "skipped" for run in outcomes):
            reason = "is skipped, so it proves nothing"
        elif passes > 0:
            reason = f"flaky: passed {passes} of {settings.runs} runs, then failed: {message}"
        else:
            reason = f"fails: {message}"
        gate("runs", reason)
        return test, gates, figures
    gate("runs", None)
    if not gate(
        "files", f"leaves files behind: {', '.join(sorted(leftovers)[:5])}" if leftovers else None
    ):
        return test, gates, figures
    before = baseline.get(test.target_key, SpanCoverage(frozenset(), frozenset()))
    mine = span_coverage(result.coverage.get(test.target_path), test.start, test.end, test.owns)
    if before.statements == frozenset():
        before = SpanCoverage(mine.statements, mine.branches)
    gained = gain(before, mine)
    figures.update(
        lines_gained=gained.lines,
        branches_gained=gained.branches,
        before=before.figures(),
        after=gained.after.figures(),
        # What nothing covered before: line numbers and branch arcs in the target's file.
        newly_covers={
            "lines": sorted(gained.after.lines - before.lines),
            "branches": [f"{a}->{b}" for a, b in sorted(gained.after.arcs - before.arcs)],
        },
    )
    no_gain = None
    if not gained.raises:
        no_gain = f"raises no coverage of `{test.qualname}`" + (
            ": it does not run it" if not mine.lines else ": what it runs was already covered"
        )
    if gate("coverage", no_gain) and own is not None:
        gate("collected", None)  # its session collected it the way the project's command does
    return test, gates, figures


def _work_seconds(run: TestOutcome) -> float:
    """The CPU seconds a run took where the sandbox measured them, else its wall seconds."""
    return run.seconds if run.cpu_seconds is None else run.cpu_seconds


def _streak(runs: Sequence[TestOutcome]) -> int:
    count = 0
    for run in runs:
        if run.outcome != "passed":
            break
        count += 1
    return count


def _last_line(message: str | None) -> str:
    """The line of a pytest failure that says what went wrong, e.g. `ZeroDivisionError: ...`."""
    lines = [line.strip() for line in (message or "").splitlines() if line.strip()]
    if not lines:
        return "no message"
    named = [line for line in lines if re.search(r"\b\w*(Error|Exception|Exit)\b", line)]
    errors = [line for line in lines if line.startswith("E ")]
    chosen = (named or errors or lines)[-1]
    return re.sub(r"^(E\s+|[|+\s]+)", "", chosen).strip()[:300]
