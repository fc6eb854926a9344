"""The summary comment: one per pull request, edited in place on every run — a pure rendering.

It says what was proposed, accepted and rejected (and why), where each accepted proposal went,
which engine, model and adapter produced them, and carries the patches that could not be posted
inline. Its hidden marker holds what earlier runs suggested, so that a suggestion a maintainer
deleted is never posted again. The text depends only on its inputs (no clock), so a run that
changes nothing leaves the comment untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot import markers
from bot.markdown import code, fence
from bot.report import Proposal, Report
from bot.suggestions import PLACEMENT_TEXT

KIND = "summary"
#: GitHub refuses comments over 65,536 characters; stay well below.
MAX_CHARS = 60_000


def remembered(body: str | None) -> dict[str, str]:
    """Return what earlier runs suggested (key → digest), read from a summary's marker."""
    marker = markers.first(KIND, body)
    state = marker.get("suggested") if marker else None
    if not isinstance(state, dict):
        return {}
    return {str(k): str(v) for k, v in state.items()}


def is_summary(body: str | None) -> bool:
    """Whether a comment is the bot's summary."""
    return markers.first(KIND, body) is not None


def _cell(text: object) -> str:
    """Text from the pull request (or the report) as an inert code span in a table cell."""
    return code(text, cell=True)


def _result(proposal: Proposal, placements: Mapping[str, str]) -> str:
    if proposal.status == "rejected":
        return f"rejected: {_cell(proposal.reason or 'no reason given')}"
    return PLACEMENT_TEXT.get(placements.get(proposal.key, ""), "accepted")


def render(report: Report, placements: Mapping[str, str], memory: Mapping[str, str]) -> str:
    """Render the summary of `report`, with `placements` from the plan and `memory` to keep."""
    state: dict[str, Any] = {"v": 1, "head": report.head, "suggested": dict(sorted(memory.items()))}
    inline = sum(1 for p in report.accepted if placements.get(p.key) in ("new", "posted"))
    skipped_files = [f for f in report.files if f.status == "skipped"]
    lines = [
        markers.hidden(KIND, state),
        f"### codegen · review of {report.head[:12]}",
        "",
        f"**{len(report.accepted)} accepted**, {len(report.rejected)} rejected of"
        f" {len(report.proposals)} proposed · {inline} suggested inline"
        f" · tasks: {code(', '.join(report.tasks)) if report.tasks else 'none'}",
    ]
    lines.extend(f"> {code(note)}" for note in report.notes)
    if report.proposals:
        lines.extend(["", "| file | definition | result |", "| --- | --- | --- |"])
        for proposal in report.proposals:
            lines.append(
                f"| {_cell(proposal.path)} | {_cell(proposal.symbol)}"
                f" | {_result(proposal, placements)} |"
            )
    elsewhere = [
        p
        for p in report.accepted
        if placements.get(p.key) in ("outside", "over_limit", "refused", "patch_only")
    ]
    footer = [
        "",
        f"<sub>codegen {code(report.tool_version)} · engine {code(report.identity.describe())}"
        f" · configuration: {code(report.config_source)}</sub>",
    ]
    if skipped_files:
        footer[:0] = [
            "",
            f"{len(skipped_files)} changed files not reviewed: "
            + ", ".join(f"{code(f.path)} ({code(f.reason or '')})" for f in skipped_files),
        ]
    if elsewhere:
        lines.extend(["", "<details><summary>Accepted patches not posted inline</summary>", ""])
        budget = MAX_CHARS - len("\n".join(lines + footer)) - 200
        for count, proposal in enumerate(elsewhere):
            heading = f"{code(proposal.path)} · {code(proposal.symbol)}"
            block = f"{heading}\n\n{fence(proposal.patch, 'diff')}\n"
            if len(block) > budget:
                lines.append(f"… and {len(elsewhere) - count} more: see the JSON report.")
                break
            lines.append(block)
            budget -= len(block) + 1
        lines.extend(["</details>"])
    return "\n".join(lines + footer) + "\n"
