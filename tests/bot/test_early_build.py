"""The build of a version file the copy lacks starts with the copy, and the baseline uses it.

Real git repositories, real pip building a real setuptools project in the sandbox (both
isolation modes), a real pytest baseline; the build is started by `prepared_suite` (what
nightly and the refactor task use) and awaited by `measure_baseline`.
"""

from __future__ import annotations

import dataclasses

import pytest

from codegen_bot.bot.config import Config
from codegen_bot.bot.tasks.refactor.suite import Suite, prepared_suite
from codegen_bot.bot.tasks.suite_baseline import measure_baseline
from codegen_bot.bot.workspace.repository import Workspace
from codegen_bot.refactor.sandbox.generated_files import PendingBuild
from codegen_bot.refactor.sandbox.process import detect_isolation
from tests.bot.test_interrupts import alive, wait_for
from tests.bot.test_tests_baselines import VERSIONED

BWRAP = detect_isolation()
MODES = [
    pytest.param(
        "auto", id="bubblewrap", marks=pytest.mark.skipif(not BWRAP.isolated, reason=BWRAP.detail)
    ),
    pytest.param("none", id="fallback"),
]
DECLARED = {
    **VERSIONED,
    "pyproject.toml": VERSIONED["pyproject.toml"]
    + '\n[tool.setuptools_scm]\nwrite_to = "verpkg/_version.py"\n',
}


def _config(isolation: str) -> Config:
    config = Config()
    return dataclasses.replace(config, tests=dataclasses.replace(config.tests, isolation=isolation))


def _baseline(workspace: Workspace, head: str, suite: Suite):
    return measure_baseline(
        workspace,
        head,
        suite.runner,
        conventions=suite.conventions,
        targets=[],
        rules=suite.config.tests,
        plan=suite.plan,
    )


@pytest.mark.parametrize("isolation", MODES)
def test_the_declared_version_file_is_built_from_the_start_and_the_baseline_uses_it(
    make_repo, tmp_path, monkeypatch, isolation: str
) -> None:
    monkeypatch.setenv("CODEGEN_CACHE_DIR", str(tmp_path / "cache"))
    repo = make_repo()
    head = repo.commit(DECLARED, "a project whose build writes verpkg/_version.py")
    workspace = Workspace(repo.path)
    with prepared_suite(workspace, head, _config(isolation)) as suite:
        assert isinstance(suite, Suite), suite
        build = suite.plan.build
        # Started with the copy, before anything asked for the suite: its own copy is taken,
        # and nothing reaches the worktree until the baseline awaits it.
        assert isinstance(build, PendingBuild)
        assert (build.folder / "source" / "verpkg" / "core.py").is_file()
        version_file = suite.runner.root / "verpkg" / "_version.py"
        assert not version_file.exists()
        baseline, notes = _baseline(workspace, head, suite)
        assert version_file.read_text() == 'version = "1.2.3"\n'
        assert not build.folder.exists()  # the build's folder went with it
    joined = " ".join(notes)
    assert "`verpkg/_version.py` made by the project's own build" in joined, joined
    assert baseline.result is not None and baseline.distrust is None, notes
    assert baseline.result.collect_errors == {}
    assert sorted(baseline.result.outcomes) == [
        f"tests/test_{name}.py::test_{name}" for name in ("one", "three", "two")
    ]

    # The same tree again: the kept file comes from the cache, and no build starts at all.
    with prepared_suite(workspace, head, _config(isolation)) as suite:
        assert isinstance(suite, Suite), suite
        assert suite.plan.build is None and suite.plan.declared is None
        assert (suite.runner.root / "verpkg" / "_version.py").is_file()
        again, notes = _baseline(workspace, head, suite)
    assert again.reused and again.distrust is None, notes
    assert any("in an earlier run on the same tree" in note for note in notes), notes


def test_a_build_nobody_awaited_is_killed_when_the_block_ends(make_repo, tmp_path) -> None:
    started = tmp_path / "build-started"
    hanging = (
        f"import os, time\nopen({str(started)!r}, 'w').write(str(os.getpid()))\n"
        "while True:\n    time.sleep(0.2)\n"
    )
    repo = make_repo()
    head = repo.commit({**DECLARED, "setup.py": hanging}, "a build that never ends")
    with prepared_suite(Workspace(repo.path), head, _config("none")) as suite:
        assert isinstance(suite, Suite), suite
        build = suite.plan.build
        assert isinstance(build, PendingBuild)
        # The build's setup.py runs (it says so with its pid); the block ends without the
        # baseline (here by its last line; Ctrl-C or SIGTERM alike).
        wait_for(lambda: started.exists() and started.read_text().isdigit(), "the build started")
        assert alive(int(started.read_text()))
    assert not alive(int(started.read_text())), "the build outlived its block"
    assert not build.folder.exists()
