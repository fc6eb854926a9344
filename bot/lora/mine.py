"""`codegen adapters mine`: gather a repository's history with git, hand it to the pure miners."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from coverage import CoverageData

from codegen_bot.adapters.lora.dataset_context import KEPT_EXAMPLES, DatasetContext, folder_of
from codegen_bot.adapters.lora.mining import dataset
from codegen_bot.adapters.lora.mining.docs import docs_rows
from codegen_bot.adapters.lora.mining.records import CommitChange, FileChange, Row
from codegen_bot.adapters.lora.mining.refactor import history_rows, ruff_rows
from codegen_bot.adapters.lora.mining.tests import CoverageCheck, tests_rows
from codegen_bot.bot.config import Config
from codegen_bot.bot.errors import ConfigError
from codegen_bot.bot.tasks.pipeline import load_config
from codegen_bot.bot.tasks.run_context import run_context
from codegen_bot.bot.workspace.repository import Workspace, history
from codegen_bot.bot.workspace.sources import repository_style
from codegen_bot.refactor.edits.ruff_fix import ruff_fix
from codegen_bot.refactor.results import Success
from codegen_bot.refactor.targets import is_test_file


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
        for line, contexts in data.contexts_by_lineno(measured).items():
            if start <= line <= end and any(
                test_name in c and test_path.rsplit("/", 1)[-1].removesuffix(".py") in c
                for c in contexts
            ):
                return True
        return False

    return covered


def mine(
    repo: str,
    out: Path,
    *,
    since: str | None = None,
    max_commits: int = 2000,
    coverage_file: Path | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Mine `repo` into `out` (one JSONL per task plus manifest.json); return the manifest."""
    workspace = Workspace(repo)
    head = workspace.resolve("HEAD")
    if since is not None:
        workspace.resolve(since)
    rows: list[Row] = []
    commits = 0
    for record in history(workspace, head, since, max_commits):
        commits += 1
        commit = CommitChange(
            record.sha, record.message, tuple(FileChange(*f) for f in record.files)
        )
        rows.extend(docs_rows(commit))
        rows.extend(history_rows(commit))
    progress(f"read {commits} commits: {len(rows)} docs and refactor pairs from history")

    snapshot = {}
    for path in workspace.files(head, ".py"):
        text = workspace.text(head, path)
        if text is not None:
            snapshot[path] = text
    last_commit: dict[str, str] = {}

    def commit_of(path: str) -> str:
        """The last commit that touched `path` (cached; head when none is found)."""
        if path not in last_commit:
            found = next(workspace.repo.iter_commits(head, paths=path, max_count=1), None)
            last_commit[path] = found.hexsha if found else head
        return last_commit[path]

    covered = coverage_check(coverage_file) if coverage_file else None
    rows.extend(tests_rows(snapshot, commit_of, covered))
    config_files = workspace.config_files(head)
    for path, source in sorted(snapshot.items()):
        if is_test_file(path):
            continue
        fixed = ruff_fix(path, source, config_files)
        if isinstance(fixed, Success):
            rows.extend(ruff_rows(path, source, fixed.value.text, commit_of(path)))
    progress(f"{len(rows)} pairs before cleaning")

    cleaned, dropped = dataset.clean(rows)
    out.mkdir(parents=True, exist_ok=True)
    context = dataset_context(
        workspace, head, sorted({r.path for r in cleaned if r.task == "docs"})
    )
    written = context.save(out)
    about = {
        "repo": str(workspace.path),
        "head": head,
        "since": since,
        "commits": commits,
        "context": {
            "file": written.name,
            "sha256": hashlib.sha256(written.read_bytes()).hexdigest(),
            "style": context.style,
        },
    }
    return dataset.write(dataset.split_by_file(cleaned), out, about, dropped)


def dataset_context(workspace: Workspace, head: str, docs_paths: list[str]) -> DatasetContext:
    """What the engine's prompts and gates would read from the repository at `head`.

    The docstring examples are gathered per folder of the docs rows, as `run_context` picks
    them for a change in that folder, one more than a prompt shows (see `DatasetContext`).
    """
    try:
        config = load_config(workspace, head)
    except ConfigError:
        config = Config()  # a broken [tool.codegen] is the review's problem, not the data's
    style = config.docs.style
    if style == "auto":
        style = repository_style(workspace, head)
    by_folder: dict[str, str] = {}
    for path in docs_paths:
        by_folder.setdefault(folder_of(path), path)
    examples = {}
    context = None
    for folder, path in sorted(by_folder.items()):
        context = run_context(workspace, head, style, config, [path], examples=KEPT_EXAMPLES)
        examples[folder] = context.docstring_examples
    if context is None:
        context = run_context(workspace, head, style, config, [], examples=KEPT_EXAMPLES)
    return DatasetContext(
        style=style,
        context_tokens=context.context_tokens,
        max_new_tokens=context.max_new_tokens,
        test_example=context.test_example,
        docstring_examples=examples,
        config_files=workspace.config_files(head),
    )
