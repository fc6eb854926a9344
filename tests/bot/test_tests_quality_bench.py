"""The tests-quality benchmark's pure parts: scores per function, doctest-pinned functions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.mutation_scores import docstrings_with_examples, doctest_module, score
from bench.tests_quality import Outcome, pinned, table

MODULE = '''\
def twice(x):
    """Twice x.

    >>> twice(2)
    4
    """
    return 2 * x


def half(x):
    """Half of x."""
    return x / 2
'''


def _outcome() -> Outcome:
    statuses = {
        "generated": {"x_twice__mutmut_1": "killed", "x_half__mutmut_1": "survived"},
        "real": {"x_twice__mutmut_1": "killed", "x_half__mutmut_1": "killed"},
        "rest+generated": {"x_twice__mutmut_1": "killed", "x_half__mutmut_1": "killed"},
        "rest+real": {"x_twice__mutmut_1": "killed", "x_half__mutmut_1": "killed"},
        "doctests": {"x_twice__mutmut_1": "killed", "x_half__mutmut_1": "no tests"},
    }
    return Outcome("demo==1", ["twice", "half"], ["twice"], 1, 0, statuses, 1.0)


def test_functions_whose_doctests_kill_what_the_real_tests_kill_are_left_out_of_the_scores():
    outcome = _outcome()
    assert pinned(outcome) == {"twice"}
    assert score(outcome.statuses["generated"], {"half"}) == (0, 1)
    [_, _, row] = table([outcome])
    # only `half` counts: generated 0/1 against real 1/1; beside the rest both kill it
    assert (
        "| twice |" in row
        and "| 0/1 (0%) | 1/1 (100%) | 0% | 1/1 (100%) | 1/1 (100%) | 100% |" in row
    )


def test_the_doctest_module_runs_each_functions_examples(tmp_path: Path):
    (tmp_path / "demo.py").write_text(MODULE)
    docstrings = docstrings_with_examples(MODULE, ["twice", "half"])
    assert list(docstrings) == ["twice"]
    (tmp_path / "test_doctests.py").write_text(doctest_module("demo.py", docstrings))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_doctests.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0 and "1 passed" in run.stdout, run.stdout
    (tmp_path / "demo.py").write_text(MODULE.replace("return 2 * x", "return 3 * x"))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_doctests.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1, run.stdout
