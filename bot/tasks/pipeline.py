"""`codegen review`: one pipeline from a local repository's diff to a report.

Workspace → targets → proposals → edits → gates → report. Nothing here writes to the reviewed
repository: files are read from commits, and gates work in scratch folders.
"""

from __future__ import annotations

import dataclasses
import time
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from codegen_bot.adapters.engines.base import Engine, EngineIdentity, RunContext
from codegen_bot.adapters.engines.chat import PromptFormat
from codegen_bot.adapters.engines.registry import RunOptions
from codegen_bot.bot import __version__
from codegen_bot.bot.config import (
    Config,
    IsolationChoice,
    config_from_files,
    with_engine,
    with_isolation,
)
from codegen_bot.bot.errors import UsageError
from codegen_bot.bot.report import Proposal, PullRequestRef, Report, TaskOutcome
from codegen_bot.bot.tasks.ranking import ranked
from codegen_bot.bot.tasks.run_context import run_context
from codegen_bot.bot.workspace.repository import Workspace
from codegen_bot.bot.workspace.sources import SourceFile, read_sources, repository_convention
from codegen_bot.refactor.diffs import FileChanges
from codegen_bot.refactor.docstrings.style import Convention, Style

Progress = Callable[[str], None]
#: Builds the run's engine from its per-run options (docstring style, ruff configuration).
EngineFactory = Callable[[RunOptions], Engine]


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
    #: The runner operator's isolation (`--isolation`); None: the repository's (never lower).
    isolation: IsolationChoice | None = None
    #: The runner's `--samples` and `--prompt-format`; None: the repository's settings.
    samples: int | None = None
    prompt_format: PromptFormat | None = None


def load_config(workspace: Workspace, rev: str, explicit: Path | None = None) -> Config:
    """The repository's configuration at `rev`, or the explicit file's when one is given.

    An explicit file that the repository tracks is read at `rev` too: in a checkout of a pull
    request, the file on disk is the pull request's. An untracked file is the operator's own.
    """
    if explicit is not None:
        inside = _inside(workspace.path, explicit)
        if inside is not None:
            text = workspace.text(rev, inside)
            if text is not None:
                return config_from_files(None, text, codegen_name=str(explicit))
            if workspace.tracked(inside):
                raise UsageError(
                    f"the configuration file {explicit} is not in the base commit {rev[:12]}; "
                    "a committed configuration is read from the base commit, never the head"
                )
        try:
            text = explicit.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(f"cannot read the configuration file {explicit}: {error}") from error
        return config_from_files(None, text, codegen_name=str(explicit))
    return config_from_files(
        workspace.text(rev, "pyproject.toml"), workspace.text(rev, ".codegen.toml")
    )


def _inside(root: Path, path: Path) -> str | None:
    """`path` relative to the repository `root` as a POSIX string, or None if outside it."""
    resolved = path.resolve()  # relative to the working folder, as the file is read
    try:
        return resolved.relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def run_config(workspace: Workspace, base: str, head: str, request_file: Path | None) -> Config:
    """The settings that govern a run: the base commit's (never the head's), as `load_config`.

    A pull request that changes codegen's configuration gets one note: its changes apply once
    merged. The head's files are compared as parsed TOML, so formatting alone says nothing.
    """
    config = load_config(workspace, base, request_file)
    if request_file is None and _codegen_tables(workspace, base) != _codegen_tables(
        workspace, head
    ):
        note = (
            "this pull request changes codegen's configuration; the changes apply once merged "
            f"(this run used the configuration of the base commit {base[:12]})"
        )
        config = dataclasses.replace(config, notes=(*config.notes, note))
    return config


def _codegen_tables(workspace: Workspace, rev: str) -> tuple[object, object]:
    """The tables of codegen at `rev`: `.codegen.toml`'s and `[tool.codegen]` of pyproject.toml."""
    found: list[object] = []
    for name in (".codegen.toml", "pyproject.toml"):
        text = workspace.text(rev, name)
        document: object
        try:
            document = tomllib.loads(text) if text is not None else None
        except tomllib.TOMLDecodeError:
            document = text  # broken: compared as text
        if name == "pyproject.toml" and isinstance(document, dict):
            tool = document.get("tool")  # a pull request's file may hold anything
            document = tool.get("codegen") if isinstance(tool, dict) else tool
        found.append(document)
    return found[0], found[1]


def over_limit_reason(limit: int) -> str:
    """Why a proposal that passed every gate is not posted in this run."""
    return (
        f"not posted: over the limit of {limit} suggestions per run (max_suggestions);"
        " a later push or `/codegen docs` posts the next ones"
    )


def _cap(
    proposals: list[Proposal], limit: int, changes: Mapping[str, FileChanges]
) -> list[Proposal]:
    """Rank the proposals (`bot.tasks.ranking`) and hold back the accepted ones past `limit`.

    Held proposals keep their patch and suggestion, with status `rejected` (so that readers of
    older reports never post them) and `held` set, so a later run can post them.
    """
    kept = 0
    capped = []
    for proposal in ranked(proposals, changes):
        if proposal.status == "accepted":
            kept += 1
        if proposal.status == "accepted" and kept > limit:
            capped.append(
                dataclasses.replace(
                    proposal, status="rejected", reason=over_limit_reason(limit), held=True
                )
            )
        else:
            capped.append(proposal)
    return capped


def _one_place(proposal: Proposal) -> Proposal:
    """A refactoring that also removes an import elsewhere goes out as a patch, not a suggestion.

    A suggestion block replaces one range of lines, so it cannot carry the import's removal:
    the summary shows the whole patch instead.
    """
    if proposal.metrics.get("imports_removed") and proposal.suggestion is not None:
        return dataclasses.replace(proposal, suggestion=None)
    return proposal


@dataclass(frozen=True)
class _Run:
    """What every task of one review works with."""

    workspace: Workspace
    head: str
    sources: list[SourceFile]
    config: Config
    engine: Engine
    context: RunContext | None
    style: Style
    progress: Progress
    convention: Convention = field(default_factory=Convention)


# Each task imports its own modules when it runs: a run of one task (a tests-only review, say)
# does not pay for the others' imports (LibCST's matchers alone take a third of a second).


def _docs(run: _Run) -> TaskOutcome:
    from codegen_bot.bot.tasks.docs.task import prove_all, select_targets  # noqa: PLC0415
    from codegen_bot.refactor.gates.lint import RuffGate  # noqa: PLC0415

    targets, skipped = select_targets(run.sources, run.config.docs)
    run.progress(f"docs: {len(targets)} definitions need a docstring ({run.style} style)")
    outcome = TaskOutcome(skipped=skipped)
    phase = time.perf_counter()
    candidates = run.engine.propose("docs", targets, run.context)
    outcome.timings["propose"] = time.perf_counter() - phase
    phase = time.perf_counter()
    with RuffGate(run.workspace.config_files(run.head)) as ruff:
        outcome.proposals = prove_all(candidates, ruff, run.convention)
    outcome.timings["prove"] = time.perf_counter() - phase
    passed = sum(p.status == "accepted" for p in outcome.proposals)
    run.progress(f"docs: {passed} of {len(outcome.proposals)} passed the gates")
    return outcome


def _tests(run: _Run) -> TaskOutcome:
    from codegen_bot.bot.tasks.tests import task as tests_task  # noqa: PLC0415

    done = tests_task.run(
        run.workspace, run.head, run.sources, run.config, run.engine,
        progress=run.progress, context=run.context,
    )  # fmt: skip
    return done


def _refactor(run: _Run) -> TaskOutcome:
    from codegen_bot.bot.tasks.refactor import task as refactor_task  # noqa: PLC0415

    functions = [t for s in run.sources for t in s.touched if t.kind != "class"]
    run.progress(f"refactor: {len(functions)} changed functions and methods")
    settings = refactor_task.RefactorSettings(max_proposals=run.config.max_suggestions)
    done = refactor_task.run(
        run.workspace, run.head, functions, run.config, run.engine,
        settings=settings, progress=run.progress, context=run.context,
    )  # fmt: skip
    proposals = [_one_place(p) for p in done.proposals]
    return dataclasses.replace(done, proposals=proposals)


#: Each task of a review, in the order they run.
TASK_RUNNERS: dict[str, Callable[[_Run], TaskOutcome]] = {
    "docs": _docs,
    "tests": _tests,
    "refactor": _refactor,
}


def _convention(workspace: Workspace, head: str, config: Config) -> Convention:
    """The docstring convention of the run: the configuration's, else the repository's own."""
    detected = None
    if config.docs.style == "auto" or config.docs.arg_types == "auto":
        detected = repository_convention(workspace, head, config.max_file_bytes)
    style = detected.style if detected and config.docs.style == "auto" else config.docs.style
    if config.docs.arg_types == "auto":
        arg_types = detected.arg_types if detected else True
    else:
        arg_types = config.docs.arg_types == "always"
    return Convention(style, arg_types)  # type: ignore[arg-type]  # "auto" is resolved above


@dataclass(frozen=True)
class PreparedReview:
    """A review's revisions, resolved, and the settings that govern it, read once."""

    request: ReviewRequest
    workspace: Workspace
    base: str
    head: str
    #: The merge base of base and head: the diff starts there, and the settings come from it.
    compared: str
    config: Config


def prepare(request: ReviewRequest) -> PreparedReview:
    """Resolve the request's revisions and read its settings from the base (`run_config`)."""
    workspace = Workspace(request.repo)
    head = workspace.resolve(request.head)
    base = workspace.resolve(request.base)
    compared = workspace.merge_base(base, head)
    config = with_isolation(
        run_config(workspace, compared, head, request.config_file), request.isolation
    )
    config = with_engine(config, request.samples, request.prompt_format)
    return PreparedReview(request, workspace, base, head, compared, config)


def review(
    request: ReviewRequest, engine_factory: EngineFactory, progress: Progress = quiet
) -> Report:
    """Review `request.base..request.head` and return the report; raises CodegenError on misuse."""
    started = time.perf_counter()
    return review_prepared(prepare(request), engine_factory, progress, started)


def review_prepared(
    prepared: PreparedReview,
    engine_factory: EngineFactory,
    progress: Progress = quiet,
    started: float | None = None,
    pull_request: PullRequestRef | None = None,
) -> Report:
    """Review a prepared request with its settings as read; see `review`.

    `pull_request` is where the report goes on GitHub, when `codegen action` runs it.
    """
    started = time.perf_counter() if started is None else started
    request, workspace, config = prepared.request, prepared.workspace, prepared.config
    base, head, compared = prepared.base, prepared.head, prepared.compared
    tasks = request.tasks or config.tasks
    report = Report(
        repo=str(workspace.path),
        base=base,
        head=head,
        tasks=tuple(tasks),
        identity=EngineIdentity(request.engine),
        config_source=config.source,
        tool_version=__version__,
        pull_request=pull_request,
    )
    if base == head:
        return dataclasses.replace(
            report, notes=(*config.notes, "base and head are the same commit: nothing to review")
        )

    progress(f"reading the diff {compared[:12]}..{head[:12]}")
    sources, files = read_sources(workspace, compared, head, config)
    timings = {"read": time.perf_counter() - started}
    progress(f"{len(sources)} Python files to review, {len(files) - len(sources)} skipped")

    convention = _convention(workspace, head, config)
    style = convention.style
    phase = time.perf_counter()
    options = RunOptions(
        style=style, arg_types=convention.arg_types, ruff_config=workspace.config_files(head)
    )
    engine = engine_factory(options)
    timings["engine"] = time.perf_counter() - phase  # a model engine's load time
    # Model engines show the repository's examples in their prompts; the heuristic needs none.
    context = None
    if request.engine != "heuristic":
        context = run_context(workspace, head, style, config, [s.path for s in sources])

    run = _Run(workspace, head, sources, config, engine, context, style, progress, convention)
    total = TaskOutcome()
    for task, runner in TASK_RUNNERS.items():
        if task in tasks:
            outcome = runner(run)
            total.proposals += outcome.proposals
            total.skipped += outcome.skipped
            total.notes += outcome.notes
            total.timings.update(outcome.timings)
    timings.update(total.timings)
    timings["total"] = time.perf_counter() - started
    return dataclasses.replace(
        report,
        notes=(*config.notes, *total.notes),
        identity=engine.identity,
        proposals=tuple(
            _cap(total.proposals, config.max_suggestions, {s.path: s.changes for s in sources})
        ),
        files=tuple(files),
        skipped=tuple(total.skipped),
        style=style,
        timings=timings,
    )
