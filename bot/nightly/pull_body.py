"""The nightly pull request's text, and forgetting changes a maintainer closed unmerged. Pure.

`pr_title` and `pr_body` turn a nightly report into the pull request a publisher opens or
updates: deterministic (no timings, no dates), so the same report always gives the same text.
The body carries a hidden marker listing the key of every change in it; when a maintainer
closes the pull request without merging, `keys_in_body` reads those keys back, and the next
night leaves those exact changes out (`NightlyRequest.closed_keys`, or `drop_closed` on a
finished report).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection

from codegen_bot.bot.github import markers
from codegen_bot.bot.markdown import code
from codegen_bot.bot.report import Proposal, Report
from codegen_bot.bot.tasks.refactor.task import CLOSED_REASON
from codegen_bot.refactor.edits.combine import combine
from codegen_bot.refactor.results import Success

MARKER = "nightly"
_SHOWN_TESTS = 3


def _cell(text: object) -> str:
    """Text from the report as an inert code span in a table cell."""
    return code(text, cell=True)


def _strings(value: object) -> list[str]:
    """A list of strings from the report (anything else: none)."""
    return [str(item) for item in value] if isinstance(value, list) else []


def _tests(tests: list[str]) -> str:
    if not tests:
        return "—"
    shown = ", ".join(code(test, cell=True) for test in tests[:_SHOWN_TESTS])
    more = len(tests) - _SHOWN_TESTS
    return shown + (f" and {more} more" if more > 0 else "")


def pr_title(report: Report) -> str:
    """The pull request's title: how many changes, in how many files."""
    count, files = len(report.accepted), len({p.path for p in report.accepted})
    return (
        f"codegen: nightly refactoring ({count} change{'s' if count != 1 else ''} "
        f"in {files} file{'s' if files != 1 else ''})"
    )


def pr_body(report: Report) -> str:
    """The pull request's body: one table row per accepted change, and its hidden marker."""
    accepted = sorted(report.accepted, key=lambda p: (p.path, p.start))
    keys = [str(p.metrics.get("key", "")) for p in accepted]
    lines = [
        markers.hidden(MARKER, {"base": report.base, "keys": keys}),
        "## Nightly refactoring",
        "",
        f"codegen proposes {len(accepted)} change{'s' if len(accepted) != 1 else ''} to "
        f"{code(report.base[:12])} ({code(report.identity.describe())}). Each one is proven: the"
        " file parses and passes your ruff configuration, tests cover the function and pass with"
        " the change, and your whole suite passes with all the changes together. Functions no test "
        "covers are left alone.",
        "",
        "| file | function | what changed | rule or adapter | tests that cover it |",
        "| --- | --- | --- | --- | --- |",
    ]
    for proposal in accepted:
        metrics = proposal.metrics
        what = str(metrics.get("what", ""))
        removed = metrics.get("imports_removed") or []
        if removed:
            what += f" (removes the now unused import {', '.join(_strings(removed))})"
        lines.append(
            f"| {_cell(proposal.path)} | {_cell(proposal.symbol)} | {_cell(what)} "
            f"| {_cell(metrics.get('rules', ''))} "
            f"| {_tests(_strings(metrics.get('covering_tests')))} |"
        )
    not_covered = sorted(
        {
            f"{code(p.path)} · {code(p.symbol)}"
            for p in report.rejected
            if (p.reason or "").startswith("not covered by tests")
        }
    )
    if not_covered:
        lines.extend(
            [
                "",
                f"<details><summary>{len(not_covered)} more could be refactored if tests "
                "covered them</summary>",
                "",
                *(f"- {item}" for item in not_covered),
                "",
                "</details>",
            ]
        )
    lines.extend(
        [
            "",
            "Closing this pull request without merging it means no: these exact changes will "
            "not be proposed again. Commits you push to its branch are never overwritten.",
        ]
    )
    return "\n".join(lines) + "\n"


def keys_in_body(body: str | None) -> frozenset[str]:
    """The change keys a nightly pull request's body lists in its hidden marker."""
    found: set[str] = set()
    for data in markers.find(MARKER, body):
        found.update(str(key) for key in data.get("keys", []) if isinstance(key, str))
    return frozenset(found)


def is_closed(proposal: Proposal, closed: Collection[str]) -> bool:
    """Whether a maintainer already closed, unmerged, a pull request holding this change."""
    return proposal.task == "refactor" and proposal.metrics.get("key") in closed


def drop_closed(
    report: Report, closed: Collection[str], base_text: Callable[[str], str | None]
) -> Report:
    """`report` with the accepted changes named in `closed` rejected, and `final_files` rebuilt.

    `base_text(path)` returns a file's text at `report.base`. The remaining changes of a file
    are applied again to it (imports they leave unused removed); a file that cannot be rebuilt
    loses all its changes. Prefer `NightlyRequest.closed_keys`: then the suite proves the
    combination that is actually proposed.
    """
    dropped = {id(p) for p in report.accepted if is_closed(p, closed)}
    if not dropped:
        return report
    proposals = [
        dataclasses.replace(p, status="rejected", reason=CLOSED_REASON, patch="", suggestion=None)
        if id(p) in dropped
        else p
        for p in report.proposals
    ]
    touched = {p.path for p in report.accepted if id(p) in dropped}
    final = {path: text for path, text in report.final_files.items() if path not in touched}
    for path in sorted(touched):
        kept = [p for p in proposals if p.path == path and p.status == "accepted"]
        if not kept:
            continue
        base = base_text(path)
        rebuilt = (
            combine(path, base, [p.suggestion for p in kept if p.suggestion is not None])
            if base is not None
            else None
        )
        if isinstance(rebuilt, Success):
            final[path] = rebuilt.value.text
            continue
        why = rebuilt.reason if rebuilt is not None else "the file is missing at base"
        reason = f"the file cannot be rebuilt without the closed changes: {why}"
        proposals = [
            dataclasses.replace(p, status="rejected", reason=reason, patch="", suggestion=None)
            if p in kept
            else p
            for p in proposals
        ]
    note = f"{len(dropped)} change(s) left out: {CLOSED_REASON}"
    return dataclasses.replace(
        report, proposals=tuple(proposals), final_files=final, notes=(*report.notes, note)
    )
