"""The reviewed repository, read through GitPython without ever writing to it.

Files are read from commits (blobs), never from the working tree, so a dirty checkout does not
leak into a review and nothing in the repository changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import git

from codegen_bot.bot.errors import WorkspaceError
from codegen_bot.refactor.patches import git_lines

ChangeStatus = Literal["added", "modified", "deleted", "renamed", "copied"]
#: The configuration files that ruff and codegen read, copied beside files under check.
CONFIG_NAMES = ("pyproject.toml", "ruff.toml", ".ruff.toml", ".codegen.toml", "setup.cfg")


@dataclass(frozen=True)
class ChangedFile:
    """One file of the diff, with its zero-context patch (empty for binary files)."""

    path: str
    old_path: str | None
    status: ChangeStatus
    patch: str
    is_binary: bool


#: The git tree mode of a symbolic link.
_SYMLINK = 0o120000


@dataclass(frozen=True)
class Blob:
    """A file's bytes at a revision, or why they were not read."""

    data: bytes | None
    size: int
    problem: str | None = None


def _status(diff: git.Diff) -> ChangeStatus:
    # With patches, GitPython leaves `change_type` unset and sets these flags instead.
    if diff.new_file:
        return "added"
    if diff.deleted_file:
        return "deleted"
    if diff.renamed_file:
        return "renamed"
    if diff.copied_file:
        return "copied"
    return "modified"


class Workspace:
    """Read-only access to a local git repository's commits and diffs."""

    def __init__(self, path: str | Path) -> None:
        try:
            self.repo = git.Repo(path, search_parent_directories=False)
        except git.NoSuchPathError as error:
            raise WorkspaceError(f"{path}: no such directory") from error
        except git.InvalidGitRepositoryError as error:
            raise WorkspaceError(f"{path}: not a git repository") from error
        if self.repo.bare:
            raise WorkspaceError(
                f"{path}: a bare repository has no files to review; clone it first"
            )
        self.path = Path(self.repo.working_tree_dir or path)

    def resolve(self, rev: str) -> str:
        """Return the full commit SHA that `rev` names."""
        try:
            return self.repo.commit(rev).hexsha
        except (git.BadName, git.BadObject, ValueError, git.GitCommandError) as error:
            raise WorkspaceError(f"unknown revision {rev!r} in {self.path}") from error

    def merge_base(self, base: str, head: str) -> str:
        """The commit a pull request from `head` into `base` would be compared against."""
        bases = self.repo.merge_base(base, head)
        return bases[0].hexsha if bases else base

    def changed_files(self, base: str, head: str) -> list[ChangedFile]:
        """Every file that differs between two commits, renames detected, with `-U0` patches."""
        diffs = self.repo.commit(base).diff(
            self.repo.commit(head), create_patch=True, unified=0, find_renames=True
        )
        changed = []
        for diff in diffs:
            raw = diff.diff if isinstance(diff.diff, bytes) else (diff.diff or "").encode()
            is_binary = raw.startswith(b"Binary files") or b"\0" in raw
            status = _status(diff)
            path = diff.b_path if status != "deleted" else diff.a_path
            changed.append(
                ChangedFile(
                    path=path or "",
                    old_path=diff.a_path if status in ("renamed", "copied") else None,
                    status=status,
                    patch="" if is_binary else raw.decode("utf-8", errors="replace"),
                    is_binary=is_binary,
                )
            )
        return sorted(changed, key=lambda c: c.path)

    def blob(self, rev: str, path: str, max_bytes: int | None = None) -> Blob:
        """The bytes of `path` at `rev`; not read when larger than `max_bytes`."""
        try:
            item = self.repo.commit(rev).tree / path
        except KeyError:
            return Blob(None, 0, f"{path} does not exist at {rev[:12]}")
        if item.type != "blob":
            return Blob(None, 0, f"{path} is not a file")
        if item.mode == _SYMLINK:  # its text is the link's target: never read what it points to
            return Blob(None, 0, "symlink, not followed")
        if max_bytes is not None and item.size > max_bytes:
            return Blob(None, item.size, f"larger than {max_bytes} bytes ({item.size})")
        return Blob(item.data_stream.read(), item.size)

    def text(self, rev: str, path: str) -> str | None:
        """`path` at `rev` decoded as UTF-8, or None if absent or not UTF-8."""
        blob = self.blob(rev, path)
        if blob.data is None:
            return None
        try:
            return blob.data.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def files(self, rev: str, suffix: str = "") -> Iterator[str]:
        """Paths of the files at `rev` whose names end with `suffix`."""
        for item in self.repo.commit(rev).tree.traverse():
            if isinstance(item, git.Blob) and str(item.path).endswith(suffix):
                yield str(item.path)

    def tracked(self, path: str) -> bool:
        """Whether the checkout's current commit (HEAD) holds `path`."""
        try:
            self.repo.head.commit.tree / path
        except (KeyError, ValueError):
            return False
        return True

    def config_files(self, rev: str) -> dict[str, str]:
        """The configuration files (see CONFIG_NAMES) at `rev`, by path, that decode as UTF-8."""
        found = {}
        for path in self.files(rev):
            if path.rsplit("/", 1)[-1] in CONFIG_NAMES:
                text = self.text(rev, path)
                if text is not None:
                    found[path] = text
        return found


def _text(blob: git.Blob | None, max_bytes: int) -> str | None:
    if blob is None or blob.size > max_bytes:
        return None
    try:
        return blob.data_stream.read().decode("utf-8")
    except UnicodeDecodeError:
        return None


def _added_patch(text: str) -> str:
    """The zero-context patch of a file that is all new (a root commit has no parent to diff)."""
    lines = [line.removesuffix("\n") for line in git_lines(text)]
    return f"@@ -0,0 +1,{len(lines)} @@\n" + "".join(f"+{line}\n" for line in lines)


@dataclass(frozen=True)
class CommitFiles:
    """One commit and its changed Python files, each as (path, before, after, patch)."""

    sha: str
    message: str
    files: tuple[tuple[str, str | None, str | None, str], ...]


def history(
    workspace: Workspace,
    head: str,
    since: str | None = None,
    max_commits: int = 2000,
    max_bytes: int = 500_000,
) -> Iterator[CommitFiles]:
    """The first-parent history `since..head`, oldest first, with each commit's Python changes.

    Files that are not UTF-8 or larger than `max_bytes` appear as None on that side.
    """
    spec = f"{since}..{head}" if since else head
    commits = list(workspace.repo.iter_commits(spec, first_parent=True, max_count=max_commits))
    for commit in reversed(commits):
        files: list[tuple[str, str | None, str | None, str]] = []
        if not commit.parents:
            for item in commit.tree.traverse():
                if isinstance(item, git.Blob) and str(item.path).endswith(".py"):
                    text = _text(item, max_bytes)
                    if text is not None:
                        files.append((str(item.path), None, text, _added_patch(text)))
        else:
            diffs = commit.parents[0].diff(commit, create_patch=True, unified=0, find_renames=True)
            for diff in diffs:
                path = diff.b_path or diff.a_path or ""
                if not path.endswith(".py"):
                    continue
                raw = diff.diff if isinstance(diff.diff, bytes) else (diff.diff or "").encode()
                before = None if diff.new_file else _text(diff.a_blob, max_bytes)
                after = None if diff.deleted_file else _text(diff.b_blob, max_bytes)
                files.append((path, before, after, raw.decode("utf-8", errors="replace")))
        yield CommitFiles(commit.hexsha, str(commit.message), tuple(files))
