"""Markdown the bot writes: inert renderings of text that came from a pull request, and the report.

Everything a pull request can influence — file names, symbols, test ids, reasons, exception
messages, the command word, a model's answer, and (in `codegen publish`) every field of the
report — reaches Markdown only through `code`, `fence` or `html_code`. Inside a code span or a
fenced block GitHub renders no link, image, HTML, emphasis or table cell break and notifies no
`@mention` or `#ref`; so what the bot posts links and mentions only what the bot wrote itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from codegen_bot.bot.report import Proposal, Report

_BACKTICKS = re.compile(r"`+")
#: Characters that end a line (or a paragraph) in Markdown, and other controls: shown as spaces.
#: Text shown as is in a figure: `12`, `-3`, `0.25`, `5/5`; nothing a renderer could link.
_FIGURE = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:/[0-9]+)?")
#: Raw HTML's special characters, and `@`/`#` (no mention or reference), as character references.
_HTML_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "'": "&#39;",
        "@": "&#64;",
        "#": "&#35;",
    }
)
_BREAKS = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in _BACKTICKS.findall(text)), default=0)


def code(text: object, *, cell: bool = False) -> str:
    """`text` as one inline code span: literal, on one line, unable to close its span early.

    The span's backtick string is longer than any run inside; line breaks become spaces (a blank
    line would end the paragraph). In a table `cell`, `|` is escaped, as GFM splits cells first.
    """
    flat = _BREAKS.sub(" ", str(text))
    if cell:
        flat = flat.replace("|", "\\|")
    ticks = "`" * (_longest_backtick_run(flat) + 1)
    # CommonMark strips one space each side when both are there; a backtick at an edge needs one.
    edge = flat[:1] + flat[-1:]
    pad = " " if "`" in edge or (flat.startswith(" ") and flat.endswith(" ")) or not flat else ""
    return f"{ticks}{pad}{flat}{pad}{ticks}"


def figure(value: object, digits: int | None = None) -> str:
    """A number as plain text (`digits` after the point when given); anything else as `code`.

    Figures come from the report, which a forged report fills with whatever it likes.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:.{digits}f}" if digits is not None else str(value)
    if isinstance(value, str) and _FIGURE.fullmatch(value):
        return value
    return code(value, cell=True)  # figures stand in table cells too


def html_code(text: object) -> str:
    """`text` inside raw HTML (e.g. a `<summary>`): escaped, on one line, in `<code>`."""
    flat = _BREAKS.sub(" ", str(text))
    return f"<code>{flat.translate(_HTML_ESCAPES)}</code>"


def fence(text: str, info: str = "") -> str:
    """A fenced code block around `text`, its fence longer than any backtick run in `text`.

    `info` is the bot's own (`diff`, `python`, `suggestion`), never text from a pull request.
    """
    ticks = "`" * max(3, _longest_backtick_run(text) + 1)
    body = text[:-1] if text.endswith("\n") else text
    return f"{ticks}{info}\n{body}\n{ticks}" if body or text else f"{ticks}{info}\n{ticks}"


def _proposal_heading(proposal: Proposal) -> str:
    span = f"lines {proposal.start}-{proposal.end}"
    return f"{code(proposal.path)} · {code(proposal.symbol)} ({code(proposal.kind)}, {span})"


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
        f"Tests {code(m.get('target_path'))} · {code(proposal.symbol)}:"
        f" +{figure(m['lines_gained'])} lines, +{figure(m.get('branches_gained', 0))} branches"
        " covered"
        + (f" (newly: {code(newly_covered(m))})" if newly_covered(m) else "")
        + f" · passed {figure(m.get('runs_text', '?'))} runs in the sandbox"
        f" ({code(m.get('isolation', '?'))}) · {figure(m.get('seconds', 0), 3)} s per run"
    )


def render(report: Report) -> str:
    """Return the report as GitHub-flavoured Markdown."""
    skipped_files = [f for f in report.files if f.status == "skipped"]
    lines = [
        "# codegen report",
        "",
        f"{code(report.repo)} · {code(report.base[:12])}..{code(report.head[:12])}"
        f" · tasks: {code(', '.join(report.tasks))} · engine: {code(report.identity.describe())}"
        + (f" · docstring style: {code(report.style)}" if report.style else ""),
        "",
        f"**{len(report.accepted)} accepted**, {len(report.rejected)} rejected, "
        f"{len(report.skipped)} definitions skipped, {len(skipped_files)} files skipped.",
    ]
    for note in report.notes:
        lines.extend(["", f"> {code(note)}"])
    if report.accepted:
        lines.extend(["", "## Accepted"])
        for proposal in report.accepted:
            lines.extend(["", f"### {_proposal_heading(proposal)}"])
            figures = test_figures(proposal)
            if figures:
                lines.extend(["", figures])
            lines.extend(["", fence(proposal.patch, "diff")])
    if report.rejected:
        lines.extend(["", "## Rejected", "", "| file | symbol | reason |", "| --- | --- | --- |"])
        for proposal in report.rejected:
            cells = (proposal.path, proposal.symbol, proposal.reason or "")
            lines.append("| " + " | ".join(code(c, cell=True) for c in cells) + " |")
    if report.skipped:
        lines.extend(["", "<details><summary>Definitions skipped</summary>", ""])
        lines.extend(
            f"- {code(s.path)} · {code(s.symbol)}: {code(s.reason)}" for s in report.skipped
        )
        lines.extend(["", "</details>"])
    if skipped_files:
        lines.extend(["", "## Files skipped", ""])
        lines.extend(f"- {code(f.path)}: {code(f.reason or '')}" for f in skipped_files)
    return "\n".join(lines) + "\n"
