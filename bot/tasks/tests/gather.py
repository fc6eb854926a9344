"""Facts for the tests task, gathered once per job: conventions, coverage today, example calls.

One baseline run of the repository's suite under coverage (a context per test) tells which
lines and branches of each target its tests miss, and whether those tests pass. One probe run
in the sandbox imports the targets, runs their example calls twice and asks Hypothesis's
ghostwriter for property tests. Everything here runs code only through the `TestRunner`.
"""

from __future__ import annotations

import ast
import functools
import operator
import re
from collections.abc import Iterator, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from codegen_bot.bot.config import TestsConfig
from codegen_bot.bot.tasks.suite_baseline import Baseline
from codegen_bot.refactor.sandbox.runner import RunResult, TestRunner
from codegen_bot.refactor.targets import Target, top_level_names
from codegen_bot.refactor.testing.boundary_calls import BOUNDARY, boundary_variants
from codegen_bot.refactor.testing.conventions import Conventions
from codegen_bot.refactor.testing.coverage_data import SpanCoverage, span_coverage
from codegen_bot.refactor.testing.example_calls import (
    CallExample,
    annotation_examples,
    call_site_examples,
    doctest_examples,
)
from codegen_bot.refactor.testing.instance_calls import instance_examples
from codegen_bot.refactor.testing.target_facts import ObservedExample, TestTarget

_MAX_SCANNED_FILES = 3000
_MAX_SCANNED_BYTES = 300_000
_PROBE_CALL_SECONDS = 2.0
#: Examples kept per target; of them, boundary variants kept without new coverage.
_MAX_EXAMPLES = 12
_MAX_BOUNDARY = 6


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


def public_names(source: str) -> set[str]:
    """Names a module defines publicly at its top level (functions, classes, assignments)."""
    return {name for name in top_level_names(source) if not name.startswith("_")}


def candidate_calls(
    target: Target, sources: list[tuple[str, str]], module: str = ""
) -> list[CallExample]:
    """Doctest examples, call sites, calls from annotations, then their boundary variants.

    A call whose imports bind a name differently from an earlier call's is left out: all the
    calls of one target run in one namespace and end up in one test module.
    """
    node = _definition(target)
    docstring = ast.get_docstring(node) if node is not None else None
    public = public_names(target.source)
    calls = doctest_examples(target.qualname, docstring, module=module, public=public)
    calls += call_site_examples(target.qualname, target.kind, sources, module=module, public=public)
    if node is not None:
        calls += annotation_examples(node, target.qualname, target.kind)
        calls += boundary_variants(calls, node)
        if target.kind == "method":
            calls += instance_examples(
                target.qualname, node, target.source, sources, module=module, public=public
            )
    unique: dict[str, CallExample] = {}
    bound: dict[str, tuple[str, str]] = {target.qualname.split(".")[0]: ("", "")}
    for call in calls:
        names = {name or source: (source, name) for source, name in call.imports}
        if any(bound.setdefault(name, how) != how for name, how in names.items()):
            continue
        unique.setdefault(call.expression, call)
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
        target.path + ":" + target.qualname: candidate_calls(target, sources, module)
        for target, module, _ in targets
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
            "calls": [c.expression for c in calls[key]],
            # what the calls' imports bind: name -> [module ("" for the target's), attribute]
            "names": {
                name or source: [source, name] for c in calls[key] for source, name in c.imports
            },
        }
        if wants_property_tests(target, conventions, config):
            spec["ghostwriter"] = {"style": conventions.style, "except": list(raises[key])}
        specs.append(spec)
    probe, hung = _probe(runner, specs, sorted({t.path for t, _, _ in targets}))
    found = []
    for target, module, test_path in targets:
        key = f"{target.path}:{target.qualname}"
        entry = probe.probe.get(key) or {}
        origins = {c.expression: c for c in calls[key]}
        examples, notes = observed_examples(entry, origins, raises[key])
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
    """The examples that each run a line or branch nothing covers yet, and boundary values.

    What the suite covers today (`covered`, doctests included when the project runs them)
    and the examples kept before count as covered. A doctest example stays when the project
    does not run its doctests: a test then proves what the documentation shows. A few
    boundary variants (the function's own constants) stay without new coverage: they pin the
    values a mutated constant or comparison would change.
    """
    file = probe.coverage.get(target.path)
    lines: set[int] = set(covered.lines)
    arcs: set[tuple[int, int]] = set(covered.arcs)
    kept = []
    boundaries = 0
    for example in examples:
        is_call = functools.partial(operator.eq, f"call:{key}:{example.expression}")
        ran = span_coverage(file, target.start, target.end, is_call)
        keep_doctest = example.origin == "doctest" and not doctests_run
        if keep_doctest or (ran.lines - lines) or (ran.arcs - arcs) or file is None:
            kept.append(example)
            lines |= ran.lines
            arcs |= ran.arcs
        elif example.origin == BOUNDARY and boundaries < _MAX_BOUNDARY:
            kept.append(example)
            boundaries += 1
    return kept[:_MAX_EXAMPLES]


def observed_examples(
    entry: dict[str, object], calls: dict[str, CallExample], raises: tuple[str, ...]
) -> tuple[list[ObservedExample], list[str]]:
    """Examples worth asserting, and notes on the ones left out."""
    examples: list[ObservedExample] = []
    notes: list[str] = []
    if entry.get("error"):
        notes.append(str(entry["error"]))
    reported = entry.get("examples")
    for seen in reported if isinstance(reported, list) else []:
        if not isinstance(seen, dict):
            continue
        call = seen.get("call")
        known = calls.get(call) if isinstance(call, str) else None
        if known is None:
            continue  # not a call of ours (the repository's code shares the probe's process)
        call, origin, imports = known.call, known.origin, known.imports
        variant = origin == BOUNDARY or known.instance is not None
        ours = variant or origin == "annotations"
        if "problem" in seen:
            if not variant:  # a variant of ours: its problem is no news to a maintainer
                notes.append(f"`{call}` {seen['problem']}")
        elif "value" in seen and known.instance is not None:
            examples += _on_instance(known, seen["value"])
        elif "value" in seen:
            examples.append(ObservedExample(call, origin, returns=seen["value"], imports=imports))
        elif seen.get("raises"):
            name = seen["raises"]
            # An exception the function raises on purpose, or one a human's own example shows
            # (not one skipped: it may raise only where its author's files or network are
            # absent; on a made-up instance, the constructor may be what raised).
            if (not ours and origin != "doctest skipped") or re.sub(r".*\.", "", name) in raises:
                examples.append(
                    ObservedExample(
                        call, origin, raises=name, imports=imports, instance=known.instance
                    )
                )
    return examples, notes


def _on_instance(known: CallExample, value: str) -> list[ObservedExample]:
    """The example a probe's `(state before, value returned, state after)` gives, if any.

    Nothing when the call returned None and left the state as it was: there is nothing to
    assert.
    """
    try:
        before, returned, after = ast.literal_eval(value)  # the probe's literal of that triple
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return []  # not the probe's triple: the code under test wrote over its results
    state = repr(after) if after != before else None
    if returned is None and state is None:
        return []
    return [
        ObservedExample(
            known.call,
            known.origin,
            returns=repr(returned),
            imports=known.imports,
            instance=known.instance,
            state=state,
        )
    ]
