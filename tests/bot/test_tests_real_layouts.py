"""The tests task on layouts real projects use: a `testpaths` setting beside a decoy folder of
test files, the rootdir and configuration pytest finds, doctests run by the project's pytest,
and one session per candidate (baselines: test_tests_baselines.py).

Real git repositories, real pytest and coverage in the sandbox, the heuristic engine.
"""

from __future__ import annotations

import os
import subprocess
import sys

from codegen_bot.bot.report import Report
from codegen_bot.bot.tasks.pipeline import ReviewRequest, review
from tests.bot.tests_task_repo import BASE, CLAMP, by_symbol, heuristic, make_tests_repo

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
    report = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), heuristic)
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
    report = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), heuristic)
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
    report = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), heuristic)
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
