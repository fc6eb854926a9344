"""The refactor task's copy of the commit and its test runner, made before anything is proposed.

The warm sandbox parent that runs the suite needs the copy to exist; it then warms up (imports
pytest and the interpreter's plugins) while the engine proposes and the edit gates lint, instead
of after them. The build of a version file the copy lacks (`baseline_plan`) starts then too, in
the sandbox. Nothing of the repository runs before the baseline asks for its suite.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from codegen_bot.bot.config import Config
from codegen_bot.bot.tasks.baseline_plan import BaselinePlan, planned_baseline
from codegen_bot.bot.tasks.tests.task import make_sandbox
from codegen_bot.bot.workspace.repository import Workspace
from codegen_bot.bot.workspace.scratch_copy import export_tree, left_out_note, read_copied
from codegen_bot.refactor.sandbox.runner import TestRunner
from codegen_bot.refactor.sandbox.warm import warm_sessions
from codegen_bot.refactor.testing.conventions import Conventions, detect


@dataclass
class Suite:
    """The commit's scratch copy, how its tests run, and what to say about both."""

    runner: TestRunner
    conventions: Conventions
    config: Config
    #: What the baseline starts from: the cache, and the build the copy needs, started early.
    plan: BaselinePlan
    notes: list[str] = field(default_factory=list)


@contextlib.contextmanager
def prepared_suite(workspace: Workspace, rev: str, config: Config) -> Iterator[Suite | str]:
    """A copy of `rev` and its runner, its warm parent already warming up; else why none runs.

    The copy and the parent are gone when the block ends.
    """
    python = config.tests.python or sys.executable
    made = make_sandbox(workspace.path, config.tests, python)
    if isinstance(made, str):
        yield made
        return
    sandbox, secrets = made
    notes = [sandbox.isolation.describe()]
    scratch = Path(tempfile.mkdtemp(prefix="codegen-refactor-"))
    try:
        tree = scratch / "tree"
        tree.mkdir()
        notes += left_out_note(export_tree(workspace, rev, tree))
        paths = [str(p.relative_to(tree)) for p in tree.rglob("*") if p.is_file()]
        conventions = detect(
            paths, lambda p: read_copied(tree / p, config.max_file_bytes), config.test_command
        )
        root = conventions.import_root
        imports = (str(tree / root), str(tree)) if root else (str(tree),)
        runner = TestRunner(
            tree, scratch / "work", sandbox, python, imports, secrets, conventions.rootdir
        )
        # The build of a version file the copy lacks, then one warm parent that forks every
        # run of the suite (the baseline, then the proofs): both start now, and run while the
        # host selects, proposes and lints.
        with (
            planned_baseline(
                workspace, rev, runner, conventions=conventions, rules=config.tests, cached=True
            ) as plan,
            warm_sessions(runner, early=True),
        ):
            yield Suite(runner, conventions, config, plan, notes)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
