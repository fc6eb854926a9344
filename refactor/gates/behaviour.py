"""Gates for rewrites of existing code: the tests that cover it, then the whole suite, still pass.

The repository's suite runs once at base with a coverage context per test (the caller's
baseline). From it, `coverage_gate` says which tests cover a function — a function no passing
test runs is not refactored — and, when asked, whether every changed statement is run.

`prove_together` then runs the whole suite ONCE with every change applied. When it passes, each
change's covering tests passed with it and the combination passed the suite: two runs in all
(baseline and this one). When tests break, a broken test that covers exactly one change condemns
that change; otherwise the culprit is found by bisection over the ordered changes (running only
the broken tests), dropped, and the suite runs again on the rest until it passes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from codegen_bot.refactor.gates.verdict import Verdict
from codegen_bot.refactor.sandbox.runner import RunResult, TestRunner
from codegen_bot.refactor.testing.coverage_data import FileCoverage, covering_tests

#: What a run that did not finish is called among the broken tests (no change covers it).
UNFINISHED = "(the suite did not finish)"


def body_lines(def_line: int, header_end: int, end: int) -> tuple[int, int]:
    """The lines of a definition's body: after its signature, or the whole one-liner."""
    return (header_end + 1, end) if header_end < end else (def_line, end)


def coverage_gate(
    file: FileCoverage | None,
    failing: frozenset[str],
    body: tuple[int, int],
    changed: tuple[int, int] | None = None,
) -> tuple[Verdict, tuple[str, ...]]:
    """Whether passing tests run the function (and, given `changed`, every changed statement).

    `body` is the function's body lines, `failing` the tests that failed at base, `changed` the
    base lines the rewrite replaces (only its statements inside the body are checked: the
    signature runs at import time). Returns the verdict and the covering tests' node ids.
    """
    started = time.perf_counter()

    def verdict(reason: str | None) -> Verdict:
        """The coverage verdict: passed when there is no reason against it."""
        return Verdict("coverage", reason is None, reason, time.perf_counter() - started)

    if file is not None and file.error:
        return verdict(f"coverage could not measure the file: {file.error}"), ()
    tests = tuple(sorted(covering_tests(file, *body)))
    if not tests:
        return verdict("not covered by tests"), ()
    broken = [test for test in tests if test in failing]
    if broken:
        shown = ", ".join(broken[:3]) + (f" and {len(broken) - 3} more" if len(broken) > 3 else "")
        return verdict(f"tests that cover it already fail before the change: {shown}"), tests
    if changed is not None and file is not None:
        low, high = max(changed[0], body[0]), min(changed[1], body[1])
        statements = {line for line in file.statements if low <= line <= high}
        ran: set[int] = set()
        for test in tests:
            ran |= file.contexts[test][0]
        missed = sorted(statements - ran)
        if missed:
            lines = ", ".join(str(line) for line in missed[:5])
            return verdict(f"not covered by tests: changed line(s) {lines} never run"), tests
    return verdict(None), tests


@dataclass(frozen=True)
class Change:
    """One proposed rewrite, known by its key, and the tests that cover it at base."""

    key: str
    path: str
    tests: frozenset[str]


#: The texts (path → text) of the files a set of changes edits, all of them applied; or why
#: they cannot be applied together.
Build = Callable[[Sequence[Change]], Mapping[str, str] | str]


@dataclass(frozen=True)
class SuiteRun:
    """One sandboxed run made to prove changes: what ran, with how many changes, what broke."""

    purpose: str
    changes: int
    tests: int | None  # None: the whole suite
    seconds: float
    broken: tuple[str, ...]


@dataclass
class Proof:
    """The gates each change went through here, and every run it took."""

    verdicts: dict[str, tuple[Verdict, ...]] = field(default_factory=dict)
    runs: list[SuiteRun] = field(default_factory=list)

    def passed(self, key: str) -> bool:
        """Whether the change `key` passed its covering tests and the suite."""
        gates = self.verdicts.get(key, ())
        return bool(gates) and all(gate.passed for gate in gates)


@dataclass
class SuiteProver:
    """Runs the suite in the runner's scratch worktree with sets of changes written into it.

    `suite_args` is what runs the whole suite; `baseline` the run at base (its failures and
    import errors are not blamed on changes); `wall_seconds` the limit of each run.
    """

    runner: TestRunner
    suite_args: Sequence[str]
    baseline: RunResult
    build: Build
    wall_seconds: float
    progress: Callable[[str], None] = lambda _: None
    proof: Proof = field(default_factory=Proof)

    def _broken(self, result: RunResult) -> tuple[tuple[str, ...], dict[str, str]]:
        """Tests that pass at base and not now (and new import errors), with their messages."""
        if not result.completed:
            why = "timed out" if result.timed_out else "crashed"
            return (UNFINISHED,), {UNFINISHED: f"the run {why}: {result.output[-300:].strip()}"}
        failing = set(self.baseline.failed_tests)
        messages = {
            nodeid: (runs[-1].message or runs[-1].outcome)
            for nodeid, runs in result.outcomes.items()
            if nodeid not in failing and any(r.outcome in ("failed", "error") for r in runs)
        }
        for module, message in result.collect_errors.items():
            if module not in self.baseline.collect_errors:
                messages[module] = message
        return tuple(sorted(messages)), messages

    def run(
        self, changes: Sequence[Change], tests: Sequence[str] | None, purpose: str
    ) -> tuple[tuple[str, ...], dict[str, str]]:
        """Run `tests` (None: the whole suite) with `changes` applied; return what broke."""
        texts = self.build(changes)
        if isinstance(texts, str):
            return (UNFINISHED,), {UNFINISHED: texts}
        root = self.runner.root
        originals = {path: (root / path).read_bytes() for path in texts}
        try:
            for path, text in texts.items():
                (root / path).write_bytes(text.encode("utf-8"))
            args = list(self.suite_args) if tests is None else list(tests)
            result = self.runner.pytest(args, [], self.wall_seconds)
        finally:
            for path, data in originals.items():
                (root / path).write_bytes(data)
        broken, messages = self._broken(result)
        self.proof.runs.append(
            SuiteRun(
                purpose, len(changes), None if tests is None else len(tests), result.seconds, broken
            )
        )
        return broken, messages

    def bisect(self, changes: Sequence[Change], broken: Sequence[str]) -> int:
        """The index of the first change whose prefix breaks `broken` (the whole list does)."""
        tests = None if UNFINISHED in broken else list(broken)
        good, bad = 0, len(changes)  # no change passes (the baseline); all of them fail
        while bad - good > 1:
            middle = (good + bad) // 2
            found, _ = self.run(changes[:middle], tests, f"bisect: first {middle} changes")
            if found:
                bad = middle
            else:
                good = middle
        return bad - 1


def prove_together(prover: SuiteProver, changes: Sequence[Change]) -> Proof:
    """Run the suite with all changes; drop culprits (by coverage, else bisection) until green."""
    remaining = list(changes)
    proof = prover.proof
    while remaining:
        count = len(remaining)
        prover.progress(f"refactor: running the suite with {count} change(s) applied")
        broken, messages = prover.run(remaining, None, f"suite with {count} changes")
        seconds = proof.runs[-1].seconds / count
        if not broken:
            for change in remaining:
                proof.verdicts[change.key] = (
                    Verdict("covering-tests", True, None, seconds),
                    Verdict("suite", True, None, seconds),
                )
            break
        # A broken test that runs exactly one of the changes condemns that change.
        blamed: dict[str, list[str]] = {}
        for test in broken:
            suspects = [change for change in remaining if test in change.tests]
            if len(suspects) == 1:
                blamed.setdefault(suspects[0].key, []).append(test)
        if blamed:
            for key, tests in blamed.items():
                proof.verdicts[key] = (
                    Verdict("covering-tests", False, _failed(tests, messages), seconds),
                )
            remaining = [change for change in remaining if change.key not in blamed]
            continue
        prover.progress(f"refactor: {len(broken)} test(s) broke; bisecting {count} changes")
        index = prover.bisect(remaining, broken)
        culprit = remaining.pop(index)
        gate = "covering-tests" if set(broken) & culprit.tests else "suite"
        reason = (
            f"{_failed(broken, messages)} — with the changes before it applied; bisection over "
            f"{count} changes found this one"
        )
        proof.verdicts[culprit.key] = (Verdict(gate, False, reason, seconds),)
    return proof


def _failed(tests: Sequence[str], messages: Mapping[str, str]) -> str:
    """`tests/t.py::test_a fails (AssertionError: ...)`, for at most three tests."""
    parts = []
    for test in list(tests)[:3]:
        lines = (messages.get(test) or "").strip().splitlines()
        # pytest marks the explanation with `E`; else the last line says where it failed.
        said = [line[1:].strip() for line in lines if line.startswith("E ")]
        message = said[0] if said else (lines[-1].strip() if lines else "")
        parts.append(f"`{test}` fails" + (f" ({message[:200]})" if message else ""))
    more = f" and {len(tests) - 3} more" if len(tests) > 3 else ""
    return "; ".join(parts) + more
