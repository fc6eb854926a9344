"""A repository's history as `codegen adapters mine` reads it: the workspace behind `History`.

The miners (adapters/lora/mining) are pure; this is where git, the base configuration and the
run context a review would build come from, so that a mined row's prompt is the one a review
of that folder would show.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from codegen_bot.adapters.lora.dataset_context import KEPT_EXAMPLES, DatasetContext, folder_of
from codegen_bot.adapters.lora.mining.records import CommitChange, FileChange
from codegen_bot.bot.config import Config
from codegen_bot.bot.errors import ConfigError
from codegen_bot.bot.tasks.pipeline import load_config
from codegen_bot.bot.tasks.run_context import run_context
from codegen_bot.bot.workspace.repository import Workspace, history
from codegen_bot.bot.workspace.sources import repository_style


@dataclass(frozen=True)
class WorkspaceHistory:
    """The first-parent history `since..head` of a git repository (implements `History`)."""

    workspace: Workspace
    head: str
    since: str | None
    max_commits: int

    @classmethod
    def open(cls, repo: str, since: str | None = None, max_commits: int = 2000) -> WorkspaceHistory:
        """The repository at `repo`, mined at HEAD; a WorkspaceError if `since` does not resolve."""
        workspace = Workspace(repo)
        head = workspace.resolve("HEAD")
        if since is not None:
            workspace.resolve(since)
        return cls(workspace, head, since, max_commits)

    @property
    def name(self) -> str:
        """The repository's path."""
        return str(self.workspace.path)

    def commits(self) -> Iterator[CommitChange]:
        """Each commit, oldest first, with its Python files before and after."""
        for record in history(self.workspace, self.head, self.since, self.max_commits):
            files = tuple(FileChange(*f) for f in record.files)
            yield CommitChange(record.sha, record.message, files)

    def python_files(self) -> Mapping[str, str]:
        """Every Python file at head that decodes as UTF-8."""
        found = {}
        for path in self.workspace.files(self.head, ".py"):
            text = self.workspace.text(self.head, path)
            if text is not None:
                found[path] = text
        return found

    def last_commit(self, path: str) -> str:
        """The last commit at or before head that touched `path` (head when none is found)."""
        commit = next(self.workspace.repo.iter_commits(self.head, paths=path, max_count=1), None)
        return commit.hexsha if commit else self.head

    def config_files(self) -> Mapping[str, str]:
        """The configuration files at head."""
        return self.workspace.config_files(self.head)

    def dataset_context(self, docs_paths: list[str]) -> DatasetContext:
        """What the engine's prompts and gates would read from the repository at head.

        The docstring examples are gathered per folder of the docs rows, as `run_context` picks
        them for a change in that folder, one more than a prompt shows (see `DatasetContext`).
        """
        workspace, head = self.workspace, self.head
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
