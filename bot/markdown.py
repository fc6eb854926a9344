"""The report rendered for people: a short summary, the accepted patches, the rest and why."""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.report import Proposal, Report


def _fence(text: str, language: str = "") -> str:
    """A code fence long enough that no backtick run inside `text` can close it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{language}\n{text.rstrip()}\n{ticks}"


def _proposal_heading(proposal: Proposal) -> str:
    span = f"lines {proposal.start}-{proposal.end}"
    return f"`{proposal.path}` · `{proposal.symbol}` ({proposal.kind}, {span})"


def newly_covered(metrics: Mapping[str, object]) -> str:
    """What a new test newly covers: `lines 12, 14; branches 11->12` ("" when unknown)."""
    newly = metrics.get("newly_covers")
    if not isinstance(newly, Mapping):
        return ""
    parts = []
    for kind in ("lines", "branches"):
        items = [str(item) for item in newly.get(kind) or []]
        if items:
            shown = ", ".join(items[:8]) + (f" (+{len(items) - 8})" if len(items) > 8 else "")
            parts.append(f"{kind} {shown}")
    return "; ".join(parts)


def test_figures(proposal: Proposal) -> str:
    """One line of a new test's figures: target, coverage gained, runs, time; "" for others."""
    m = proposal.metrics
    if proposal.task != "tests" or "lines_gained" not in m:
        return ""
    return (
        f"Tests `{m.get('target_path')}` · `{proposal.symbol}`: +{m['lines_gained']} lines, "
        f"+{m.get('branches_gained', 0)} branches covered"
        + (f" (newly: {newly_covered(m)})" if newly_covered(m) else "")
        + f" · passed {m.get('runs_text', '?')} runs "
        f"in the sandbox ({m.get('isolation', '?')}) · {m.get('seconds', 0):.3f} s per run"
    )


def render(report: Report) -> str:
    """Return the report as GitHub-flavoured Markdown."""
    skipped_files = [f for f in report.files if f.status == "skipped"]
    lines = [
        "# codegen report",
        "",
        f"`{report.repo}` · {report.base[:12]}..{report.head[:12]}"
        f" · tasks: {', '.join(report.tasks)} · engine: {report.identity.describe()}"
        + (f" · docstring style: {report.style}" if report.style else ""),
        "",
        f"**{len(report.accepted)} accepted**, {len(report.rejected)} rejected, "
        f"{len(report.skipped)} definitions skipped, {len(skipped_files)} files skipped.",
    ]
    for note in report.notes:
        lines.extend(["", f"> {note}"])
    if report.accepted:
        lines.extend(["", "## Accepted"])
        for proposal in report.accepted:
            lines.extend(["", f"### {_proposal_heading(proposal)}"])
            figures = test_figures(proposal)
            if figures:
                lines.extend(["", figures])
            lines.extend(["", _fence(proposal.patch, "diff")])
    if report.rejected:
        lines.extend(["", "## Rejected", "", "| file | symbol | reason |", "| --- | --- | --- |"])
        for proposal in report.rejected:
            reason = (proposal.reason or "").replace("|", "\\|").replace("\n", " ")
            lines.append(f"| `{proposal.path}` | `{proposal.symbol}` | {reason} |")
    if report.skipped:
        lines.extend(["", "<details><summary>Definitions skipped</summary>", ""])
        lines.extend(f"- `{s.path}` · `{s.symbol}`: {s.reason}" for s in report.skipped)
        lines.extend(["", "</details>"])
    if skipped_files:
        lines.extend(["", "## Files skipped", ""])
        lines.extend(f"- `{f.path}`: {f.reason}" for f in skipped_files)
    return "\n".join(lines) + "\n"
