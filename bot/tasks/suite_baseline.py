"""The repository's suite at head, measured once: what fails, and what covers each target.

The baseline every gain is measured from. A suite that does not finish, or whose modules do not
all import, measures nothing reliable, and says so. When modules do not import from a copy of
the commit, the copy is first built the way the project installs itself. Results are kept
between runs on the same tree (`bot.tasks.suite_baseline_cache`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from codegen_bot.bot.config import TestsConfig
from codegen_bot.bot.tasks.baseline_plan import BaselinePlan, tag_version
from codegen_bot.bot.tasks.suite_baseline_cache import BaselineCache, merged, missing
from codegen_bot.bot.workspace.repository import Workspace
from codegen_bot.refactor.sandbox.crash import stopped_with
from codegen_bot.refactor.sandbox.generated_files import (
    Built,
    PendingBuild,
    copy_installed_files,
    start_build,
)
from codegen_bot.refactor.sandbox.runner import RunResult, TestRunner
from codegen_bot.refactor.targets import Target
from codegen_bot.refactor.testing.conventions import Conventions
from codegen_bot.refactor.testing.coverage_data import SpanCoverage, covering_tests, span_coverage


@dataclass(frozen=True)
class Baseline:
    """The repository's suite at head: what failed, and what covers each target."""

    result: RunResult | None
    failing: frozenset[str]
    note: str | None
    #: Why coverage today cannot be trusted (no gain may be measured from it); None if it can.
    distrust: str | None = None
    #: Whether the result came from the cache whole (the suite did not run again).
    reused: bool = False

    def coverage(self, target: Target) -> SpanCoverage:
        """The target's coverage by import-time code and the tests that passed."""
        file = self.result.coverage.get(target.path) if self.result else None
        return span_coverage(file, target.start, target.end, lambda name: name not in self.failing)

    def failing_covering(self, target: Target) -> list[str]:
        """The failing tests that run some line of the target."""
        file = self.result.coverage.get(target.path) if self.result else None
        return sorted(covering_tests(file, target.start, target.end) & self.failing)


def error_line(message: str) -> str:
    """The line of a pytest error that names it (`ModuleNotFoundError: No module named 'x'`)."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    named = [line for line in lines if re.search(r"\b\w*(Error|Exception|Exit)\b", line)]
    chosen = (named or lines or ["no message"])[-1]
    return re.sub(r"^E\s+", "", chosen)[:300]


def import_errors(result: RunResult) -> str:
    """Every test module that did not import, each with its error's text."""
    return "; ".join(
        f"`{module}`: {error_line(message)}"
        for module, message in sorted(result.collect_errors.items())
    )


def run_baseline(
    runner: TestRunner,
    conventions: Conventions,
    targets: Sequence[Target],
    config: TestsConfig,
    cache: BaselineCache | None = None,
) -> Baseline:
    """Run the repository's suite once, under coverage of the targets' files.

    A suite that did not finish, or whose modules did not all import, measures nothing
    reliable: no gain may be counted from it (`distrust`), never from a zero baseline. With a
    `cache`, files measured before on the same tree and settings are not measured again.
    """
    if conventions.test_files == 0 and not conventions.pytest_args:
        return Baseline(None, frozenset(), "the repository has no tests of its own")
    cover = sorted({t.path for t in targets})
    cached = cache.load() if cache is not None else None
    needed = missing(cached, cover)
    reused = cached is not None and not needed
    if cached is not None and not needed:
        result = cached
    else:
        result = runner.pytest(list(conventions.pytest_args), needed, config.suite_timeout)
        if cached is not None and result.completed:
            result = merged(cached, result)
        if cache is not None and result.completed and not result.collect_errors:
            cache.store(result)
    # pytest itself stopped (interrupted, internal or usage error: a conftest that fails to
    # load): the session ended, but the suite never ran.
    stopped = result.completed and result.exit_code in (2, 3, 4)
    if not result.completed or stopped:
        error = "" if result.timed_out else stopped_with(result.output, str(runner.root))
        why = "a crash" if not stopped else f"pytest stopped with exit code {result.exit_code}"
        why = "the wall-time limit" if result.timed_out else why + (f": {error}" if error else "")
        tail = "" if error else " ".join(result.output.split()[-30:])
        distrust = f"the repository's own suite did not finish ({why})"
        return Baseline(
            None,
            frozenset(),
            f"{distrust}: coverage today cannot be trusted"
            + (f" (last output: {tail})" if tail else ""),
            distrust,
        )
    failing = frozenset(result.failed_tests)
    total = len(result.outcomes)
    if result.collect_errors:
        count = len(result.collect_errors)
        distrust = f"{count} of the repository's test modules did not import"
        return Baseline(
            result,
            failing,
            f"{distrust} at head, so coverage today cannot be trusted: {import_errors(result)}",
            distrust,
        )
    note = None
    if failing:
        shown = ", ".join(sorted(failing)[:3])
        note = (
            f"the repository's own suite was red at head: {len(failing)} of {total} tests failed"
            f" ({shown}); targets covered by failing tests were skipped"
        )
    return Baseline(result, failing, note, reused=reused)


def measure_baseline(
    workspace: Workspace,
    head: str,
    runner: TestRunner,
    *,
    conventions: Conventions,
    targets: Sequence[Target],
    rules: TestsConfig,
    plan: BaselinePlan,
) -> tuple[Baseline, list[str]]:
    """The suite's baseline at `head` and the notes it leaves, as `plan` (its cache) says.

    When test modules do not import, the copy is built the way the project installs itself
    and the suite runs again; the files the build made are kept with that result, and a later
    run on the same tree and settings adds them to its copy before anything runs.
    """
    cache = plan.cache
    notes = list(plan.notes)
    declared = plan.declared
    reason = "test modules did not import from a copy of the commit"
    if declared is not None:
        # The project says its build writes this file, and the copy lacks it: build first
        # (the plan started it) rather than run a suite that cannot import.
        reason = f"`{declared}`, which pyproject.toml says the build writes, was not in the copy"
        baseline = Baseline(None, frozenset(), None)
    else:
        baseline = run_baseline(runner, conventions, targets, rules, cache)
    if declared is not None or (baseline.result is not None and baseline.result.collect_errors):
        baseline, rebuilt, copied = rebuild_baseline(
            workspace,
            head,
            runner,
            conventions=conventions,
            targets=targets,
            rules=rules,
            reason=reason,
            build=plan.build,
        )
        plan.build = None
        notes += rebuilt
        made = _texts(runner.root, copied)
        trusted = baseline.result is not None and baseline.distrust is None
        if cache is not None and baseline.result is not None and made and trusted:
            cache.store(baseline.result, made)
    if baseline.reused:
        notes.append(
            "coverage today came from the cache of an earlier run on the same tree and settings: "
            "the suite did not run again"
        )
    return baseline, [*notes, *([baseline.note] if baseline.note else [])]


def rebuild_baseline(
    workspace: Workspace,
    head: str,
    runner: TestRunner,
    *,
    conventions: Conventions,
    targets: Sequence[Target],
    rules: TestsConfig,
    reason: str = "test modules did not import from a copy of the commit",
    build: PendingBuild | Built | None = None,
) -> tuple[Baseline, list[str], tuple[str, ...]]:
    """The suite's baseline after building the copy the way the project installs itself.

    Test modules that cannot import from a copy of the commit often miss a file the project's
    build makes (setuptools-scm's `_version.py`); the build runs in the sandbox, and the suite
    runs again with what it made. Where the build fails or makes none of them, the configured
    interpreter's installed distribution of the project stands in, if its version is the one
    of the commit's latest tag. `reason` says why it builds; `build`, one started earlier (see
    `baseline_plan`), is awaited instead of starting one. Also returns the paths of the files
    added to the copy.
    """
    tag = tag_version(workspace, head)
    if build is None:
        build = start_build(runner, conventions.import_root, tag or "0.0.0", rules.suite_timeout)
    built = build.finish() if isinstance(build, PendingBuild) else build
    if built.problem is None and built.copied:
        shown = ", ".join(f"`{path}`" for path in built.copied[:5])
        more = f" and {len(built.copied) - 5} more" if len(built.copied) > 5 else ""
        note = (
            f"{reason}: {shown}{more} made by the project's own build (pip install of the copy, "
            "in the sandbox) were added to it"
        )
        return run_baseline(runner, conventions, targets, rules), [note], built.copied
    why = built.problem or "the project's own build made no file they lack"
    # The interpreter's installed copy of the project, if it is the commit's version.
    installed = copy_installed_files(runner, conventions.import_root, tag, rules.suite_timeout)
    if installed.problem is not None or not installed.copied:
        last = installed.problem or "the installed distribution has no file they lack"
        note = f"{reason}, and {why}; {last}"
        return run_baseline(runner, conventions, targets, rules), [note], ()
    shown = ", ".join(f"`{path}`" for path in installed.copied[:5])
    more = f" and {len(installed.copied) - 5} more" if len(installed.copied) > 5 else ""
    note = (
        f"{reason}, and {why}: {shown}{more} "
        f"came from the interpreter's installed {', '.join(installed.sources)} (the commit's "
        "version) and were added to it"
    )
    return run_baseline(runner, conventions, targets, rules), [note], installed.copied


def _texts(root: Path, paths: Sequence[str]) -> dict[str, str] | None:
    """The texts of files of the copy, None if one is not text (a compiled part: not kept)."""
    texts = {}
    for path in paths:
        try:
            texts[path] = (root / path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
    return texts or None
