"""The emulator's world: one repository, its pull requests, comments, reviews, for tests."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from codegen_bot.refactor.diffs import parse_hunks
from tests.github_emulator.gitdata import GitStore

#: GitHub's answer to a review comment it cannot place (as seen from api.github.com).
LINE_OUTSIDE_DIFF = (
    "Pull request review thread line must be part of the diff, Pull request review thread start"
    " line must be part of the same hunk as the line., and Pull request review thread diff hunk"
    " can't be blank"
)


@dataclass
class User:
    """An account: a person (`User`) or an App's bot (`Bot`)."""

    login: str
    id: int
    type: str = "User"


@dataclass
class FileEntry:
    """One file of a pull request, as the files endpoint lists it."""

    filename: str
    status: str
    patch: str | None
    additions: int = 0
    deletions: int = 0


@dataclass
class Pull:
    """A pull request (also an issue: comments and reactions live on its number)."""

    number: int
    title: str
    user: User
    head_sha: str
    head_ref: str
    base_sha: str
    base_ref: str
    files: list[FileEntry]
    state: str = "open"
    draft: bool = False
    body: str | None = None
    created: int = 0
    heads: list[str] = field(default_factory=list)  # every head it has had, oldest first
    head_repo: str | None = None  # `owner/name` of a fork; None: this repository
    follows_branch: bool = False  # its head moves with the branch in `State.git`
    merged: bool = False
    closed_at: int | None = None


@dataclass
class Reaction:
    """A reaction on an issue comment."""

    id: int
    user: User
    content: str
    created: int


@dataclass
class IssueComment:
    """A comment on the pull request's conversation."""

    id: int
    number: int
    user: User
    body: str
    created: int
    updated: int
    reactions: list[Reaction] = field(default_factory=list)


@dataclass
class Review:
    """A pull request review."""

    id: int
    number: int
    user: User
    body: str
    state: str  # COMMENTED or PENDING
    commit_id: str
    created: int


@dataclass
class ReviewComment:
    """An inline comment of a review, on lines `start_line..line` of the head file."""

    id: int
    review_id: int
    number: int
    user: User
    path: str
    line: int
    start_line: int | None
    body: str
    commit_id: str
    diff_hunk: str
    created: int
    in_reply_to: int | None = None


class State:
    """Everything the emulated GitHub holds; the server changes it under `lock`, tests read it."""

    def __init__(
        self, owner: str = "octo-org", name: str = "shop", token: str = "ghs_emulator_token"
    ) -> None:
        self.owner, self.name, self.token = owner, name, token
        self.lock = threading.RLock()
        self.bot = User("github-actions[bot]", 41898282, "Bot")
        self.users: dict[str, User] = {self.bot.login: self.bot}
        self.permissions: dict[str, str] = {}
        self.pulls: dict[int, Pull] = {}
        self.issue_comments: list[IssueComment] = []
        self.reviews: list[Review] = []
        self.review_comments: list[ReviewComment] = []
        self.resolved: set[int] = set()  # ids of thread roots
        self.minimized: set[int] = set()  # review comment ids
        #: (path, line) pairs GitHub refuses comments on, as when its diff disagrees with ours
        self.unplaceable: set[tuple[str, int]] = set()
        self.read_only = False  # the token may read only (as in a job given `contents: read`)
        self.page_cap = 100  # GitHub's largest page; tests lower it to force pagination
        #: The repository setting "Allow GitHub Actions to create and approve pull requests"
        #: (off by default on GitHub): when False, the Actions token may not open pull requests.
        self.actions_may_open_pulls = True
        self._next_id = 1000
        self.clock = 0  # seconds after 2024-01-01, advanced by every write
        #: The repository's git storage (a bare repository), for the Git Data API and branches.
        self.git: GitStore | None = None

    @property
    def full_name(self) -> str:
        """`owner/name`."""
        return f"{self.owner}/{self.name}"

    def new_id(self) -> int:
        """A fresh object id (shared by every kind of object, like GitHub's)."""
        with self.lock:
            self._next_id += 1
            self.clock += 1
            return self._next_id

    def user(self, login: str, permission: str | None = None, kind: str = "User") -> User:
        """The account `login` (created on first use), optionally with a repository permission."""
        with self.lock:
            user = self.users.setdefault(login, User(login, 5000 + len(self.users), kind))
            if permission is not None:
                self.permissions[login] = permission
            return user

    def open_pull(
        self,
        number: int,
        head_sha: str,
        base_sha: str,
        files: list[FileEntry],
        *,
        head_ref: str = "feature",
        base_ref: str = "main",
        author: str = "contributor",
    ) -> Pull:
        """Open pull request `number` from `head_ref` into `base_ref`."""
        with self.lock:
            pull = Pull(
                number,
                f"Change #{number}",
                self.user(author),
                head_sha,
                head_ref,
                base_sha,
                base_ref,
                files,
                created=self.clock,
                heads=[head_sha],
            )
            self.pulls[number] = pull
            return pull

    def push(self, number: int, head_sha: str, files: list[FileEntry]) -> None:
        """A new head for pull request `number` (its files recomputed by the caller)."""
        with self.lock:
            pull = self.pulls[number]
            pull.head_sha, pull.files = head_sha, files
            pull.heads.append(head_sha)

    def close_pull(self, number: int, merged: bool = False) -> None:
        """A maintainer closes pull request `number` (merging it, or not)."""
        with self.lock:
            pull = self.pulls[number]
            self.new_id()  # a write: the clock moves
            pull.state, pull.merged, pull.closed_at = "closed", merged, self.clock

    def follow_branches(self) -> None:
        """Move the head of every open pull request that follows its branch, as GitHub does."""
        if self.git is None:
            return
        with self.lock:
            for pull in self.pulls.values():
                if pull.state != "open" or not pull.follows_branch:
                    continue
                head = self.git.branch(pull.head_ref)
                if head is not None and head != pull.head_sha:
                    self.push(pull.number, head, self.files_of(pull.base_ref, head))

    def files_of(self, base_ref: str, head: str) -> list[FileEntry]:
        """The files of a pull request from commit `head` into branch `base_ref`."""
        assert self.git is not None
        base = self.git.branch(base_ref) or head
        return [
            FileEntry(c.path, c.status, c.patch, c.additions, c.deletions)
            for c in self.git.files(base, head)
        ]

    def comment_on(self, number: int, login: str, body: str) -> IssueComment:
        """Someone comments on the pull request's conversation."""
        with self.lock:
            comment = IssueComment(
                self.new_id(), number, self.user(login), body, self.clock, self.clock
            )
            self.issue_comments.append(comment)
            return comment

    # --- views for tests ------------------------------------------------------------------------

    def reviews_on(self, number: int, state: str | None = None) -> list[Review]:
        """The reviews of pull request `number` (of one state when given)."""
        return [
            r for r in self.reviews if r.number == number and (state is None or r.state == state)
        ]

    def comments_of(self, review_id: int) -> list[ReviewComment]:
        """The inline comments of one review."""
        return [c for c in self.review_comments if c.review_id == review_id]

    def conversation(self, number: int) -> list[IssueComment]:
        """The conversation comments of pull request `number`."""
        return [c for c in self.issue_comments if c.number == number]

    def snapshot(self) -> tuple[object, ...]:
        """Everything visible, as comparable values (ids and times left out)."""
        with self.lock:
            return (
                sorted((r.number, r.user.login, r.state, r.commit_id) for r in self.reviews),
                sorted(
                    (c.path, c.start_line, c.line, c.body, c.commit_id)
                    for c in self.review_comments
                ),
                sorted((c.number, c.user.login, c.body) for c in self.issue_comments),
                sorted(
                    (c.body[:40], r.user.login, r.content)
                    for c in self.issue_comments
                    for r in c.reactions
                ),
            )


def hunk_of(patch: str | None, start: int, end: int) -> str | None:
    """The text of the hunk holding head lines `start..end`, or None when no hunk holds both."""
    if not patch:
        return None
    chunks: list[list[str]] = []
    for line in patch.splitlines():
        if line.startswith("@@"):
            chunks.append([])
        if chunks:
            chunks[-1].append(line)
    for hunk, chunk in zip(parse_hunks(patch), chunks, strict=True):
        lines = hunk.new_lines
        if hunk.new_count and start in lines and end in lines:
            return "\n".join(chunk)
    return None
