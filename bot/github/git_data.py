"""Branches and commits through the Git Data API: publishing needs no checkout, runs no code.

A mixin of `GitHubHost` (`bot/github/host.py`), which provides the three primitives these methods
use:
`_call` (safe retries), `_rest` (one REST call) and `_rest_or_none` (a GET that may find nothing).
PyGithub stays confined to `bot/github/host.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from codegen_bot.bot.github.values import GitCommit


class GitData:
    """Read and write branches, trees and commits of the host's repository."""

    _call: Callable[..., Any]
    _rest: Callable[..., Any]
    _rest_or_none: Callable[[str], Any]

    def branch_head(self, branch: str) -> str | None:
        """The commit branch `branch` points at, or None when there is no such branch."""

        def read() -> str | None:
            """The branch's head commit, or None when the branch does not exist."""
            ref = self._rest_or_none(f"/git/ref/heads/{branch}")
            return None if ref is None else str(ref["object"]["sha"])

        return self._call(f"reading branch {branch}", read)

    def git_commit(self, sha: str) -> GitCommit:
        """The commit object `sha`: tree, parents, message."""

        def read() -> GitCommit:
            """The commit with its tree, parents and message."""
            data = self._rest("GET", f"/git/commits/{sha}")
            parents = tuple(str(p["sha"]) for p in data["parents"])
            return GitCommit(str(data["sha"]), str(data["tree"]["sha"]), parents, data["message"])

        return self._call(f"reading commit {sha[:12]}", read)

    def create_tree(self, base_tree: str, files: Mapping[str, str | None]) -> str:
        """Write the tree `base_tree` with `files` replaced (None: deleted); return its SHA.

        Sending it twice writes the same tree (git objects are named by their content).
        """
        entries = [
            {"path": path, "mode": "100644", "type": "blob"}
            | ({"sha": None} if text is None else {"content": text})
            for path, text in sorted(files.items())
        ]
        payload = {"base_tree": base_tree, "tree": entries}
        return self._call(
            "writing a git tree", lambda: str(self._rest("POST", "/git/trees", payload)["sha"])
        )

    def create_commit(self, message: str, tree: str, parents: list[str]) -> str:
        """Write a commit object; return its SHA.

        A repeat after a lost answer leaves an unreferenced object behind: invisible, collected.
        """
        payload = {"message": message, "tree": tree, "parents": parents}
        return self._call(
            "writing a git commit", lambda: str(self._rest("POST", "/git/commits", payload)["sha"])
        )

    def create_branch(self, branch: str, sha: str) -> str:
        """Create branch `branch` at `sha` (after a lost answer, first look whether it exists)."""
        payload = {"ref": f"refs/heads/{branch}", "sha": sha}
        return self._call(
            f"creating branch {branch}",
            lambda: str(self._rest("POST", "/git/refs", payload)["object"]["sha"]),
            lambda: sha if self.branch_head(branch) == sha else None,
        )

    def move_branch(self, branch: str, sha: str) -> str:
        """Force branch `branch` to `sha` (sending it twice does no harm)."""
        payload = {"sha": sha, "force": True}
        return self._call(
            f"moving branch {branch}",
            lambda: str(self._rest("PATCH", f"/git/refs/heads/{branch}", payload)["object"]["sha"]),
        )
