"""`codegen nightly`: refactor a bounded, rotating set of the default branch's files, proven.

Select the night's files (`nightly_select`), list their functions and methods, ask the engine
for rewrites, prove each with the refactor task's gates, and return a report whose base and
head are both the commit worked on. Nothing is written to the repository: files are read from
the commit, tests run in a sandboxed copy. Publishing (one pull request on a fixed branch) is a
separate step that reads the report (`final_files`, and `nightly_pr.pr_body`).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import libcst as cst

from codegen_bot.adapters.engines.base import Engine, EngineIdentity
from codegen_bot.adapters.engines.chat import PromptFormat
from codegen_bot.adapters.engines.registry import RunOptions
from codegen_bot.bot import __version__
from codegen_bot.bot.config import Config, IsolationChoice, with_engine, with_isolation
from codegen_bot.bot.nightly.selection import Selection, exclusion, select_files
from codegen_bot.bot.report import FileNote, Report
from codegen_bot.bot.tasks.pipeline import load_config, quiet
from codegen_bot.bot.tasks.refactor.suite import Suite, prepared_suite
from codegen_bot.bot.workspace.repository import Workspace
from codegen_bot.bot.workspace.sources import read_text
from codegen_bot.refactor.targets import Target, find_definitions

if TYPE_CHECKING:
    from codegen_bot.bot.tasks.refactor.task import RefactorOutcome

Progress = Callable[[str], None]
EngineFactory = Callable[[RunOptions], Engine]
_MAX_LOG_COMMITS = 500


@dataclass(frozen=True)
class NightlyRequest:
    """What one night works on: which repository and commit, which night, which engine."""

    repo: str
    night: datetime.date
    rev: str = "HEAD"
    engine: str = "heuristic"
    config_file: Path | None = None  # an explicit `.codegen.toml`, overriding the repository's
    #: Keys of changes in nightly pull requests closed without merging: never proposed again.
    closed_keys: frozenset[str] = frozenset()
    #: The runner operator's isolation (`--isolation`); None: the repository's (never lower).
    isolation: IsolationChoice | None = None
    #: The runner's `--samples` and `--prompt-format` (None: the repository's engine settings).
    samples: int | None = None
    prompt_format: PromptFormat | None = None


def recently_changed(workspace: Workspace, rev: str, days: int) -> list[str]:
    """Files changed by commits at most `days` days older than `rev`, most recent first."""
    if days <= 0:
        return []
    newest = workspace.repo.commit(rev).committed_date
    cutoff = newest - days * 86400
    log = workspace.repo.git.log(
        rev, "--format=%x00%ct", "--name-only", "--no-renames", f"-n{_MAX_LOG_COMMITS}"
    )
    found: dict[str, None] = {}
    for entry in log.split("\0")[1:]:
        stamp, _, names = entry.partition("\n")
        if int(stamp.strip() or 0) < cutoff:
            continue  # not `break`: merged branches can list older commits before newer ones
        for name in names.splitlines():
            if name.strip():
                found.setdefault(name.strip(), None)
    return list(found)


def read_functions(workspace: Workspace, rev: str, path: str, config: Config) -> list[Target] | str:
    """The functions and methods of `path` at `rev`, or why the file is skipped."""
    text, problem = read_text(workspace, rev, path, config.max_file_bytes, utf8_only=True)
    if problem is not None:
        return problem
    try:
        compile(text, path, "exec", dont_inherit=True)
        definitions = find_definitions(path, text)
    except (SyntaxError, ValueError) as error:
        return f"does not compile: {error}"
    except cst.ParserSyntaxError as error:
        return f"LibCST cannot parse it: {error.message} (line {error.raw_line})"
    return [target for target in definitions if target.kind != "class"]


def nightly(
    request: NightlyRequest, engine_factory: EngineFactory, progress: Progress = quiet
) -> Report:
    """Run one night on `request.rev` and return the report; raises CodegenError on misuse."""
    started = time.perf_counter()
    workspace = Workspace(request.repo)
    head = workspace.resolve(request.rev)
    config = with_isolation(load_config(workspace, head, request.config_file), request.isolation)
    config = with_engine(config, request.samples, request.prompt_format)
    # The suite's copy and warm parent first: the parent warms up while files are read and
    # changes proposed; both go when the night ends.
    with prepared_suite(workspace, head, config) as suite:
        outcome, files, selection, timings, identity = _night(
            workspace, head, config, request,
            engine_factory=engine_factory, suite=suite, progress=progress,
        )  # fmt: skip
    timings.update(outcome.timings)
    timings["total"] = time.perf_counter() - started
    return Report(
        repo=str(workspace.path),
        base=head,
        head=head,
        tasks=("refactor",),
        identity=identity,
        proposals=tuple(outcome.proposals),
        files=tuple(files),
        notes=(*config.notes, selection.describe(request.night), *outcome.notes),
        config_source=config.source,
        timings=timings,
        tool_version=__version__,
        final_files=dict(outcome.final_files),
    )


def _night(
    workspace: Workspace,
    head: str,
    config: Config,
    request: NightlyRequest,
    *,
    engine_factory: EngineFactory,
    suite: Suite | str,
    progress: Progress,
) -> tuple[RefactorOutcome, list[FileNote], Selection, dict[str, float], EngineIdentity]:
    """Select the night's files, read their functions, then propose and prove changes."""
    # Imported here, after the warm parent started: LibCST's codemods (a third of a second)
    # load while it warms up.
    from codegen_bot.bot.tasks.refactor import task as refactor_task  # noqa: PLC0415

    started = time.perf_counter()
    rules = config.nightly
    allowed = [path for path in workspace.files(head) if exclusion(path, config) is None]
    recent = recently_changed(workspace, head, rules.recent_days)
    selection = select_files(allowed, recent, request.night, rules.max_files)
    progress(selection.describe(request.night))

    targets: list[Target] = []
    files: list[FileNote] = []
    for path in selection.files:
        found = read_functions(workspace, head, path, config)
        if isinstance(found, str):
            files.append(FileNote(path, "skipped", found))
        else:
            files.append(FileNote(path, "reviewed"))
            targets.extend(found)
    timings = {"select": time.perf_counter() - started}
    progress(f"refactor: {len(targets)} functions and methods in {len(selection.files)} files")

    engine = engine_factory(
        RunOptions(ruff_config=workspace.config_files(head), refactor_rules=rules.extra_rules)
    )
    settings = refactor_task.RefactorSettings(
        max_proposals=rules.max_proposals,
        changed_lines_covered=rules.changed_lines_covered,
        closed_keys=request.closed_keys,
    )
    outcome = refactor_task.run(
        workspace, head, targets, config, engine, settings=settings, progress=progress, suite=suite
    )
    return outcome, files, selection, timings, engine.identity


def today() -> datetime.date:
    """Today's date in UTC: the night a scheduled run works on."""
    return datetime.datetime.now(datetime.UTC).date()
