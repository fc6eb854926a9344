"""Inside the sandbox: coverage summaries per context, and Hypothesis settings for repeated runs."""

from __future__ import annotations

import re
from typing import Any


def quiet_hypothesis() -> None:
    """No example database in the sandbox: it would leave `.hypothesis/` behind.

    Running a unittest-style test again makes a new TestCase instance, which Hypothesis would
    take for a different executor: an artefact of the repeated runs, so that check is off.
    Hypothesis's per-example deadline (200 ms, on the wall) is off too: on a busy machine it
    fails sound tests; the sandbox's own CPU-time limit stops slow ones.
    """
    try:
        from hypothesis import HealthCheck, settings  # noqa: PLC0415
    except ImportError:
        return
    settings.register_profile(
        "codegen-sandbox",
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.differing_executors],
    )
    settings.load_profile("codegen-sandbox")


def summarize_coverage(cov: Any, files: list[str]) -> dict[str, Any]:
    """For each file: its statements, its branch arcs, and the lines and arcs each context ran."""
    from coverage.config import DEFAULT_EXCLUDE  # noqa: PLC0415
    from coverage.parser import PythonParser  # noqa: PLC0415

    data = cov.get_data()
    measured = set(data.measured_files())
    summary: dict[str, Any] = {}
    for path in files:
        try:
            parser = PythonParser(filename=path, exclude="|".join(DEFAULT_EXCLUDE))
            parser.parse_source()
        except Exception as error:  # a file coverage cannot parse is reported, not fatal
            summary[path] = {"error": str(error)}
            continue
        exits = parser.exit_counts()
        branches = sorted(arc for arc in parser.arcs() if exits.get(arc[0], 0) > 1)
        contexts: dict[str, dict[str, list[Any]]] = {}
        if path in measured:
            by_line = data.contexts_by_lineno(path)
            names = sorted({name for found in by_line.values() for name in found})
            for name in names:
                data.set_query_contexts([f"^{re.escape(name)}$"])
                contexts[name] = {
                    "lines": sorted(data.lines(path) or []),
                    "arcs": sorted(data.arcs(path) or []),
                }
            data.set_query_contexts(None)
        summary[path] = {
            "statements": sorted(parser.statements),
            "branches": branches,
            "contexts": contexts,
        }
    return summary
