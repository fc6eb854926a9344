"""Which proposals a reviewer values most, for `max_suggestions` to keep — a pure ordering.

A pull request may touch far more definitions than one review should carry. The ones kept are
those a maintainer most wants documented: the package's public API before private modules and
names, before plugins, examples, tests and scripts; among equals, the definitions the pull
request changed most. Ties keep the report's order (by path), so the choice is stable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from codegen_bot.bot.report import Proposal
from codegen_bot.refactor.diffs import FileChanges

#: Folders whose code is not the package's API: examples, plugins, tests, scripts, vendored code.
SIDE_FOLDERS = frozenset(
    {
        "bench",
        "benchmarks",
        "contrib",
        "doc",
        "docs",
        "example",
        "examples",
        "plugin",
        "plugins",
        "sample",
        "samples",
        "script",
        "scripts",
        "test",
        "testing",
        "tests",
        "tools",
        "vendor",
    }
)


def _private(name: str) -> bool:
    """A `_name`, but not a dunder such as `__init__` (`__init__.py` is public too)."""
    stem = name.removesuffix(".pyi").removesuffix(".py")
    return stem.startswith("_") and not (stem.startswith("__") and stem.endswith("__"))


def place_value(path: str, symbol: str) -> int:
    """0: public API; 1: a private module or name; 2: plugins, examples, tests and the like."""
    parts = path.split("/")
    if any(part.lower() in SIDE_FOLDERS for part in parts[:-1]) or parts[-1].startswith("test_"):
        return 2
    if any(_private(part) for part in parts) or any(_private(n) for n in symbol.split(".")):
        return 1
    return 0


def lines_changed(proposal: Proposal, changes: Mapping[str, FileChanges]) -> int:
    """How many lines of the proposal's definition the pull request added or rewrote."""
    found = changes.get(proposal.path)
    if found is None:
        return 0
    return sum(1 for line in found.added if proposal.start <= line <= proposal.end)


def ranked(proposals: Sequence[Proposal], changes: Mapping[str, FileChanges]) -> list[Proposal]:
    """`proposals`, the most valuable first within each task (see the module); stable for ties.

    Tasks keep the order they came in (docs before refactorings, say).
    """
    tasks = list(dict.fromkeys(p.task for p in proposals))
    return sorted(
        proposals,
        key=lambda p: (
            tasks.index(p.task),
            place_value(p.path, p.symbol),
            -lines_changed(p, changes),
        ),
    )
