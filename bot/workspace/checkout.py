"""Make a pull request's commits available in the local checkout, through GitPython.

The Action's checkout usually holds a merge commit, not the pull request's head. GitHub keeps
every pull request's head at `refs/pull/N/head` on the repository, so that ref and the base
branch are fetched into `refs/codegen/...` — remote-tracking refs of our own. The working tree,
the index and the user's branches are never touched.
"""

from __future__ import annotations

from pathlib import Path

import git

from codegen_bot.bot.errors import WorkspaceError


def _has(repo: git.Repo, sha: str) -> bool:
    try:
        repo.commit(sha)
    except (ValueError, git.BadName, git.BadObject, git.GitCommandError):
        return False
    return True


def remote_head(path: str | Path, number: int, *, remote: str = "origin") -> str | None:
    """Pull request `number`'s head commit on `remote` now, or None when it cannot be asked.

    Needs no token for a public repository; a checkout without credentials of a private one
    cannot ask, and the publishing job checks again with its token.
    """
    try:
        listed = str(git.Repo(path).git.ls_remote(remote, f"refs/pull/{number}/head"))
    except (git.NoSuchPathError, git.InvalidGitRepositoryError, git.GitCommandError):
        return None
    sha = listed.split("\t", 1)[0].strip()
    return sha or None


def fetch_pull(
    path: str | Path,
    number: int,
    head: str,
    base: str,
    base_ref: str | None,
    *,
    remote: str = "origin",
) -> list[str]:
    """Fetch the missing `head` and `base` commits of pull request `number`; return the refspecs.

    Raises WorkspaceError when the repository cannot be read or the commits are still missing
    afterwards (e.g. a shallow checkout: use `fetch-depth: 0`).
    """
    try:
        repo = git.Repo(path)
    except (git.NoSuchPathError, git.InvalidGitRepositoryError) as error:
        raise WorkspaceError(
            f"{path}: not a git repository (check out the repository first)"
        ) from error
    missing = [sha for sha in (head, base) if not _has(repo, sha)]
    if not missing:
        return []
    refspecs = [f"+refs/pull/{number}/head:refs/codegen/pull/{number}/head"]
    if base_ref:
        refspecs.append(f"+refs/heads/{base_ref}:refs/codegen/base/{base_ref}")
    try:
        repo.git.fetch("--no-tags", "--quiet", remote, *refspecs)
    except git.GitCommandError as error:
        stderr = (error.stderr or "").strip().splitlines()
        raise WorkspaceError(
            f"cannot fetch pull request #{number} from {remote}:"
            f" {stderr[-1] if stderr else error.status}"
        ) from error
    still = [sha[:12] for sha in (head, base) if not _has(repo, sha)]
    if still:
        raise WorkspaceError(
            f"commits {', '.join(still)} of pull request #{number} are not in {path} even after"
            " fetching (a shallow checkout? use fetch-depth: 0)"
        )
    return refspecs
