"""What the suite's baseline starts from, settled as soon as the copy of the commit exists.

The cache of an earlier run on the same tree, the files that run's build made (written into
the copy), and, when the copy still lacks the version file the project's configuration says
its build writes, that build: started in the sandbox at once, so that it runs while the host
selects and proposes, and awaited only by the baseline. A build nobody awaited is killed when
the plan's block ends (also on Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import contextlib
import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from git.exc import GitCommandError

from codegen_bot.bot import __version__
from codegen_bot.bot.config import TestsConfig
from codegen_bot.bot.tasks.suite_baseline_cache import BaselineCache, baseline_cache, run_settings
from codegen_bot.bot.workspace.repository import Workspace
from codegen_bot.refactor.sandbox.generated_files import Built, PendingBuild, start_build
from codegen_bot.refactor.sandbox.runner import TestRunner
from codegen_bot.refactor.testing.conventions import Conventions


@dataclass
class BaselinePlan:
    """The cache the baseline may use, what was said so far, and the build the copy needs."""

    cache: BaselineCache | None
    notes: list[str] = field(default_factory=list)
    #: The version file the configuration says the build writes and the copy lacks.
    declared: str | None = None
    #: That build, started when the plan was made; None when no file is declared missing.
    build: PendingBuild | Built | None = None


@contextlib.contextmanager
def planned_baseline(
    workspace: Workspace,
    head: str,
    runner: TestRunner,
    *,
    conventions: Conventions,
    rules: TestsConfig,
    cached: bool,
) -> Iterator[BaselinePlan]:
    """The plan of the baseline of `head` in `runner`'s copy, the cache used when `cached`.

    Files an earlier run's build made on the same tree and settings are written into the copy
    first; only if a declared version file is still missing does the build start (in the
    sandbox, now). It is killed when the block ends, unless the baseline finished it.
    """
    tag = tag_version(workspace, head)
    cache = None
    notes: list[str] = []
    if cached:
        rootdir = (f"--rootdir={conventions.rootdir}",) if conventions.rootdir else ()
        settings = run_settings(
            (*conventions.pytest_args, *rootdir, f"tag={tag}"),
            runner.python,
            runner.sandbox.isolation.kind,
            rules.suite_timeout,
            __version__,
        )
        cache = baseline_cache(os.environ, workspace.repo.commit(head).tree.hexsha, settings)
        added = (
            add_generated(runner.root, conventions.import_root, cache.generated()) if cache else []
        )
        if added:
            shown = ", ".join(f"`{path}`" for path in added[:5])
            notes.append(
                f"{shown}, made by the project's own build in an earlier run on the same tree "
                "and settings, were added to the copy of the commit"
            )
    declared = declared_version_file(runner.root) if conventions.test_files else None
    plan = BaselinePlan(cache, notes, declared)
    try:
        if declared is not None:
            plan.build = start_build(
                runner, conventions.import_root, tag or "0.0.0", rules.suite_timeout
            )
        yield plan
    finally:
        if isinstance(plan.build, PendingBuild):
            plan.build.stop()


def declared_version_file(root: Path) -> str | None:
    """The version file the build writes (setuptools-scm, hatch-vcs), when the copy lacks it."""
    try:
        with open(root / "pyproject.toml", "rb") as handle:
            data = tomllib.loads(handle.read(1_000_000).decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    tool = data.get("tool")
    if not isinstance(tool, dict):
        return None
    scm = tool.get("setuptools_scm")
    hatch = tool.get("hatch")
    declared = [
        *((scm.get("version_file"), scm.get("write_to")) if isinstance(scm, dict) else ()),
        _dig(hatch, "build", "hooks", "vcs", "version-file"),
    ]
    for path in declared:
        if not isinstance(path, str) or not path or Path(path).is_absolute() or ".." in path:
            continue
        target = root / path
        if not target.exists() and not target.is_symlink():
            return path
    return None


def _dig(table: object, *keys: str) -> object:
    for key in keys:
        if not isinstance(table, dict):
            return None
        table = table.get(key)
    return table


def add_generated(root: Path, import_root: str, files: Mapping[str, str]) -> list[str]:
    """Write kept generated files the copy lacks, inside its packages only; their paths."""
    packages = (root / import_root).resolve() if import_root else root.resolve()
    added = []
    for path, text in sorted(files.items()):
        destination = root / path
        inside = destination.parent.resolve().is_relative_to(packages)
        if ".." in Path(path).parts or Path(path).is_absolute() or not inside:
            continue
        if destination.exists() or destination.is_symlink() or not destination.parent.is_dir():
            continue
        destination.write_text(text, encoding="utf-8")
        added.append(path)
    return added


def tag_version(workspace: Workspace, head: str) -> str | None:
    """The version of the latest tag before `head` (`v1.2.3` → `1.2.3`), None without one."""
    try:
        tag = workspace.repo.git.describe(head, "--tags", "--abbrev=0")
    except GitCommandError:
        return None
    version = tag.strip().removeprefix("v")
    return version if re.fullmatch(r"\d+(\.\d+)*\S*", version) else None
