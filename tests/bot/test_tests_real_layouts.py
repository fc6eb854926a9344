"""The tests task on layouts real projects use: a version file made at install time, a
`testpaths` setting beside a decoy folder of test files, doctests run by the project's pytest.

Real git repositories, real pip, pytest and coverage in the sandbox, the heuristic engine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from codegen_bot.adapters.engines.registry import RunOptions
from codegen_bot.bot.markdown import code, render
from codegen_bot.bot.report import Report
from codegen_bot.bot.tasks.pipeline import ReviewRequest, review
from tests.bot.tests_task_repo import BASE, by_symbol, make_tests_repo

# A setuptools-scm-like project: `_version.py` is written by the build, never committed.
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
CLAMP = """

def clamp(x: int, lo: int = 0, hi: int = 10) -> int:
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x
"""


def _heuristic(options: RunOptions):
    from codegen_bot.adapters.engines.heuristic import HeuristicEngine

    return HeuristicEngine(style=options.style)


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
    report = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), _heuristic)
    notes = " ".join(report.notes)
    assert "verpkg/_version.py" in notes and "made by the project's own build" in notes, notes
    assert "red at head" not in notes, notes
    clamp = by_symbol(report)["clamp"]
    assert clamp.status == "accepted", clamp.reason
    # A real baseline: the suite ran, and only clamp's `def` line (run at import) was covered.
    assert clamp.metrics["before"]["lines_covered"] == 1, clamp.metrics
    # Again on the same tree: the kept version file goes into the copy first, and neither the
    # build nor the suite runs again.
    again = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), _heuristic)
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
    report = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), _heuristic)
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
    report = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), _heuristic)
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
        report = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), _heuristic)
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
LAYOUT_PYPROJECT = """\
[tool.pytest.ini_options]
testpaths = ["tests"]
python_files = ["check_*.py"]

[tool.codegen.tests]
runs = 3
timeout = 5

[tool.ruff.lint]
select = ["E", "F"]
"""


def test_new_tests_go_where_the_projects_own_pytest_collects_them(make_repo, tmp_path) -> None:
    files = {
        "pyproject.toml": LAYOUT_PYPROJECT,
        "shop/__init__.py": "",
        "shop/money.py": "def double(x: int) -> int:\n    return 2 * x\n",
        "tests/conftest.py": "",
        "tests/check_money.py": (
            "from shop.money import double\n\n\ndef test_double():\n    assert double(2) == 4\n"
        ),
    }
    for n in range(4):
        files[f"bench/test_speed{n}.py"] = f"def test_speed{n}():\n    assert True\n"
    repo = make_repo()
    base = repo.commit(files, "base")
    repo.commit({"shop/money.py": files["shop/money.py"] + CLAMP}, "head")
    report = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), _heuristic)
    clamp = by_symbol(report)["clamp"]
    assert clamp.status == "accepted", clamp.reason
    assert clamp.path == "tests/check_money_clamp.py", clamp.path
    assert "collected" in [g.gate for g in clamp.gates]
    # After the patch, the project's own `pytest` collects and passes the new test.
    patch = tmp_path / "clamp.patch"
    patch.write_text(clamp.patch)
    subprocess.run(["git", "apply", str(patch)], cwd=repo.path, check=True)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=repo.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert (
        "check_money_clamp.py"
        in subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
            cwd=repo.path,
            capture_output=True,
            text=True,
            check=False,
        ).stdout
    )


def test_the_rootdir_and_configuration_pytest_finds_for_the_command_decide(
    make_repo, tmp_path
) -> None:
    # The command names `qa/tests`: pytest finds `qa/pytest.ini` from there, so its rootdir is
    # `qa` (node ids relative to it) and its `python_files` name the tests, not the top's.
    files = {
        "pyproject.toml": (
            '[tool.codegen]\ntest_command = "pytest qa/tests"\n\n'
            "[tool.codegen.tests]\nruns = 3\ntimeout = 5\n"
        ),
        "qa/pytest.ini": "[pytest]\npython_files = check_*.py\n",
        "qa/conftest.py": "",
        "qa/tests/check_money.py": (
            "from shop.money import double\n\n\ndef test_double():\n    assert double(2) == 4\n"
        ),
        "shop/__init__.py": "",
        "shop/money.py": "def double(x: int) -> int:\n    return 2 * x\n",
    }
    repo = make_repo()
    base = repo.commit(files, "base")
    repo.commit({"shop/money.py": files["shop/money.py"] + CLAMP}, "head")
    report = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), _heuristic)
    clamp = by_symbol(report)["clamp"]
    assert clamp.status == "accepted", clamp.reason
    assert clamp.path == "qa/tests/check_money_clamp.py", clamp.path
    assert clamp.metrics["lines_gained"] > 0
    patch = tmp_path / "clamp.patch"
    patch.write_text(clamp.patch)
    subprocess.run(["git", "apply", str(patch)], cwd=repo.path, check=True)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "qa/tests"],
        cwd=repo.path,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(repo.path)},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "rootdir: " + str(repo.path / "qa") in run.stdout
    assert "tests/check_money_clamp.py::" in run.stdout


# A project that runs its doctests: the examples already prove the ordinary path.
DOCTESTED = '''\
def clamp(x: int, lo: int = 0, hi: int = 10) -> int:
    """Clamp `x` into `lo..hi`.

    >>> clamp(5)
    5
    >>> clamp(-3)
    0
    """
    if lo > hi:
        raise ValueError("lo must not exceed hi")
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x
'''
DOCTEST_PYPROJECT = """\
[tool.pytest.ini_options]
addopts = "--doctest-modules"
testpaths = ["shop", "tests"]

[tool.codegen.tests]
runs = 3
timeout = 5

[tool.ruff.lint]
select = ["E", "F"]
"""


def test_doctests_count_and_new_tests_aim_at_what_they_miss(make_repo) -> None:
    repo = make_repo()
    base = repo.commit(
        {
            "pyproject.toml": DOCTEST_PYPROJECT,
            "shop/__init__.py": "",
            "shop/money.py": "def double(x: int) -> int:\n    return 2 * x\n",
            "tests/test_money.py": (
                "from shop.money import double\n\n\ndef test_double():\n    assert double(2) == 4\n"
            ),
        },
        "base",
    )
    repo.commit({"shop/money.py": "def double(x: int) -> int:\n    return 2 * x\n\n\n"
                 + DOCTESTED}, "head")  # fmt: skip
    report = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), _heuristic)
    clamp = by_symbol(report)["clamp"]
    assert clamp.status == "accepted", clamp.reason
    before = clamp.metrics["before"]
    # The doctests run `clamp(5)` and `clamp(-3)`: the baseline counts them.
    assert before["lines_covered"] >= 4, before
    # The new test copies no doctest example; it proves the error path and the upper bound.
    assert "clamp(5)" not in clamp.text and "clamp(-3)" not in clamp.text, clamp.text
    assert "ValueError" in clamp.text, clamp.text
    newly = clamp.metrics["newly_covers"]
    assert newly["lines"] and newly["branches"], newly
    data = Report.from_dict(report.to_dict())
    assert by_symbol(data)["clamp"].metrics["newly_covers"] == newly


# A module whose first import in a process fails: the second candidate of a shared session
# would pass on the module the first one half-imported.
ONCE = """\
import sys

if not hasattr(sys, "_codegen_imported_once"):
    sys._codegen_imported_once = True
    raise ImportError("the first import in a process fails")


def alpha(x: int) -> int:
    return x + 1


def beta(x: int) -> int:
    return x + 2
"""


def test_each_candidate_is_proven_in_its_own_session(make_repo) -> None:
    from tests.bot.test_tests_rejections import StubEngine

    repo, base = make_tests_repo(make_repo, BASE, {"shop/once.py": ONCE})
    stub = {
        name: f"from shop.once import {name}\n\n\ndef test_{name}():\n    assert {name}(1) > 1\n"
        for name in ("alpha", "beta")
    }
    report = review(
        ReviewRequest(str(repo.path), base, tasks=("tests",)), lambda options: StubEngine(stub)
    )
    proposals = by_symbol(report)
    for name in ("alpha", "beta"):
        assert proposals[name].status == "rejected", (name, proposals[name].reason)
        assert "the first import in a process fails" in (proposals[name].reason or "")


def test_the_baseline_is_reused_on_the_same_tree(make_repo, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CODEGEN_CACHE_DIR", str(tmp_path / "cache"))
    repo, base = make_tests_repo(make_repo, BASE + CLAMP)
    first = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), _heuristic)
    second = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), _heuristic)
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
    report = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), _heuristic)
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
