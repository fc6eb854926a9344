"""`/codegen tests` on GitHub: the proven tests as a pull request into the pull request's branch.

For a pull request from a branch of the same repository, the accepted test files become one
commit on its head, on the branch `codegen/tests/pr-<n>`, proposed by one pull request into its
head branch whose body has each test's figures; running the command again updates that branch
and pull request (`bot.publish.branch`). A pull request from a fork cannot get a branch pushed into
it, so it gets one comment instead, each test file in a collapsed block, edited in place on re-runs.
The texts are pure functions of the report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from codegen_bot.bot.github import markers
from codegen_bot.bot.github.bodies import fit
from codegen_bot.bot.github.host import GitHubHost, PullRequest
from codegen_bot.bot.markdown import code, fence, figure, html_code, newly_covered
from codegen_bot.bot.publish.branch import BranchChange, PullOutcome, publish_branch
from codegen_bot.bot.report import Proposal, Report

COMMENT_KIND = "tests"
#: GitHub refuses comments and bodies over 65,536 characters; stay well below.
MAX_CHARS = 60_000

Where = Literal["pull", "comment", "nothing", "moved"]


@dataclass(frozen=True)
class PublishedTests:
    """Where the tests for pull request `number` went, and what the reply should say."""

    number: int
    where: Where
    tests: tuple[Proposal, ...] = ()
    pull: PullOutcome | None = None
    comment_id: int | None = None
    note: str = ""
    head_ref: str = ""


def branch_name(number: int) -> str:
    """The one branch that carries the tests proposed for pull request `number`."""
    return f"codegen/tests/pr-{number}"


def accepted_tests(report: Report) -> list[Proposal]:
    """The new test modules that passed every gate."""
    return [p for p in report.accepted if p.task == "tests" and p.text]


def _cell(text: object) -> str:
    """Text from the pull request (or the report) as an inert code span in a table cell."""
    return code(text, cell=True)


def _newly(metrics: dict[str, object]) -> str:
    """What a test newly covers, as an inert cell ("" when unknown)."""
    text = newly_covered(metrics)
    return _cell(text) if text else ""


def _coverage(metrics: dict[str, object], kind: str) -> str:
    """`+5 (3/8 → 8/8)`: what a test added, then the target's coverage before and after."""
    gained = figure(metrics.get(f"{kind}_gained", 0))
    before, after = metrics.get("before"), metrics.get("after")
    if not isinstance(before, dict) or not isinstance(after, dict):
        return f"+{gained}"
    covered, total = f"{kind}_covered", f"{kind}_total"
    return (
        f"+{gained} ({figure(before.get(covered, '?'))}/{figure(before.get(total, '?'))}"
        f" → {figure(after.get(covered, '?'))}/{figure(after.get(total, '?'))})"
    )


def figures_table(tests: Sequence[Proposal], with_time: bool = True) -> list[str]:
    """One row per test: its file, target, coverage gained, runs passed and time per run.

    Without `with_time`, the time column is left empty: the table's steady form, which decides
    whether a pull request needs rewriting (a run's time changes from run to run).
    """
    lines = [
        "| test | target | lines gained | branches gained | newly covers | runs passed "
        "| time per run |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for test in tests:
        m = test.metrics
        target = f"{_cell(m.get('target_path', '?'))} · {_cell(test.symbol)}"
        lines.append(
            f"| {_cell(test.path)} | {target} | {_coverage(m, 'lines')}"
            f" | {_coverage(m, 'branches')} | {_newly(m)} | {figure(m.get('runs_text', '?'))}"
            + (f" | {figure(m.get('seconds', 0.0), 3)} s |" if with_time else " | |")
        )
    return lines


def _left_out(report: Report) -> list[str]:
    """What got no test, and why: rejected candidates and skipped definitions."""
    rejected = [p for p in report.rejected if p.task == "tests"]
    skipped = [s for s in report.skipped if s.task == "tests"]
    if not rejected and not skipped:
        return []
    items = [f"- {code(p.symbol)}: {code(p.reason or 'rejected')}" for p in rejected]
    items += [f"- {code(s.symbol)} ({code(s.path)}): {code(s.reason)}" for s in skipped]
    if len(items) > 50:  # the body stays far below GitHub's 65,536 characters
        items[50:] = [f"- … and {len(items) - 50} more: see the JSON report"]
    lines = ["", f"<details><summary>No test for {len(rejected) + len(skipped)}</summary>", ""]
    lines.extend([*items, "", "</details>"])
    return lines


def _footer(report: Report) -> list[str]:
    return [
        "",
        f"<sub>codegen {code(report.tool_version)} · engine {code(report.identity.describe())}"
        f" · tested at {code(report.head[:12])}</sub>",
    ]


def pull_body(
    report: Report, tests: Sequence[Proposal], number: int, head_ref: str, with_time: bool = True
) -> str:
    """The tests pull request's body: what it adds, the figures, what got no test.

    `with_time=False` gives its steady form (see `figures_table`).
    """
    plural = "s" if len(tests) != 1 else ""
    lines = [
        f"{len(tests)} test module{plural} for the code #{number} changes, written by codegen."
        f" Merge this pull request into {code(head_ref)} to add them to #{number}.",
        "",
        "Each one passed every gate in the sandbox: it parses and passes ruff, passed every run"
        " in a row, stayed within the time limit, left no file behind, and raises the coverage"
        " of its target (figures for the target alone, before → after).",
        "",
        *figures_table(tests, with_time),
    ]
    if report.notes:
        lines.append("")
        lines.extend(f"> {code(note)}" for note in report.notes)
    return "\n".join([*lines, *_left_out(report), *_footer(report)])


def fork_comment(report: Report, tests: Sequence[Proposal], with_time: bool = True) -> str:
    """The comment a fork's pull request gets: the figures, then each test file, collapsed.

    Its marker holds a fingerprint of its steady form (no times), which decides whether a
    later run edits it.
    """
    if with_time:
        steady = markers.digest(fork_comment(report, tests, with_time=False))
        marker = markers.hidden(COMMENT_KIND, {"head": report.head, "text": steady})
    else:
        marker = markers.hidden(COMMENT_KIND, {"head": report.head})
    lines = [
        marker,
        f"### codegen · tests for {report.head[:12]}",
        "",
        "This pull request comes from a fork, where codegen cannot push, so here are the tests"
        " that passed every gate in the sandbox; add the ones you like to your branch.",
        "",
        *figures_table(tests, with_time),
        "",
    ]
    footer = [*_left_out(report), *_footer(report)]
    budget = MAX_CHARS - len("\n".join(lines + footer)) - 200
    for count, test in enumerate(tests):
        block = (
            f"<details><summary>{html_code(test.path)} · {html_code(test.symbol)}"
            f"</summary>\n\n{fence(test.text or '', 'python')}\n\n</details>\n"
        )
        if len(block) > budget:
            lines.append(f"… and {len(tests) - count} more: see the JSON report.")
            break
        lines.append(block)
        budget -= len(block) + 1
    return fit("\n".join(lines + footer) + "\n")


def _title(number: int, tests: Sequence[Proposal]) -> str:
    names = [t.symbol for t in tests]
    shown = ", ".join(f"`{n}`" for n in names[:3])
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    return f"codegen: tests for #{number} ({shown}{more})"


def _message(number: int, tests: Sequence[Proposal]) -> str:
    lines = [f"Add tests for #{number}", ""]
    lines.extend(
        f"- {t.path}: {t.symbol} (+{t.metrics.get('lines_gained', 0)} lines,"
        f" +{t.metrics.get('branches_gained', 0)} branches)"
        for t in tests
    )
    return "\n".join(lines) + "\n"


def _silent(_: str) -> None:
    """Progress goes nowhere."""


def publish_tests(
    report: Report, host: GitHubHost, progress: Callable[[str], None] = _silent
) -> PublishedTests:
    """Publish a `/codegen tests` report: a pull request, or for a fork's pull request a comment.

    Nothing is written when the pull request moved on since the report, or no test passed.
    """
    assert report.pull_request is not None
    number = report.pull_request.number
    pull = host.pull_request(number)
    if pull.head != report.head:
        note = (
            f"pull request #{number} has moved on to {pull.head[:12]} since these tests were"
            f" proven on {report.head[:12]}: nothing published; ask again with `/codegen tests`"
        )
        progress(note)
        return PublishedTests(number, "moved", note=note)
    tests = tuple(accepted_tests(report))
    if not tests:
        return PublishedTests(number, "nothing", note=_why_none(report))
    if pull.head_repository.lower() != host.repository.lower():
        return _comment(report, host, pull, tests, progress)
    change = BranchChange(
        branch=branch_name(number),
        base_ref=pull.head_ref,
        base_sha=report.head,
        files={t.path: t.text for t in tests},
        message=_message(number, tests),
        title=_title(number, tests),
        body=pull_body(report, tests, number, pull.head_ref),
        steady_body=pull_body(report, tests, number, pull.head_ref, with_time=False),
        data={"pull": number, "head": report.head, "tests": sorted(t.path for t in tests)},
    )
    outcome = publish_branch(host, change, progress)
    return PublishedTests(number, "pull", tests, outcome, head_ref=pull.head_ref)


def _comment(
    report: Report,
    host: GitHubHost,
    pull: PullRequest,
    tests: tuple[Proposal, ...],
    progress: Callable[[str], None],
) -> PublishedTests:
    """Post (or edit in place) the one comment carrying the tests for a fork's pull request."""
    body = fork_comment(report, tests)
    existing = next(
        (c for c in host.issue_comments(pull.number) if markers.first(COMMENT_KIND, c.body)), None
    )
    if existing is None:
        comment_id = host.create_comment(pull.number, body, COMMENT_KIND)
        progress(f"posted {len(tests)} test(s) in a comment on #{pull.number} (a fork)")
    else:
        comment_id = existing.id
        said = markers.first(COMMENT_KIND, existing.body) or {}
        wanted = markers.first(COMMENT_KIND, body) or {}
        if said.get("text") is None or said.get("text") != wanted.get("text"):
            host.edit_comment(pull.number, existing.id, body)
            progress(f"the tests comment on #{pull.number} is updated")
        else:
            progress(f"the tests comment on #{pull.number} is unchanged")
    return PublishedTests(pull.number, "comment", tests, comment_id=comment_id)


def _why_none(report: Report) -> str:
    reasons = [f"{code(p.symbol)}: {code(p.reason)}" for p in report.rejected if p.task == "tests"]
    reasons += [f"{code(s.symbol)}: {code(s.reason)}" for s in report.skipped if s.task == "tests"]
    reasons += [code(note) for note in report.notes]
    shown = "".join(f"\n- {r}" for r in reasons[:10])
    more = f"\n- … and {len(reasons) - 10} more" if len(reasons) > 10 else ""
    return f"no test passed every gate for {report.head[:12]}.{shown}{more}"


def reply_text(published: PublishedTests) -> str:
    """The reply to the `/codegen tests` comment."""
    count = len(published.tests)
    tests = f"{count} test{'s' if count != 1 else ''}"
    names = ", ".join(code(t.symbol) for t in published.tests[:5])
    if published.where in ("moved", "nothing"):
        return f"Nothing published: {published.note}"
    if published.where == "comment":
        return (
            f"Done: {tests} ({names}) in the comment above, as this pull request comes from a fork."
        )
    outcome = published.pull
    assert outcome is not None
    link = f"#{outcome.number}"
    return {
        "opened": f"Done: opened {link} with {tests} ({names}); merge it into"
        f" {code(published.head_ref)} to add them here.",
        "updated": f"Done: updated {link} with {tests} ({names}).",
        "unchanged": f"Done: {link} unchanged: it already holds these {tests} ({names}).",
        "blocked": f"Not updated: {outcome.note}; see {link}."
        if outcome.number
        else f"Not published: {outcome.note}.",
        "empty": f"Done: nothing to add, {outcome.note}.",
        "refused": f"Not published: {outcome.note}.",
    }[outcome.status]
