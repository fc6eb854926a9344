"""Facts for the tests task, gathered once per job: conventions, coverage today, example calls.

One baseline run of the repository's suite under coverage (a context per test) tells which
lines and branches of each target its tests miss, and whether those tests pass. One probe run
in the sandbox imports the targets, runs their example calls twice and asks Hypothesis's
ghostwriter for property tests. Everything here runs code only through the `TestRunner`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from git.exc import GitCommandError

from bot.config import TestsConfig
from bot.workspace import Workspace
from refactor.targets import Target
from refactor.testrun.build import build_generated_files
from refactor.testrun.conventions import Conventions
from refactor.testrun.coverage_data import SpanCoverage, covering_tests, span_coverage
from refactor.testrun.examples import (
    CallExample,
    annotation_examples,
    call_site_examples,
    doctest_examples,
)
from refactor.testrun.facts import ObservedExample, TestTarget
from refactor.testrun.runner import RunResult, TestRunner

_MAX_SCANNED_FILES = 3000
_MAX_SCANNED_BYTES = 300_000
_PROBE_CALL_SECONDS = 2.0


@dataclass(frozen=True)
class Baseline:
    """The repository's suite at head: what failed, and what covers each target."""

    result: RunResult | None
    failing: frozenset[str]
    note: str | None
    #: Why coverage today cannot be trusted (no gain may be measured from it); None if it can.
    distrust: str | None = None

    def coverage(self, target: Target) -> SpanCoverage:
        """The target's coverage by import-time code and the tests that passed."""
        file = self.result.coverage.get(target.path) if self.result else None
        return span_coverage(file, target.start, target.end, lambda name: name not in self.failing)

    def failing_covering(self, target: Target) -> list[str]:
        """The failing tests that run some line of the target."""
        file = self.result.coverage.get(target.path) if self.result else None
        return sorted(covering_tests(file, target.start, target.end) & self.failing)


def error_line(message: str) -> str:
    """The line of a pytest error that names it (`ModuleNotFoundError: No module named 'x'`)."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    named = [line for line in lines if re.search(r"\b\w*(Error|Exception|Exit)\b", line)]
    chosen = (named or lines or ["no message"])[-1]
    return re.sub(r"^E\s+", "", chosen)[:300]


def import_errors(result: RunResult) -> str:
    """Every test module that did not import, each with its error's text."""
    return "; ".join(
        f"`{module}`: {error_line(message)}"
        for module, message in sorted(result.collect_errors.items())
    )


def run_baseline(
    runner: TestRunner, conventions: Conventions, targets: Sequence[Target], config: TestsConfig
) -> Baseline:
    """Run the repository's suite once, under coverage of the targets' files.

    A suite that did not finish, or whose modules did not all import, measures nothing
    reliable: no gain may be counted from it (`distrust`), never from a zero baseline.
    """
    if conventions.test_files == 0 and not conventions.pytest_args:
        return Baseline(None, frozenset(), "the repository has no tests of its own")
    cover = sorted({t.path for t in targets})
    result = runner.pytest(list(conventions.pytest_args), cover, config.suite_timeout)
    if not result.completed:
        why = "the wall-time limit" if result.timed_out else "a crash"
        tail = " ".join(result.output.split()[-30:])
        distrust = f"the repository's own suite did not finish ({why})"
        return Baseline(
            None,
            frozenset(),
            f"{distrust}: coverage today cannot be trusted, so no test was accepted"
            + (f" (last output: {tail})" if tail else ""),
            distrust,
        )
    failing = frozenset(result.failed_tests)
    total = len(result.outcomes)
    if result.collect_errors:
        count = len(result.collect_errors)
        distrust = f"{count} of the repository's test modules did not import"
        return Baseline(
            result,
            failing,
            f"{distrust} at head, so coverage today cannot be trusted and no test was "
            f"accepted: {import_errors(result)}",
            distrust,
        )
    note = None
    if failing:
        shown = ", ".join(sorted(failing)[:3])
        note = (
            f"the repository's own suite was red at head: {len(failing)} of {total} tests failed"
            f" ({shown}); targets covered by failing tests were skipped"
        )
    return Baseline(result, failing, note)


def rebuild_baseline(
    workspace: Workspace,
    head: str,
    runner: TestRunner,
    *,
    conventions: Conventions,
    targets: Sequence[Target],
    rules: TestsConfig,
) -> tuple[Baseline, list[str]]:
    """The suite's baseline after building the copy the way the project installs itself.

    Test modules that cannot import from a copy of the commit often miss a file the project's
    build makes (setuptools-scm's `_version.py`); the build runs in the sandbox, and the suite
    runs again with what it made.
    """
    built = build_generated_files(
        runner, conventions.import_root, _version(workspace, head), rules.suite_timeout
    )
    if built.problem is not None:
        return run_baseline(runner, conventions, targets, rules), [
            f"test modules did not import, and {built.problem}"
        ]
    if not built.copied:
        return run_baseline(runner, conventions, targets, rules), [
            "test modules did not import, and the project's own build made no file they lack"
        ]
    shown = ", ".join(f"`{path}`" for path in built.copied[:5])
    more = f" and {len(built.copied) - 5} more" if len(built.copied) > 5 else ""
    note = (
        f"test modules did not import from a copy of the commit: {shown}{more} made by the "
        "project's own build (pip install of the copy, in the sandbox) were added to it"
    )
    return run_baseline(runner, conventions, targets, rules), [note]


def _version(workspace: Workspace, head: str) -> str:
    """The version a build reads from git (setuptools-scm): the latest tag, else 0.0.0."""
    try:
        tag = workspace.repo.git.describe(head, "--tags", "--abbrev=0")
    except GitCommandError:
        return "0.0.0"
    version = tag.strip().removeprefix("v")
    return version if re.fullmatch(r"\d+(\.\d+)*\S*", version) else "0.0.0"


def repository_sources(root: Path) -> Iterator[tuple[str, str]]:
    """`(path, text)` of the worktree's Python files, for call sites (bounded in count and size)."""
    for count, path in enumerate(sorted(root.rglob("*.py"))):
        if count >= _MAX_SCANNED_FILES:
            return
        try:
            if path.stat().st_size > _MAX_SCANNED_BYTES:
                continue
            yield str(path.relative_to(root)), path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue


def _definition(target: Target) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    try:
        tree = ast.parse(target.source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name == target.name
            and node.lineno == target.def_line
        ):
            return node
    return None


def raised_names(node: ast.AST) -> tuple[str, ...]:
    """Names of the exceptions a definition raises itself (`raise ValueError(...)`)."""
    found = []
    for child in ast.walk(node):
        if isinstance(child, ast.Raise) and child.exc is not None:
            exc = child.exc.func if isinstance(child.exc, ast.Call) else child.exc
            if isinstance(exc, ast.Name | ast.Attribute):
                found.append(ast.unparse(exc).split(".")[-1])
    return tuple(dict.fromkeys(found))


def candidate_calls(target: Target, sources: list[tuple[str, str]]) -> list[CallExample]:
    """Doctest examples, then literal call sites, then calls from annotations (deduplicated)."""
    node = _definition(target)
    docstring = ast.get_docstring(node) if node is not None else None
    calls = doctest_examples(target.qualname, docstring)
    calls += call_site_examples(target.qualname, target.kind, sources)
    if node is not None:
        calls += annotation_examples(node, target.qualname, target.kind)
    unique: dict[str, CallExample] = {}
    for call in calls:
        unique.setdefault(call.call, call)
    return list(unique.values())[:40]


def wants_property_tests(target: Target, conventions: Conventions, config: TestsConfig) -> bool:
    """Property tests add Hypothesis to a project: only where it is used already, unless asked."""
    if config.property_tests == "never" or target.is_async:
        return False
    if target.kind == "method" and "staticmethod" not in target.decorators:
        return False
    return config.property_tests == "always" or conventions.uses_hypothesis


def gather(
    runner: TestRunner,
    targets: Sequence[tuple[Target, str, str]],
    conventions: Conventions,
    baseline: Baseline,
    config: TestsConfig,
) -> list[TestTarget]:
    """Probe each `(target, module, test_path)` in the sandbox and return its `TestTarget`."""
    sources = list(repository_sources(runner.root))
    calls = {
        target.path + ":" + target.qualname: candidate_calls(target, sources)
        for target, _, _ in targets
    }
    raises = {}
    specs = []
    for target, module, _ in targets:
        key = f"{target.path}:{target.qualname}"
        node = _definition(target)
        raises[key] = raised_names(node) if node is not None else ()
        spec: dict[str, Any] = {
            "key": key,
            "module": module,
            "qualname": target.qualname,
            "calls": [c.call for c in calls[key]],
        }
        if wants_property_tests(target, conventions, config):
            spec["ghostwriter"] = {"style": conventions.style, "except": list(raises[key])}
        specs.append(spec)
    probe, hung = _probe(runner, specs, sorted({t.path for t, _, _ in targets}))
    found = []
    for target, module, test_path in targets:
        key = f"{target.path}:{target.qualname}"
        entry = probe.probe.get(key) or {}
        origins = {c.call: c.origin for c in calls[key]}
        examples, notes = _observed(entry, origins, raises[key])
        before = baseline.coverage(target)
        examples = _useful(
            examples,
            probe,
            target,
            key,
            covered=before,
            doctests_run=conventions.runs_doctests,
        )
        notes += hung.get(key, [])
        if not probe.completed and not entry:
            notes.append(f"the probe did not finish: {' '.join(probe.output.split()[-20:])}")
        prop = entry.get("property") or {}
        if prop.get("problem"):
            notes.append(f"no property test: {prop['problem']}")
        values = {f.name: getattr(target, f.name) for f in fields(Target)}
        found.append(
            TestTarget(
                **values,
                module=module,
                test_path=test_path,
                conventions=conventions,
                examples=tuple(examples),
                property_test=prop.get("text"),
                raises=raises[key],
                missed_lines=before.missed_lines,
                missed_branches=before.missed_branches,
                notes=tuple(dict.fromkeys(notes)),
            )
        )
    return found


def _probe(
    runner: TestRunner, specs: list[dict[str, Any]], cover: list[str]
) -> tuple[RunResult, dict[str, list[str]]]:
    """Run the probe; when a call, an import or the ghostwriter hangs it, drop that and rerun."""
    hung: dict[str, list[str]] = {}
    for _ in range(4):
        wall = 60.0 + sum(len(s["calls"]) * 2 + 5 for s in specs) * _PROBE_CALL_SECONDS
        result = runner.probe(specs, cover, _PROBE_CALL_SECONDS, wall)
        if result.completed or not result.in_flight:
            break
        kind, _, rest = result.in_flight.partition(":")
        for spec in specs:
            key = spec["key"]
            if kind == "call" and rest.startswith(key + ":"):
                call = rest[len(key) + 1 :]
                spec["calls"] = [c for c in spec["calls"] if c != call]
                hung.setdefault(key, []).append(f"`{call}` hangs: the sandbox had to stop it")
            elif kind == "ghostwrite" and rest == key:
                spec.pop("ghostwriter", None)
                hung.setdefault(key, []).append("no property test: it hangs")
            elif kind == "import" and rest == key:
                spec["calls"] = []
                spec.pop("ghostwriter", None)
                hung.setdefault(key, []).append("importing it hangs")
    return result, hung


def _useful(
    examples: list[ObservedExample],
    probe: RunResult,
    target: Target,
    key: str,
    *,
    covered: SpanCoverage,
    doctests_run: bool,
) -> list[ObservedExample]:
    """The examples that each run a line or branch nothing covers yet.

    What the suite covers today (`covered`, doctests included when the project runs them)
    and the examples kept before count as covered. A doctest example stays when the project
    does not run its doctests: a test then proves what the documentation shows.
    """
    file = probe.coverage.get(target.path)
    lines: set[int] = set(covered.lines)
    arcs: set[tuple[int, int]] = set(covered.arcs)
    kept = []
    for example in examples:
        ran = span_coverage(
            file, target.start, target.end, lambda name, e=example: name == f"call:{key}:{e.call}"
        )
        keep_doctest = example.origin == "doctest" and not doctests_run
        if keep_doctest or (ran.lines - lines) or (ran.arcs - arcs) or file is None:
            kept.append(example)
            lines |= ran.lines
            arcs |= ran.arcs
    return kept[:10]


def _observed(
    entry: dict[str, object], origins: dict[str, str], raises: tuple[str, ...]
) -> tuple[list[ObservedExample], list[str]]:
    """Examples worth asserting, and notes on the ones left out."""
    examples: list[ObservedExample] = []
    notes: list[str] = []
    if entry.get("error"):
        notes.append(str(entry["error"]))
    for seen in entry.get("examples", []) or []:  # type: ignore[union-attr]
        assert isinstance(seen, dict)
        call, origin = seen["call"], origins.get(seen["call"], "")
        if "problem" in seen:
            notes.append(f"`{call}` {seen['problem']}")
        elif "value" in seen:
            examples.append(ObservedExample(call, origin, returns=seen["value"]))
        elif seen.get("raises"):
            name = seen["raises"]
            # An exception the function raises on purpose, or one a human's own example shows.
            if origin != "annotations" or re.sub(r".*\.", "", name) in raises:
                examples.append(ObservedExample(call, origin, raises=name))
    return examples, notes
