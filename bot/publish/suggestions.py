"""Which accepted proposals become inline suggestions in this run's review — a pure plan.

A suggestion may only sit on lines inside the pull request's diff hunks (GitHub answers 422
otherwise), each block replacing lines `start_line..line` of the head file. A proposal already
suggested (same key, same text) is not posted again; one a maintainer resolved, hid or deleted is
never posted again; what lies outside the hunks, or over the per-review cap, goes to the summary.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from codegen_bot.bot.github import markers
from codegen_bot.bot.github.bodies import MAX_CHARS
from codegen_bot.bot.markdown import code, fence
from codegen_bot.bot.report import Proposal
from codegen_bot.refactor.diffs import parse_hunks

Placement = Literal[
    "new",
    "posted",
    "dismissed",
    "outside",
    "over_limit",
    "refused",
    "too_long",
    "unverified",
    "patch_only",
]
#: What each placement means, for the summary.
PLACEMENT_TEXT: dict[str, str] = {
    "new": "suggested inline",
    "posted": "suggested inline",
    "dismissed": "dismissed by a maintainer: not suggested again",
    "outside": "outside the diff's hunks: patch below",
    "over_limit": "over the limit of suggestions per review: patch below",
    "refused": "GitHub refused the inline comment: patch below",
    "patch_only": "changes more than one place (an import too): patch below",
    "too_long": "too long for one review comment: patch below",
    "unverified": "suggested before; the review threads could not be read, so not suggested again",
}


@dataclass(frozen=True)
class PostedSuggestion:
    """One of the bot's suggestion comments found on the pull request."""

    comment_id: int
    key: str
    digest: str
    #: Resolved, hidden (minimized), or otherwise set aside by a maintainer; None: unknown
    #: (GitHub's review threads could not be read), so it may have been.
    closed: bool | None


@dataclass(frozen=True)
class InlineComment:
    """A review comment to post: GitHub's fields plus the proposal it carries."""

    path: str
    start_line: int | None
    line: int
    body: str
    key: str
    digest: str

    def to_api(self) -> dict[str, object]:
        """Return the comment as the create-review endpoint takes it (multi-line if it spans)."""
        comment: dict[str, object] = {
            "path": self.path,
            "line": self.line,
            "side": "RIGHT",
            "body": self.body,
        }
        if self.start_line is not None:
            comment.update(start_line=self.start_line, start_side="RIGHT")
        return comment


@dataclass(frozen=True)
class Plan:
    """A run's review comments, where every accepted proposal stands, and what to remember."""

    comments: tuple[InlineComment, ...]
    placements: dict[str, Placement]
    remembered: dict[str, str]


def commentable(patch: str | None) -> list[range]:
    """Return the head-file lines of a GitHub `patch` review comments may use, one range a hunk."""
    if not patch:
        return []
    return [hunk.new_lines for hunk in parse_hunks(patch) if hunk.new_count > 0]


def in_one_hunk(hunks: Sequence[range], start: int, end: int) -> bool:
    """Whether lines `start..end` lie inside one hunk (GitHub's rule for multi-line comments)."""
    return any(start in hunk and end in hunk for hunk in hunks)


def suggestion_digest(proposal: Proposal) -> str:
    """Return the fingerprint of what a proposal suggests: its key and its replacement text."""
    text = proposal.suggestion.text if proposal.suggestion else proposal.patch
    return markers.digest(proposal.key, text)


def comment_body(proposal: Proposal) -> str:
    """Return the review comment for one proposal: a marker, a line saying what, the suggestion."""
    assert proposal.suggestion is not None
    gates = ", ".join(verdict.gate for verdict in proposal.gates)
    what = {"docs": "Docstring", "tests": "Tests", "refactor": "Refactoring"}.get(
        proposal.task, "Change"
    )
    return "\n".join(
        [
            markers.hidden(
                "suggestion", {"key": proposal.key, "digest": suggestion_digest(proposal)}
            ),
            f"**codegen** · {what} for {code(proposal.symbol)}"
            f" ({code(proposal.identity.describe())}; passed: {code(gates or 'no gates')})",
            "",
            fence(proposal.suggestion.text, "suggestion"),
        ]
    )


def posted_from(comments: Iterable[tuple[int, str, bool | None]]) -> list[PostedSuggestion]:
    """Return the bot's suggestions among review comments given as (id, body, closed)."""
    found = []
    for comment_id, body, closed in comments:
        marker = markers.first("suggestion", body)
        if marker and isinstance(marker.get("key"), str) and isinstance(marker.get("digest"), str):
            found.append(PostedSuggestion(comment_id, marker["key"], marker["digest"], closed))
    return found


def plan_review(
    proposals: Sequence[Proposal],
    patches: Mapping[str, str | None],
    posted: Sequence[PostedSuggestion],
    remembered: Mapping[str, str],
    limit: int,
) -> Plan:
    """Decide for every accepted proposal: posted now, posted before, or left to the summary.

    `patches` maps each file of the pull request to GitHub's patch (None when GitHub shows none);
    `remembered` is what earlier runs suggested (key → digest), from the summary's marker.
    Proposals held back by `max_suggestions` (`held`) are posted after the accepted ones, while
    this review has room: so a later run posts the next ones. A key whose earlier suggestion
    may have been dismissed (its thread state unknown) is not suggested again.
    """
    comments: list[InlineComment] = []
    placements: dict[str, Placement] = {}
    memory = dict(remembered)
    by_key: dict[str, list[PostedSuggestion]] = {}
    for item in posted:
        by_key.setdefault(item.key, []).append(item)
    candidates = [p for p in proposals if p.status == "accepted"]
    candidates += [p for p in proposals if p.held]
    for proposal in candidates:
        if proposal.suggestion is None:
            if proposal.patch:  # one suggestion block cannot carry it: the summary has the patch
                placements[proposal.key] = "patch_only"
            continue
        key, digest = proposal.key, suggestion_digest(proposal)
        mine = by_key.get(key, [])
        if any(item.closed for item in mine) or (key in remembered and not mine):
            placements[key] = "dismissed"
            continue
        if any(item.digest == digest for item in mine):
            placements[key] = "posted"
            memory[key] = digest
            continue
        if any(item.closed is None for item in mine):
            placements[key] = "unverified"
            continue
        hunks = commentable(patches.get(proposal.path))
        start, end = proposal.suggestion.start, proposal.suggestion.end
        if not in_one_hunk(hunks, start, end):
            placements[key] = "outside"
            continue
        if len(comments) >= limit:
            placements[key] = "over_limit"
            continue
        body = comment_body(proposal)
        if len(body) > MAX_CHARS:  # a cut suggestion would be wrong code: the summary has it
            placements[key] = "too_long"
            continue
        comments.append(
            InlineComment(
                path=proposal.path,
                start_line=start if start < end else None,
                line=end,
                body=body,
                key=key,
                digest=digest,
            )
        )
        placements[key] = "new"
        memory[key] = digest
    return Plan(tuple(comments), placements, memory)


def refuse(plan: Plan, refused: Iterable[InlineComment], remembered: Mapping[str, str]) -> Plan:
    """Return the plan after GitHub refused some of its comments: those go to the summary.

    `remembered` is what the plan started from, so a refused key keeps what earlier runs knew.
    """
    dropped = {comment.key for comment in refused}
    placements = dict(plan.placements)
    memory = dict(plan.remembered)
    for key in dropped:
        placements[key] = "refused"
        if key in remembered:
            memory[key] = remembered[key]
        else:
            memory.pop(key, None)
    kept = tuple(comment for comment in plan.comments if comment.key not in dropped)
    return Plan(kept, placements, memory)
