"""The emulated repository's git objects and branches: a real bare git repository (GitPython).

GitHub's Git Data API (trees, commits, refs) is carried out on it with git's own plumbing, so a
test can read what a branch holds, check it out and run it, and push to it as a maintainer would.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import git

MODES = ("100644", "100755", "040000", "160000", "120000")


class GitDataError(Exception):
    """A Git Data request GitHub would refuse (the message is GitHub's)."""


@dataclass(frozen=True)
class TreeEntry:
    """One entry of a new tree: `content`, or an object `sha`, or neither (None: delete)."""

    path: str
    mode: str
    type: str
    sha: str | None = None
    content: str | None = None


@dataclass(frozen=True)
class Changed:
    """One file changed between two commits, with its patch (three lines of context)."""

    path: str
    status: str
    patch: str
    additions: int
    deletions: int


class GitStore:
    """A bare repository standing in for GitHub's storage of one repository."""

    def __init__(self, path: str | Path) -> None:
        self.repo = git.Repo(path)

    def has(self, sha: str, kind: str) -> bool:
        """Whether object `sha` exists and is of `kind` (blob, tree, commit)."""
        try:
            return self.repo.git.cat_file("-t", sha) == kind
        except git.GitCommandError:
            return False

    def branch(self, name: str) -> str | None:
        """The commit `refs/heads/<name>` points at, or None when there is no such branch."""
        return self.ref(f"refs/heads/{name}")

    def ref(self, full: str) -> str | None:
        """The commit a fully qualified ref points at, or None."""
        try:
            return self.repo.git.rev_parse("--verify", "--quiet", f"{full}^{{commit}}")
        except git.GitCommandError:
            return None

    def set_ref(self, full: str, sha: str) -> None:
        """Point a ref at `sha` (created if missing)."""
        self.repo.git.update_ref(full, sha)

    def is_ancestor(self, old: str, new: str) -> bool:
        """Whether moving from `old` to `new` is a fast-forward."""
        return self.repo.is_ancestor(old, new)

    def _blob(self, text: str, folder: Path) -> str:
        path = folder / "blob"
        path.write_bytes(text.encode("utf-8"))
        return self.repo.git.hash_object("-w", str(path))

    def make_tree(self, base_tree: str | None, entries: list[TreeEntry]) -> str:
        """Write the tree `base_tree` with `entries` applied; return its SHA."""
        if base_tree is not None and not self.has(base_tree, "tree"):
            raise GitDataError("base_tree is not a valid tree oid")
        with tempfile.TemporaryDirectory() as folder:
            env = {"GIT_INDEX_FILE": str(Path(folder) / "index")}
            folder_path = Path(folder)
            self.repo.git.read_tree(base_tree or "--empty", env=env)
            for entry in entries:
                if entry.sha is None and entry.content is None:
                    # mode 0 removes the entry (`--force-remove` needs a work tree)
                    info = folder_path / "remove"
                    info.write_text(f"0 {'0' * 40}\t{entry.path}\n", encoding="utf-8")
                    with info.open("rb") as stream:
                        self.repo.git.update_index("--index-info", istream=stream, env=env)
                    continue
                sha = entry.sha if entry.content is None else self._blob(entry.content, folder_path)
                assert sha is not None
                if entry.type == "blob" and not self.has(sha, "blob"):
                    raise GitDataError(f"tree.sha {sha} is not a valid blob")
                self.repo.git.update_index(
                    "--add", "--cacheinfo", f"{entry.mode},{sha},{entry.path}", env=env
                )
            return self.repo.git.write_tree(env=env)

    def make_commit(
        self, message: str, tree: str, parents: list[str], *, name: str, email: str, date: str
    ) -> str:
        """Write a commit object; return its SHA."""
        if not self.has(tree, "tree"):
            raise GitDataError("Tree SHA does not exist")
        for parent in parents:
            if not self.has(parent, "commit"):
                raise GitDataError("Parent SHA does not exist or is not a commit object")
        env = {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
            "GIT_COMMITTER_DATE": date,
        }
        args = [tree]
        for parent in parents:
            args.extend(["-p", parent])
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "message"
            path.write_bytes(message.encode("utf-8"))
            return self.repo.git.commit_tree(*args, "-F", str(path), env=env)

    def commit(self, sha: str) -> git.Commit:
        """The commit object `sha` (raises GitDataError when there is none)."""
        if not self.has(sha, "commit"):
            raise GitDataError("Not Found")
        return self.repo.commit(sha)

    def files(self, base: str, head: str) -> list[Changed]:
        """The files a pull request from `head` into `base` changes (three-dot diff)."""
        merge_base = self.repo.merge_base(base, head)[0]
        changed = []
        for diff in merge_base.diff(self.repo.commit(head), create_patch=True, unified=3):
            patch = diff.diff.decode() if isinstance(diff.diff, bytes) else diff.diff
            lines = patch.splitlines()
            status = "added" if diff.new_file else "removed" if diff.deleted_file else "modified"
            changed.append(
                Changed(
                    diff.b_path or diff.a_path,
                    status,
                    patch.rstrip("\n"),
                    sum(1 for line in lines if line.startswith("+")),
                    sum(1 for line in lines if line.startswith("-")),
                )
            )
        return changed

    def read(self, rev: str) -> dict[str, str]:
        """Every file of commit `rev`, path → text (for tests)."""
        tree = self.repo.commit(rev).tree
        return {
            blob.path: blob.data_stream.read().decode("utf-8")
            for blob in tree.traverse()
            if blob.type == "blob"
        }
