"""Inside the sandbox: coverage summaries per context, and Hypothesis settings for repeated runs."""

from __future__ import annotations

import contextlib
import sqlite3
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


def _arcs_by_context(database: str, path: str) -> dict[str, dict[str, list[Any]]]:
    """The lines and arcs each context ran in `path`, in one query of coverage's database.

    What `CoverageData.lines` and `.arcs` give under a query context, for every context at
    once (asking context by context costs a query and a connection each: seconds for a suite
    of a thousand tests). Branch data holds arcs only; a line ran where an arc starts or ends.
    """
    arcs: dict[str, set[tuple[int, int]]] = {}
    with contextlib.closing(sqlite3.connect(database)) as connection:
        rows = connection.execute(
            "select distinct context.context, arc.fromno, arc.tono from arc"
            " join context on context.id = arc.context_id"
            " join file on file.id = arc.file_id where file.path = ?",
            (path,),
        )
        for name, start, end in rows:
            arcs.setdefault(name, set()).add((start, end))
    return {
        name: {
            "lines": sorted({line for arc in found for line in arc if line > 0}),
            "arcs": sorted(found),
        }
        for name, found in sorted(arcs.items())
    }


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
        contexts = _arcs_by_context(data.data_filename(), path) if path in measured else {}
        summary[path] = {
            "statements": sorted(parser.statements),
            "branches": branches,
            "contexts": contexts,
        }
    return summary
