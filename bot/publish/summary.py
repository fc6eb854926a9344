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

from codegen_bot.bot.github import markers
from codegen_bot.bot.github.bodies import fit
from codegen_bot.bot.markdown import code, fence
from codegen_bot.bot.publish.suggestions import PLACEMENT_TEXT
from codegen_bot.bot.report import FileNote, Proposal, Report, SkippedTarget

KIND = "summary"
#: The patches' share of the body; `bot.github.bodies.fit` keeps the whole under GitHub's limit.
MAX_CHARS = 50_000


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
    if proposal.status == "rejected" and not proposal.held:
        return f"rejected: {_cell(proposal.reason or 'no reason given')}"
    return PLACEMENT_TEXT.get(placements.get(proposal.key, ""), "accepted")


def _plural(count: int, one: str, many: str | None = None) -> str:
    """`1 changed file`, `2 changed files`."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _declined(proposal: Proposal) -> bool:
    """The engine proposed nothing (e.g. nothing to say beyond the name): no gate ever ran."""
    return proposal.status == "rejected" and not proposal.held and not proposal.gates


def _not_posted(proposal: Proposal, placements: Mapping[str, str]) -> bool:
    """Held back by `max_suggestions` and not posted in this run either."""
    return proposal.held and placements.get(proposal.key) not in ("new", "posted")


#: Reasons a changed file is skipped that say nothing about the file's code: counted, not listed.
_ROUTINE_FILE_REASONS = ("not a Python file", "deleted", "excluded by the configuration")


def _routine(note: FileNote) -> bool:
    return (note.reason or "").startswith(_ROUTINE_FILE_REASONS)


def _test_definition(target: SkippedTarget) -> bool:
    name = target.symbol.rsplit(".", 1)[-1]
    parts = target.path.split("/")
    return name.startswith("test") or "tests" in parts or parts[-1].startswith("test_")


def _quiet_section(report: Report, placements: Mapping[str, str]) -> list[str]:
    """One collapsed line counting what needs no attention, its items inside."""
    declined = [p for p in report.proposals if _declined(p)]
    held = [p for p in report.proposals if _not_posted(p, placements)]
    routine = [f for f in report.files if f.status == "skipped" and _routine(f)]
    skipped = list(report.skipped)
    tests = [s for s in skipped if _test_definition(s)]
    counts = [
        (len(declined), f"{len(declined)} declined by the engine"),
        (len(held), f"{len(held)} not posted: over the limit"),
        (
            len(routine),
            _plural(len(routine), "file") + " not reviewed (not Python, deleted, excluded)",
        ),
        (len(skipped) - len(tests), _plural(len(skipped) - len(tests), "definition") + " skipped"),
        (len(tests), _plural(len(tests), "test definition") + " skipped"),
    ]
    said = [text for count, text in counts if count]
    if not said:
        return []
    lines = ["", f"<details><summary>Also: {', '.join(said)}</summary>", ""]
    lines += [f"- {_cell(p.path)} · {_cell(p.symbol)}: {_cell(p.reason or '')}" for p in declined]
    lines += [f"- {_cell(p.path)} · {_cell(p.symbol)}: {_cell(p.reason or '')}" for p in held]
    lines += [f"- {_cell(f.path)}: {_cell(f.reason or '')}" for f in routine]
    lines += [f"- {_cell(t.path)} · {_cell(t.symbol)}: {_cell(t.reason)}" for t in skipped]
    return [*lines, "", "</details>"]


def render(report: Report, placements: Mapping[str, str], memory: Mapping[str, str]) -> str:
    """Render the summary of `report`, with `placements` from the plan and `memory` to keep.

    Accepted proposals and real gate failures are listed; what needs no attention (engine
    declines, proposals held back by `max_suggestions`, routine skips) is counted in one
    collapsed line. The body is fitted to GitHub's limit (`bot.github.bodies.fit`).
    """
    state: dict[str, Any] = {"v": 1, "head": report.head, "suggested": dict(sorted(memory.items()))}
    inline = sum(
        1 for p in (*report.accepted, *report.held) if placements.get(p.key) in ("new", "posted")
    )
    shown = [p for p in report.proposals if not _declined(p) and not _not_posted(p, placements)]
    failed = [p for p in report.rejected if not p.held and not _declined(p)]
    problems = [f for f in report.files if f.status == "skipped" and not _routine(f)]
    lines = [
        markers.hidden(KIND, state),
        f"### codegen · review of {report.head[:12]}",
        "",
        f"**{len(report.accepted)} accepted**, {len(failed)} rejected by the gates of"
        f" {len(report.proposals)} proposed · {inline} suggested inline"
        f" · tasks: {code(', '.join(report.tasks)) if report.tasks else 'none'}",
    ]
    lines.extend(f"> {code(note)}" for note in report.notes)
    if shown:
        lines.extend(["", "| file | definition | result |", "| --- | --- | --- |"])
        for proposal in shown:
            lines.append(
                f"| {_cell(proposal.path)} | {_cell(proposal.symbol)}"
                f" | {_result(proposal, placements)} |"
            )
    if problems:
        lines.extend(
            [
                "",
                _plural(len(problems), "changed file")
                + " not reviewed: "
                + ", ".join(f"{_cell(f.path)} ({_cell(f.reason or '')})" for f in problems),
            ]
        )
    lines.extend(_quiet_section(report, placements))
    elsewhere = [
        p
        for p in report.accepted
        if placements.get(p.key) in ("outside", "over_limit", "refused", "patch_only", "too_long")
    ]
    footer = [
        "",
        f"<sub>codegen {code(report.tool_version)} · engine {code(report.identity.describe())}"
        f" · configuration: {code(report.config_source)}</sub>",
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
    return fit("\n".join(lines + footer) + "\n")
