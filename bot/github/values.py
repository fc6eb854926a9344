"""Plain values the GitHub host returns: pull requests, comments, reviews, git commits.

They carry only what the bot uses, so nothing outside `bot.github.host` ever holds a PyGithub
object.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PullFile:
    """One file of a pull request as GitHub shows it; `patch` is None for binary or huge files."""

    path: str
    status: str
    patch: str | None


@dataclass(frozen=True)
class PullRequest:
    """What the bot needs of a pull request."""

    number: int
    state: str
    draft: bool
    head: str
    head_ref: str
    base: str
    base_ref: str
    files: tuple[PullFile, ...]
    #: `owner/name` of the repository the head branch lives in ("" when that fork is gone).
    head_repository: str = ""


@dataclass(frozen=True)
class Comment:
    """A comment (issue comment or review comment): its id, text and author."""

    id: int
    body: str
    author: str


@dataclass(frozen=True)
class Review:
    """A pull request review: its id, state (`COMMENTED`, `PENDING`, ...) and text."""

    id: int
    state: str
    body: str


@dataclass(frozen=True)
class PullSummary:
    """A pull request as the list endpoint gives it: enough to find the bot's own."""

    number: int
    state: str
    merged: bool
    head_ref: str
    head: str
    base_ref: str
    title: str
    body: str
    url: str


@dataclass(frozen=True)
class GitCommit:
    """A commit object: its tree, parents and message."""

    sha: str
    tree: str
    parents: tuple[str, ...]
    message: str
