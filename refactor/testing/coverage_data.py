"""Coverage of one definition: which of its lines and branches which tests ran, and the gain.

Pure functions over the summary `sandbox_main.summarize_coverage` writes: per file its
statements, its branch arcs (arcs leaving a line with more than one exit) and, per coverage
context (a test's node id, or ``""`` for code run at import time), the lines and arcs it ran.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Arc = tuple[int, int]


@dataclass(frozen=True)
class FileCoverage:
    """One measured file: its statements and branch arcs, and what each context ran."""

    statements: frozenset[int]
    branches: frozenset[Arc]
    contexts: Mapping[str, tuple[frozenset[int], frozenset[Arc]]] = field(default_factory=dict)
    error: str | None = None


def read_coverage(data: Mapping[str, Any], prefix: str) -> dict[str, FileCoverage]:
    """The JSON summary as `FileCoverage` values, keyed by path relative to `prefix`."""
    files: dict[str, FileCoverage] = {}
    for path, entry in data.items():
        relative = path.removeprefix(prefix)
        if "error" in entry:
            files[relative] = FileCoverage(frozenset(), frozenset(), {}, entry["error"])
            continue
        files[relative] = FileCoverage(
            statements=frozenset(entry["statements"]),
            branches=frozenset(tuple(arc) for arc in entry["branches"]),
            contexts={
                name: (frozenset(ran["lines"]), frozenset(tuple(arc) for arc in ran["arcs"]))
                for name, ran in entry["contexts"].items()
            },
        )
    return files


@dataclass(frozen=True)
class SpanCoverage:
    """The statements and branch arcs of lines `start..end`, and those some tests ran."""

    statements: frozenset[int]
    branches: frozenset[Arc]
    lines: frozenset[int] = frozenset()
    arcs: frozenset[Arc] = frozenset()

    @property
    def missed_lines(self) -> tuple[int, ...]:
        """Statements no counted test ran."""
        return tuple(sorted(self.statements - self.lines))

    @property
    def missed_branches(self) -> tuple[Arc, ...]:
        """Branch arcs no counted test took."""
        return tuple(sorted(self.branches - self.arcs))

    @property
    def complete(self) -> bool:
        """Whether every statement and branch is already covered."""
        return not self.missed_lines and not self.missed_branches

    def union(self, other: SpanCoverage) -> SpanCoverage:
        """What both together cover."""
        return SpanCoverage(
            self.statements, self.branches, self.lines | other.lines, self.arcs | other.arcs
        )

    def figures(self) -> dict[str, int]:
        """Counts for the report."""
        return {
            "lines_total": len(self.statements),
            "lines_covered": len(self.lines),
            "branches_total": len(self.branches),
            "branches_covered": len(self.arcs),
        }


def span_coverage(
    file: FileCoverage | None, start: int, end: int, counts: Callable[[str], bool]
) -> SpanCoverage:
    """Coverage of lines `start..end` by the contexts for which `counts(name)` is true."""
    if file is None:
        return SpanCoverage(frozenset(), frozenset())
    statements = frozenset(line for line in file.statements if start <= line <= end)
    branches = frozenset(arc for arc in file.branches if start <= arc[0] <= end)
    lines: set[int] = set()
    arcs: set[Arc] = set()
    for name, (ran_lines, ran_arcs) in file.contexts.items():
        if counts(name):
            lines |= ran_lines & statements
            arcs |= ran_arcs & branches
    return SpanCoverage(statements, branches, frozenset(lines), frozenset(arcs))


def covering_tests(file: FileCoverage | None, start: int, end: int) -> set[str]:
    """Node ids of the tests that ran some line of `start..end` (import time does not count)."""
    if file is None:
        return set()
    span = range(start, end + 1)
    return {
        name
        for name, (ran_lines, _) in file.contexts.items()
        if name and any(line in span for line in ran_lines)
    }


@dataclass(frozen=True)
class Gain:
    """What a new test adds to a definition's coverage."""

    lines: int
    branches: int
    before: SpanCoverage
    after: SpanCoverage

    @property
    def raises(self) -> bool:
        """Whether line or branch coverage goes up."""
        return self.lines > 0 or self.branches > 0


def gain(before: SpanCoverage, new: SpanCoverage) -> Gain:
    """The gain of adding the coverage `new` to `before`."""
    after = before.union(new)
    return Gain(
        lines=len(after.lines) - len(before.lines),
        branches=len(after.arcs) - len(before.arcs),
        before=before,
        after=after,
    )


def coverage_summary(files: Mapping[str, FileCoverage]) -> dict[str, Any]:
    """`FileCoverage` values back as the JSON summary `read_coverage` reads (prefix "")."""
    summary: dict[str, Any] = {}
    for path, file in files.items():
        if file.error is not None:
            summary[path] = {"error": file.error}
            continue
        summary[path] = {
            "statements": sorted(file.statements),
            "branches": sorted(file.branches),
            "contexts": {
                name: {"lines": sorted(lines), "arcs": sorted(arcs)}
                for name, (lines, arcs) in file.contexts.items()
            },
        }
    return summary
