"""One branch, one commit, one pull request, kept up to date: `publish_branch(host, change)`.

The branch holds exactly one commit on top of `base_sha` with the files of the change, written
through GitHub's Git Data API (a tree, a commit, a forced ref), so the job that publishes needs
no checkout and runs no code from the pull request. The pull request's body carries a hidden
marker naming the bot's commit; from it a later run tells whether:

- nothing changed (same base, same files, same text): nothing is written;
- a maintainer pushed to the branch (its head is not the bot's commit): nothing is overwritten,
  and one comment on the pull request says so;
- an earlier pull request from the branch was closed unmerged: its marker is handed back
  (`history`, and `PullOutcome.closed`) so callers do not propose the same changes again.

Every write goes through the host's safe retries: a ref or a pull request whose answer was lost
is looked up before it is sent again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from codegen_bot.bot.github import markers
from codegen_bot.bot.github.bodies import fit
from codegen_bot.bot.github.host import GitHubHost, PullSummary

KIND = "pull"
BLOCKED_KIND = "pull-blocked"
#: The trailer on every commit the bot writes, naming its branch: a commit that carries it is the
#: bot's even when the marker naming it was never written (a run cut short after the push).
TRAILER = "Codegen-Branch"

Status = Literal["opened", "updated", "unchanged", "blocked", "empty", "refused"]


@dataclass(frozen=True)
class BranchChange:
    """What to publish: `files` (path → text; None deletes) as one commit on `base_sha`.

    The commit goes on `branch` (force-updated), proposed by a pull request into `base_ref`
    with `title` and `body`. `data` (JSON values) is kept in the body's hidden marker and
    handed back from closed pull requests (e.g. which changes that pull request proposed); its
    keys `branch`, `base`, `commit` and `files` are the publisher's own.
    """

    branch: str
    base_ref: str
    base_sha: str
    files: Mapping[str, str | None]
    message: str
    title: str
    body: str
    data: Mapping[str, Any] = field(default_factory=dict)
    #: The body without its volatile figures (e.g. time per run): only a change in it, the
    #: title or the files rewrites the pull request. None: the body itself.
    steady_body: str | None = None


@dataclass(frozen=True)
class ClosedPull:
    """A pull request from the branch that a maintainer closed without merging it."""

    number: int
    url: str
    body: str
    data: dict[str, Any]  # its marker: `commit`, `base`, `files`, and the change's `data`


@dataclass(frozen=True)
class BranchHistory:
    """The branch's pull requests: the open one (if any) and those closed unmerged."""

    open: PullSummary | None
    closed: tuple[ClosedPull, ...]


@dataclass(frozen=True)
class PullOutcome:
    """What `publish_branch` did.

    `status`: `opened` (a new pull request), `updated` (new commit and/or text), `unchanged`
    (nothing written), `blocked` (someone else's commits on the branch: nothing overwritten),
    `empty` (the files change nothing on the base: nothing written), `refused` (a path the bot
    never writes: `.github/`, absolute, `..`; nothing written). `number`/`url` name the pull
    request when there is one; `commit` is the bot's commit on the branch.
    """

    status: Status
    number: int | None
    url: str | None
    commit: str | None
    note: str
    closed: tuple[ClosedPull, ...] = ()


def _silent(_: str) -> None:
    """Progress goes nowhere."""


def files_digest(files: Mapping[str, str | None], message: str) -> str:
    """A fingerprint of a commit's content: its files and message."""
    parts = [
        f"{path}\0{'-' if text is None else '+' + text}" for path, text in sorted(files.items())
    ]
    return markers.digest(message, *parts)


def forbidden(path: str) -> bool:
    """Whether the bot must never write `path`.

    Dot-files and dot-folders (`.github/`, `.gitmodules`), paths that are not normalised (`./x`,
    `a//b`) and paths outside the tree are never written.
    """
    parts = path.split("/")
    return (
        path.startswith("/")
        or "\\" in path
        or any(part in ("", ".", "..") or part.startswith(".") for part in parts)
    )


def marker_of(body: str | None) -> dict[str, Any] | None:
    """The bot's marker in a pull request body, or None when the body has none."""
    return markers.first(KIND, body)


def history(host: GitHubHost, branch: str) -> BranchHistory:
    """The branch's open pull request and the ones closed unmerged (newest first)."""
    return _history(host.pulls_from(branch))


def _history(pulls: list[PullSummary]) -> BranchHistory:
    opened = [p for p in pulls if p.state == "open"]
    mine = [p for p in opened if marker_of(p.body) is not None]
    closed = tuple(
        ClosedPull(p.number, p.url, p.body, marker_of(p.body) or {})
        for p in pulls
        if p.state == "closed" and not p.merged
    )
    current = mine or opened
    return BranchHistory(current[0] if current else None, closed)


def with_trailer(message: str, branch: str) -> str:
    """The commit message with the trailer that marks the commit as the bot's."""
    return f"{message.rstrip()}\n\n{TRAILER}: {branch}\n"


def text_digest(change: BranchChange) -> str:
    """A fingerprint of what the pull request says, volatile figures left out."""
    steady = change.body if change.steady_body is None else change.steady_body
    return markers.digest(change.title, steady.rstrip())


def full_body(change: BranchChange, commit: str) -> str:
    """The pull request's body: the caller's text, then the marker recording the bot's commit."""
    data = {
        **change.data,
        "branch": change.branch,
        "base": change.base_sha,
        "commit": commit,
        "files": files_digest(change.files, change.message),
        "text": text_digest(change),
    }
    return fit(f"{change.body.rstrip()}\n\n{markers.hidden(KIND, data)}\n")


def _is_ours(host: GitHubHost, head: str, branch: str, recorded: set[str]) -> bool:
    """Whether the branch's head is a commit the bot wrote (recorded, or carrying its trailer)."""
    if head in recorded:
        return True
    commit = host.git_commit(head)
    return f"{TRAILER}: {branch}" in commit.message.splitlines()


def _say_blocked(host: GitHubHost, pull: PullSummary, change: BranchChange, head: str) -> None:
    """Say once, on the pull request, that the branch is left alone (a maintainer pushed)."""
    mark = {"branch": change.branch}
    if any(markers.first(BLOCKED_KIND, c.body) == mark for c in host.issue_comments(pull.number)):
        return
    text = (
        f"{markers.hidden(BLOCKED_KIND, mark)}\n"
        f"**codegen** did not update this pull request: `{change.branch}` has commits that are"
        f" not codegen's (its head is {head[:12]}), and codegen never overwrites them. To let"
        " codegen take the branch over again, close this pull request; it will open a new one."
    )
    host.create_comment(pull.number, text, BLOCKED_KIND)


def publish_branch(
    host: GitHubHost, change: BranchChange, progress: Callable[[str], None] = _silent
) -> PullOutcome:
    """Publish `change`: one commit on its base, on its branch, with one open pull request.

    See the module's docstring for what is and is not overwritten. Raises `ApiError` when
    GitHub refuses a write for good (e.g. a token without `contents: write`).
    """
    refused = sorted(p for p in change.files if forbidden(p))
    if refused or not change.files:
        note = f"codegen never writes {', '.join(refused)}" if refused else "no files to write"
        progress(note)
        return PullOutcome("refused" if refused else "empty", None, None, None, note)
    pulls = host.pulls_from(change.branch)
    past = _history(pulls)
    pull, closed = past.open, past.closed
    number, url = (pull.number, pull.url) if pull else (None, None)
    head = host.branch_head(change.branch)
    marker = marker_of(pull.body) if pull else None
    # every commit the bot's pull requests named, merged and closed ones included
    recorded = {str(m.get("commit")) for m in map(marker_of, (p.body for p in pulls)) if m}
    # a branch that served only closed pull requests may be taken: GitHub keeps their commits
    served = any(p.state == "closed" for p in pulls)
    foreign = head is not None and not _is_ours(host, head, change.branch, recorded)
    if foreign and (pull is not None or not served):
        assert head is not None
        note = f"`{change.branch}` has commits that are not codegen's: left as it is"
        if pull is not None:
            _say_blocked(host, pull, change, head)
        progress(note)
        return PullOutcome("blocked", number, url, head, note, closed)

    same = (
        marker is not None
        and head == marker.get("commit")
        and marker.get("base") == change.base_sha
        and marker.get("files") == files_digest(change.files, change.message)
    )
    commit = head if same and head else _write_commit(host, change, head, progress)
    if commit is None:
        note = f"the files already read so on {change.base_sha[:12]}: nothing to propose"
        progress(note)
        return PullOutcome("empty", number, url, None, note, closed)

    body = full_body(change, commit)
    if pull is None:
        made = host.create_pull(change.branch, change.base_ref, change.title, body, KIND)
        progress(f"opened pull request #{made.number} from `{change.branch}`")
        return PullOutcome("opened", made.number, made.url, commit, "opened", closed)
    said = marker.get("text") if marker is not None else None
    if said is not None and marker is not None and marker.get("commit") == commit:
        # the marker records what the body says, volatile figures left out
        same_text = said == text_digest(change) and pull.base_ref == change.base_ref
    else:
        wanted = (change.title, body.strip(), change.base_ref)
        same_text = (pull.title, pull.body.strip(), pull.base_ref) == wanted
    if same_text:
        progress(f"pull request #{pull.number} is up to date")
        return PullOutcome("unchanged", number, url, commit, "up to date", closed)
    rebase = change.base_ref if pull.base_ref != change.base_ref else None
    host.edit_pull(pull.number, change.title, body, rebase)
    progress(f"updated pull request #{pull.number}")
    return PullOutcome("updated", number, url, commit, "updated", closed)


def _write_commit(
    host: GitHubHost, change: BranchChange, head: str | None, progress: Callable[[str], None]
) -> str | None:
    """Point the branch at one commit of the files on the base; None if they change nothing."""
    base = host.git_commit(change.base_sha)
    tree = host.create_tree(base.tree, change.files)
    if tree == base.tree:
        return None
    if head is not None and _reusable(host, head, tree, change.base_sha):
        return head  # a run cut short after the push: the commit is there already
    message = with_trailer(change.message, change.branch)
    commit = host.create_commit(message, tree, [change.base_sha])
    if head is None:
        host.create_branch(change.branch, commit)
    else:
        host.move_branch(change.branch, commit)
    progress(f"`{change.branch}` is now {commit[:12]}: one commit on {change.base_sha[:12]}")
    return commit


def _reusable(host: GitHubHost, head: str, tree: str, base_sha: str) -> bool:
    """Whether the branch's head already is this commit (same tree, on the same base)."""
    commit = host.git_commit(head)
    return commit.tree == tree and commit.parents == (base_sha,)
