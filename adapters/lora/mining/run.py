"""`codegen adapters mine`, start to end: read a repository's history, hand it to the miners, write.

The repository comes in as a `History`: the bot's workspace implements it (git through
GitPython, the configuration of the mined commit), so this room never reaches up into the bot.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

from coverage import CoverageData

from codegen_bot.adapters.lora.dataset_context import DatasetContext
from codegen_bot.adapters.lora.mining import dataset
from codegen_bot.adapters.lora.mining.docs import docs_rows
from codegen_bot.adapters.lora.mining.records import CommitChange, Row
from codegen_bot.adapters.lora.mining.refactor import history_rows, ruff_rows
from codegen_bot.adapters.lora.mining.tests import CoverageCheck, tests_rows
from codegen_bot.refactor.edits.ruff_fix import ruff_fix
from codegen_bot.refactor.results import Success
from codegen_bot.refactor.targets import is_test_file


class History(Protocol):
    """A repository at one head commit, as the miners read it."""

    @property
    def name(self) -> str:
        """What the manifest calls the repository (its path)."""
        ...

    @property
    def head(self) -> str:
        """The mined commit."""
        ...

    @property
    def since(self) -> str | None:
        """Only commits after this revision are read (None: the whole history)."""
        ...

    def commits(self) -> Iterator[CommitChange]:
        """The commits to mine, oldest first, each with its changed Python files."""
        ...

    def python_files(self) -> Mapping[str, str]:
        """Every Python file at head that decodes, by path."""
        ...

    def last_commit(self, path: str) -> str:
        """The last commit that touched `path` (head when none is found)."""
        ...

    def config_files(self) -> Mapping[str, str]:
        """The linter and project configuration files at head, by path."""
        ...

    def dataset_context(self, docs_paths: list[str]) -> DatasetContext:
        """What the engine's prompts and gates would read at head for these docs rows."""
        ...


def coverage_check(data_file: Path) -> CoverageCheck:
    """A check backed by coverage.py data recorded with per-test contexts (`--cov-context=test`)."""
    data = CoverageData(basename=str(data_file))
    data.read()
    files = {Path(f).as_posix(): f for f in data.measured_files()}

    def covered(test_path: str, test_name: str, path: str, start: int, end: int) -> bool:
        """Whether the test ran a line of `path` in `start..end` (by coverage contexts)."""
        measured = next((name for posix, name in files.items() if posix.endswith("/" + path)), None)
        if measured is None:
            return False
        module = test_path.rsplit("/", 1)[-1].removesuffix(".py")
        for line, contexts in data.contexts_by_lineno(measured).items():
            if start <= line <= end and any(test_name in c and module in c for c in contexts):
                return True
        return False

    return covered


def mine(
    history: History,
    out: Path,
    *,
    coverage_file: Path | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Mine `history` into `out` (one JSONL per task plus manifest.json); return the manifest."""
    rows: list[Row] = []
    commits = 0
    for commit in history.commits():
        commits += 1
        rows.extend(docs_rows(commit))
        rows.extend(history_rows(commit))
    progress(f"read {commits} commits: {len(rows)} docs and refactor pairs from history")

    snapshot = dict(history.python_files())
    last_commit: dict[str, str] = {}

    def commit_of(path: str) -> str:
        """The last commit that touched `path`, asked once per path."""
        if path not in last_commit:
            last_commit[path] = history.last_commit(path)
        return last_commit[path]

    covered = coverage_check(coverage_file) if coverage_file else None
    rows.extend(tests_rows(snapshot, commit_of, covered))
    config_files = history.config_files()
    for path, source in sorted(snapshot.items()):
        if is_test_file(path):
            continue
        fixed = ruff_fix(path, source, config_files)
        if isinstance(fixed, Success):
            rows.extend(ruff_rows(path, source, fixed.value.text, commit_of(path)))
    progress(f"{len(rows)} pairs before cleaning")

    cleaned, dropped = dataset.clean(rows)
    out.mkdir(parents=True, exist_ok=True)
    context = history.dataset_context(sorted({r.path for r in cleaned if r.task == "docs"}))
    written = context.save(out)
    about = {
        "repo": history.name,
        "head": history.head,
        "since": history.since,
        "commits": commits,
        "context": {
            "file": written.name,
            "sha256": hashlib.sha256(written.read_bytes()).hexdigest(),
            "style": context.style,
        },
    }
    return dataset.write(dataset.split_by_file(cleaned), out, about, dropped)
