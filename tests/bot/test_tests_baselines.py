"""The tests task's baseline on real projects: a version file made at install time, a failed
build and the installed project, a suite that cannot import or stops at start-up, and the
baseline reused on the same tree.

Real git repositories, real pip, pytest and coverage in the sandbox, the heuristic engine.
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

from codegen_bot.bot.markdown import code, render
from codegen_bot.bot.tasks.pipeline import ReviewRequest, review
from tests.bot.tests_task_repo import BASE, CLAMP, by_symbol, heuristic, make_tests_repo

SETUP_PY = """\
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class WriteVersion(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib) / "verpkg" / "_version.py"
        target.write_text('version = "1.2.3"\\n')


setup(name="verpkg", version="1.2.3", packages=["verpkg"], cmdclass={"build_py": WriteVersion})
"""
VERSIONED = {
    "setup.py": SETUP_PY,
    ".gitignore": "verpkg/_version.py\n",
    "pyproject.toml": '[tool.codegen.tests]\nruns = 3\ntimeout = 5\n\n[tool.ruff.lint]\nselect = ["E", "F"]\n',
    "verpkg/__init__.py": "from verpkg._version import version as __version__\n",
    "verpkg/core.py": "def double(x: int) -> int:\n    return 2 * x\n",
    **{
        f"tests/test_{n}.py": f"from verpkg.core import double\n\n\ndef test_{n}():\n"
        f"    assert double({i}) == {2 * i}\n"
        for i, n in enumerate(("one", "two", "three"), 1)
    },
}


def _versioned_repo(make_repo, setup_py: str = SETUP_PY):
    repo = make_repo()
    base = repo.commit({**VERSIONED, "setup.py": setup_py}, "base")
    repo.commit({"verpkg/core.py": VERSIONED["verpkg/core.py"] + CLAMP}, "head")
    return repo, base


def test_a_version_file_made_at_install_time_is_built_the_way_the_project_builds(
    make_repo, monkeypatch, tmp_path
) -> None:
    monkeypatch.setenv("CODEGEN_CACHE_DIR", str(tmp_path / "cache"))
    repo, base = _versioned_repo(make_repo)
    report = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), heuristic)
    notes = " ".join(report.notes)
    assert "verpkg/_version.py" in notes and "made by the project's own build" in notes, notes
    assert "red at head" not in notes, notes
    clamp = by_symbol(report)["clamp"]
    assert clamp.status == "accepted", clamp.reason
    # A real baseline: the suite ran, and only clamp's `def` line (run at import) was covered.
    assert clamp.metrics["before"]["lines_covered"] == 1, clamp.metrics
    # Again on the same tree: the kept version file goes into the copy first, and neither the
    # build nor the suite runs again.
    again = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), heuristic)
    notes = " ".join(again.notes)
    assert "in an earlier run on the same tree" in notes and "from the cache" in notes, notes
    assert "pip install of the copy" not in notes and "did not import" not in notes, notes
    assert by_symbol(again)["clamp"].status == "accepted"
    assert by_symbol(again)["clamp"].metrics["before"] == clamp.metrics["before"]


def test_a_version_file_the_configuration_declares_is_built_before_the_suite_runs(
    make_repo,
) -> None:
    declared = (
        VERSIONED["pyproject.toml"] + '\n[tool.setuptools_scm]\nwrite_to = "verpkg/_version.py"\n'
    )
    repo = make_repo()
    base = repo.commit({**VERSIONED, "pyproject.toml": declared}, "base")
    repo.commit({"verpkg/core.py": VERSIONED["verpkg/core.py"] + CLAMP}, "head")
    report = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), heuristic)
    notes = " ".join(report.notes)
    # Built first: the suite never ran without the file, so no module failed to import.
    assert "`verpkg/_version.py`, which pyproject.toml says the build writes" in notes, notes
    assert "made by the project's own build" in notes and "did not import" not in notes, notes
    clamp = by_symbol(report)["clamp"]
    assert clamp.status == "accepted", clamp.reason
    assert clamp.metrics["before"]["lines_covered"] == 1, clamp.metrics


def test_a_suite_that_cannot_import_accepts_no_test_and_says_why(make_repo) -> None:
    broken_build = SETUP_PY.replace("super().run()", "raise SystemExit('no build here')")
    repo, base = _versioned_repo(make_repo, broken_build)
    report = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), heuristic)
    notes = "\n".join(report.notes)
    # Every module that failed to import is named, with the error's own text.
    for name in ("one", "two", "three"):
        assert f"tests/test_{name}.py" in notes, notes
    assert "No module named 'verpkg._version'" in notes, notes
    assert "cannot be trusted" in notes, notes
    assert not [p for p in report.proposals if p.task == "tests" and p.status == "accepted"]
    skipped = {s.symbol: s.reason for s in report.skipped if s.task == "tests"}
    assert "cannot be trusted" in skipped["clamp"], skipped


def _interpreter_with_verpkg(tmp_path) -> Path:
    """A real venv (on this interpreter's packages) with verpkg 1.2.3 installed by pip."""
    source = tmp_path / "verpkg-1.2.3"
    for name, text in VERSIONED.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text(text)
    folder = tmp_path / "venv"
    venv.create(folder, with_pip=False)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site = folder / "lib" / version / "site-packages"
    # pytest and coverage come from this interpreter's site-packages, after the venv's own.
    shared = [p for p in sys.path if p.endswith("site-packages")]
    (site / "shared.pth").write_text("\n".join(shared) + "\n")
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation"),
            *("--no-index", "--target", str(site), str(source)),
        ],
        check=True,
    )
    assert (site / "verpkg" / "_version.py").is_file()
    return folder / "bin" / "python"


def test_a_failed_build_falls_back_on_the_installed_project_of_the_commits_version(
    make_repo, tmp_path
) -> None:
    python = _interpreter_with_verpkg(tmp_path)
    broken_build = SETUP_PY.replace("super().run()", "raise SystemExit('no build here')")
    config = VERSIONED["pyproject.toml"].replace(
        "[tool.codegen.tests]\n", f'[tool.codegen.tests]\npython = "{python}"\n'
    )
    outcomes = {}
    for tag in ("v1.2.3", "v1.2.4"):
        repo = make_repo()
        base = repo.commit({**VERSIONED, "setup.py": broken_build, "pyproject.toml": config})
        repo.git("tag", tag)
        repo.commit({"verpkg/core.py": VERSIONED["verpkg/core.py"] + CLAMP}, "head")
        report = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), heuristic)
        outcomes[tag] = ("\n".join(report.notes), by_symbol(report).get("clamp"))
    notes, clamp = outcomes["v1.2.3"]
    assert "came from the interpreter's installed verpkg 1.2.3" in notes, notes
    assert "`verpkg/_version.py`" in notes, notes
    assert "building it the way it installs itself failed" in notes, notes
    assert clamp is not None and clamp.status == "accepted", (clamp and clamp.reason, notes)
    # Another version installed than the commit's: nothing is copied, nothing accepted.
    notes, clamp = outcomes["v1.2.4"]
    assert "the installed verpkg 1.2.3 is not the commit's version (1.2.4)" in notes, notes
    assert "cannot be trusted" in notes and (clamp is None or clamp.status != "accepted")


# A project whose pytest collects only `tests/` (testpaths) and `check_*.py` files, beside a
# decoy `bench/` folder with more `test_*.py` files than `tests/` has.
def test_the_baseline_is_reused_on_the_same_tree(make_repo, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CODEGEN_CACHE_DIR", str(tmp_path / "cache"))
    repo, base = make_tests_repo(make_repo, BASE + CLAMP)
    first = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), heuristic)
    second = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), heuristic)
    assert not any("from the cache" in note for note in first.notes), first.notes
    assert any("from the cache" in note for note in second.notes), second.notes
    figures = [{k: p.metrics.get(k) for k in ("before", "after")} for p in first.proposals]
    assert figures == [{k: p.metrics.get(k) for k in ("before", "after")} for p in second.proposals]
    assert by_symbol(second)["clamp"].status == "accepted"


# boltons 24.1.0's conftest.py: a hook with the `path` argument pytest 9 no longer accepts
# (pytest crashes); a conftest.py that cannot import (pytest ends with a usage error, exit 4).
CRASHING_CONFTESTS = {
    "def pytest_ignore_collect(path, config):\n    return None\n": (
        "did not finish (a crash: PluginValidationError: Plugin 'conftest.py'",
        "pytest_ignore_collect(path, config)",
    ),
    "import not_installed_anywhere\n": (
        "did not finish (pytest stopped with exit code 4: ModuleNotFoundError",
        "No module named 'not_installed_anywhere'",
    ),
}


@pytest.mark.parametrize("conftest", list(CRASHING_CONFTESTS), ids=["old-hook", "import"])
def test_a_suite_that_stops_at_startup_says_with_which_error(make_repo, conftest: str) -> None:
    repo, base = make_tests_repo(make_repo, BASE + CLAMP, {"conftest.py": conftest})
    report = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), heuristic)
    notes = [n for n in report.notes if n.startswith("no test was accepted")]
    assert len(notes) == 1, report.notes
    (note,) = notes
    # The error pytest stopped with, its message's lines, the worktree's path cut from it.
    for expected in CRASHING_CONFTESTS[conftest]:
        assert expected in note, note
    assert "CoverageWarning" not in " ".join(report.notes), report.notes
    assert not [p for p in report.proposals if p.task == "tests" and p.status == "accepted"]
    # Like all of the pull request's text, it is rendered inert: one code span per note.
    assert f"> {code(note)}" in render(report)
