"""Publish a report on its pull request: one review with every new suggestion, one summary comment.

Re-running changes nothing: suggestions are recognised by their markers, the summary is edited
only when its text changes, and the review's marker lets a lost answer be checked before the
review is sent again. When GitHub refuses the review with a 422 (a comment it cannot place), the
offending comments are found by posting pending (invisible) reviews of halves and deleting
them, and the review is posted without them: one bad line costs one comment, not the review.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from codegen_bot.bot.github import markers
from codegen_bot.bot.github.host import GitHubHost, Unprocessable
from codegen_bot.bot.markdown import code
from codegen_bot.bot.publish import summary
from codegen_bot.bot.publish.suggestions import (
    InlineComment,
    Plan,
    plan_review,
    posted_from,
    refuse,
)
from codegen_bot.bot.report import Report


@dataclass(frozen=True)
class Published:
    """What publishing did: the review posted (if any), the summary, and where proposals went."""

    number: int
    review_id: int | None = None
    posted: int = 0
    summary_id: int | None = None
    summary_changed: bool = False
    placements: dict[str, str] = field(default_factory=dict)
    note: str | None = None


def _silent(_: str) -> None:
    """Progress goes nowhere."""


def review_body(report: Report, comments: Sequence[InlineComment]) -> str:
    """Return the review's text: a marker unique to these suggestions, and a line for people."""
    run = markers.digest(report.head, *(f"{c.key}={c.digest}" for c in comments))
    count = len(comments)
    return (
        f"{markers.hidden('review', {'run': run, 'head': report.head})}\n"
        f"**codegen** suggests {count} change{'s' if count != 1 else ''} for {report.head[:12]}"
        f" ({code(report.identity.describe())}). Each one passed every gate;"
        " the summary comment has the rest."
    )


def _accepted(host: GitHubHost, number: int, head: str, group: Sequence[InlineComment]) -> bool:
    """Whether GitHub accepts these comments: post them as a pending review, then delete it."""
    body = markers.hidden("probe", {"run": markers.digest(head, *(c.key for c in group))})
    try:
        review_id = host.create_review(
            number, head, body, [c.to_api() for c in group], event=None, marker_kind="probe"
        )
    except Unprocessable:
        return False
    host.delete_pending_review(number, review_id)
    return True


def find_refused(
    host: GitHubHost, number: int, head: str, comments: Sequence[InlineComment]
) -> list[InlineComment]:
    """Find the comments GitHub refuses in a set it refused whole (bisecting, pending reviews)."""
    for review in host.reviews(number):  # a probe a crash left behind would block new ones
        if review.state == "PENDING" and markers.first("probe", review.body):
            host.delete_pending_review(number, review.id)

    def search(group: Sequence[InlineComment]) -> list[InlineComment]:
        """The comments GitHub refuses, found by splitting the group in halves."""
        if len(group) == 1:
            return list(group)
        middle = len(group) // 2
        refused = []
        for half in (group[:middle], group[middle:]):
            if not _accepted(host, number, head, half):
                refused.extend(search(half))
        return refused

    return search(comments)


def _post_review(
    host: GitHubHost,
    report: Report,
    number: int,
    plan: Plan,
    *,
    remembered: dict[str, str],
    progress: Callable[[str], None],
) -> tuple[Plan, int | None]:
    comments = list(plan.comments)
    try:
        return plan, host.create_review(
            number, report.head, review_body(report, comments), [c.to_api() for c in comments]
        )
    except Unprocessable as error:
        progress(f"{error}; finding the comments GitHub cannot place")
        refused = find_refused(host, number, report.head, comments)
        if not refused:
            raise
    plan = refuse(plan, refused, remembered)
    progress(f"GitHub refused {len(refused)} comment(s); they go to the summary")
    if not plan.comments:
        return plan, None
    return plan, host.create_review(
        number, report.head, review_body(report, plan.comments), [c.to_api() for c in plan.comments]
    )


def publish(
    report: Report,
    host: GitHubHost,
    number: int,
    limit: int = 20,
    progress: Callable[[str], None] = _silent,
) -> Published:
    """Post `report` on pull request `number`: new suggestions as one review, then the summary."""
    pull = host.pull_request(number)
    if pull.head != report.head:
        note = (
            f"pull request #{number} has moved on to {pull.head[:12]} since this report"
            f" ({report.head[:12]}): nothing posted; the run for the new head will review it"
        )
        progress(note)
        return Published(number, note=note)
    patches = {f.path: f.patch for f in pull.files}
    conversation = host.issue_comments(number)
    existing = next((c for c in conversation if summary.is_summary(c.body)), None)
    remembered = summary.remembered(existing.body if existing else None)
    posted = posted_from(host.review_comments(number))
    plan = plan_review(report.proposals, patches, posted, remembered, limit)
    review_id = None
    if plan.comments:
        plan, review_id = _post_review(
            host, report, number, plan, remembered=remembered, progress=progress
        )
        progress(f"posted a review with {len(plan.comments)} suggestion(s) on #{number}")
    else:
        progress(f"no new suggestion for #{number}")
    body = summary.render(report, plan.placements, plan.remembered)
    changed = existing is None or existing.body != body
    if existing is None:
        summary_id = host.create_comment(number, body, summary.KIND)
    else:
        summary_id = existing.id
        if changed:
            host.edit_comment(number, existing.id, body)
    verb = "unchanged" if not changed else "posted" if existing is None else "edited"
    progress(f"summary comment {verb} on #{number}")
    return Published(
        number, review_id, len(plan.comments), summary_id, changed, dict(plan.placements)
    )
