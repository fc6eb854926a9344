"""`codegen review`: one pipeline from a local repository's diff to a report.

Workspace → targets → proposals → edits → gates → report. Nothing here writes to the reviewed
repository: files are read from commits, and gates work in scratch folders.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from adapters.base import Engine, EngineIdentity
from bot import __version__, tests_task
from bot.config import Config, config_from_files
from bot.docs import prove_all, select_targets
from bot.engine_context import run_context
from bot.errors import UsageError
from bot.report import Proposal, Report
from bot.sources import read_sources, repository_style
from bot.workspace import Workspace
from refactor.docstyle import Style
from refactor.validate.lint import RuffGate

Progress = Callable[[str], None]
EngineFactory = Callable[[Style], Engine]


def quiet(_: str) -> None:
    """A progress sink that says nothing."""


@dataclass(frozen=True)
class ReviewRequest:
    """What `codegen review` was asked: which repository, which revisions, which tasks."""

    repo: str
    base: str
    head: str = "HEAD"
    tasks: tuple[str, ...] | None = None  # None: the repository's configuration decides
    engine: str = "heuristic"
    config_file: Path | None = None  # an explicit `.codegen.toml`, overriding the repository's


def load_config(workspace: Workspace, rev: str, explicit: Path | None = None) -> Config:
    """The repository's configuration at `rev`, or the explicit file's when one is given."""
    if explicit is not None:
        try:
            text = explicit.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(f"cannot read the configuration file {explicit}: {error}") from error
        return config_from_files(None, text, codegen_name=str(explicit))
    return config_from_files(
        workspace.text(rev, "pyproject.toml"), workspace.text(rev, ".codegen.toml")
    )


def _cap(proposals: list[Proposal], limit: int) -> list[Proposal]:
    """Keep at most `limit` accepted proposals; the rest are rejected, saying why."""
    kept = 0
    capped = []
    for proposal in proposals:
        if proposal.status == "accepted":
            kept += 1
        if proposal.status == "accepted" and kept > limit:
            reason = f"over the limit of {limit} suggestions per run (max_suggestions)"
            capped.append(dataclasses.replace(proposal, status="rejected", reason=reason))
        else:
            capped.append(proposal)
    return capped


def review(
    request: ReviewRequest, engine_factory: EngineFactory, progress: Progress = quiet
) -> Report:
    """Review `request.base..request.head` and return the report; raises CodegenError on misuse."""
    started = time.perf_counter()
    workspace = Workspace(request.repo)
    head = workspace.resolve(request.head)
    base = workspace.resolve(request.base)
    config = load_config(workspace, head, request.config_file)
    tasks = request.tasks or config.tasks
    report = Report(
        repo=str(workspace.path),
        base=base,
        head=head,
        tasks=tuple(tasks),
        identity=EngineIdentity(request.engine),
        config_source=config.source,
        tool_version=__version__,
    )
    if base == head:
        return dataclasses.replace(
            report, notes=("base and head are the same commit: nothing to review",)
        )

    compared = workspace.merge_base(base, head)
    progress(f"reading the diff {compared[:12]}..{head[:12]}")
    sources, files = read_sources(workspace, compared, head, config)
    timings = {"read": time.perf_counter() - started}
    progress(f"{len(sources)} Python files to review, {len(files) - len(sources)} skipped")

    style = config.docs.style
    if style == "auto":
        style = repository_style(workspace, head)
    phase = time.perf_counter()
    engine = engine_factory(style)
    timings["engine"] = time.perf_counter() - phase  # a model engine's load time
    # Model engines show the repository's examples in their prompts; the heuristic needs none.
    context = None
    if request.engine != "heuristic":
        context = run_context(workspace, head, style, config, [s.path for s in sources])

    proposals: list[Proposal] = []
    skipped = []
    if "docs" in tasks:
        targets, skipped_docs = select_targets(sources, config.docs)
        skipped.extend(skipped_docs)
        progress(f"docs: {len(targets)} definitions need a docstring ({style} style)")
        phase = time.perf_counter()
        candidates = engine.propose("docs", targets, context)
        timings["propose"] = time.perf_counter() - phase
        phase = time.perf_counter()
        with RuffGate(workspace.config_files(head)) as ruff:
            proposals.extend(prove_all(candidates, ruff))
        timings["prove"] = time.perf_counter() - phase
        passed = sum(p.status == "accepted" for p in proposals)
        progress(f"docs: {passed} of {len(proposals)} passed the gates")

    notes: list[str] = []
    if "tests" in tasks:
        outcome = tests_task.run(
            workspace, head, sources, config, engine, progress=progress, context=context
        )
        proposals.extend(outcome.proposals)
        skipped.extend(outcome.skipped)
        notes.extend(outcome.notes)
        timings.update(outcome.timings)

    timings["total"] = time.perf_counter() - started
    return dataclasses.replace(
        report,
        notes=tuple(notes),
        identity=engine.identity,
        proposals=tuple(_cap(proposals, config.max_suggestions)),
        files=tuple(files),
        skipped=tuple(skipped),
        style=style,
        timings=timings,
    )
