"""Pure parts of the tests task: conventions, example calls, coverage sums, test modules, patches."""

from __future__ import annotations

import ast
import subprocess
from dataclasses import fields
from pathlib import Path

from codegen_bot.adapters.engines.heuristic.testgen import build_test_modules
from codegen_bot.refactor.patches import new_file_patch
from codegen_bot.refactor.targets import Target, find_definitions
from codegen_bot.refactor.testing.conventions import Conventions, detect
from codegen_bot.refactor.testing.coverage_data import (
    FileCoverage,
    covering_tests,
    gain,
    span_coverage,
)
from codegen_bot.refactor.testing.example_calls import (
    annotation_examples,
    call_site_examples,
    doctest_examples,
)
from codegen_bot.refactor.testing.target_facts import ObservedExample, TestTarget
from tests.conftest import ruff_check


def test_conventions_of_a_src_layout_with_unittest_and_hypothesis() -> None:
    files = {
        "pyproject.toml": '[project]\ndependencies = ["hypothesis>=6"]\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
        "src/pkg/__init__.py": "",
        "src/pkg/core.py": "",
        "tests/unit/test_core.py": "import unittest\n\nclass TestCore(unittest.TestCase):\n    pass\n",
        "tests/unit/test_more.py": "import unittest\n\nclass TestMore(unittest.TestCase):\n    pass\n",
        "tests/conftest.py": "import pytest\n\n@pytest.fixture\ndef db():\n    return 1\n",
    }
    found = detect(list(files), files.get)
    assert found.test_dir == "tests" and found.pattern == "test_*.py" and found.style == "unittest"
    assert found.import_root == "src" and found.uses_hypothesis and found.fixtures == ("db",)
    assert found.pytest_args == ("tests",) and found.command_source == "detected"
    assert found.module_name("src/pkg/core.py") == "pkg.core"
    assert found.module_name("src/pkg/__init__.py") == "pkg"
    assert found.module_name("scripts/run.py") is None


def test_conventions_of_a_flat_layout_with_a_configured_command() -> None:
    files = {
        "lib/a.py": "",
        "lib/a_test.py": "def test_a():\n    pass\n",
        "lib/b_test.py": "def test_b():\n    pass\n",
    }
    found = detect(list(files), files.get, test_command="python -m pytest -x lib")
    assert found.pattern == "*_test.py" and found.style == "pytest" and found.test_dir == "lib"
    assert found.pytest_args == ("-x", "lib") and found.command_source == "config"
    assert not found.uses_hypothesis and found.import_root == ""
    assert found.test_file_name("a_f") == "a_f_test.py"


def test_conventions_take_pytests_rootdir_and_configuration_for_the_command() -> None:
    files = {
        "pyproject.toml": '[tool.pytest.ini_options]\npython_files = ["test_*.py"]\n',
        "qa/setup.cfg": "[tool:pytest]\npython_files = check_*.py\ntestpaths = tests\n",
        "qa/tests/check_a.py": "def test_a():\n    pass\n",
        "qa/ci.ini": "[pytest]\npython_files = spec_*.py\n",
        "qa/tests/spec_b.py": "def test_b():\n    pass\n",
    }
    found = detect(list(files), files.get, test_command="pytest -k fast qa/tests")
    assert (found.rootdir, found.pattern, found.test_dir) == ("qa", "check_*.py", "qa/tests")
    found = detect(list(files), files.get, test_command="pytest -c qa/ci.ini --rootdir=. qa")
    assert (found.rootdir, found.pattern) == ("", "spec_*.py")
    assert found.pytest_args == ("-c", "qa/ci.ini", "qa")  # the runner passes its own rootdir
    found = detect(list(files), files.get, test_command="pytest --rootdir ../elsewhere qa/tests")
    assert found.rootdir == "qa"  # a rootdir outside the repository is not followed
    assert detect(list(files), files.get).rootdir == ""


def test_call_sites_with_literal_arguments_only() -> None:
    sources = [
        (
            "app.py",
            "from m import f\nf(1, 'a')\nf(x)\nm.f(2, b=[1, 2])\nC(3).total(1)\nC.price(4)\nC(y).total(2)\n",
        ),
        ("broken.py", "def (:\n"),
    ]
    calls = [c.call for c in call_site_examples("f", "function", sources)]
    assert calls == ["f(1, 'a')", "f(2, b=[1, 2])"]
    assert [c.call for c in call_site_examples("C.total", "method", sources)] == ["C(3).total(1)"]
    assert [c.call for c in call_site_examples("C.price", "method", sources)] == ["C.price(4)"]


def test_doctest_examples_keep_expressions_of_the_definition_only() -> None:
    doc = ">>> f(2)\n4\n>>> import os\n>>> g(1)\n1\n>>> f(len('ab')) == 4\nTrue\n"
    assert [c.call for c in doctest_examples("f", doc)] == ["f(2)", "f(len('ab')) == 4"]


def test_doctest_examples_escape_the_control_characters_of_a_docstring_that_is_not_raw() -> None:
    # boltons' strip_ansi: `'\x1b[0m'` in a plain docstring is the ESC character itself.
    doc = ">>> strip_ansi('\x1b[0mart')\n'art'\n"
    [example] = doctest_examples("strip_ansi", doc)
    assert example.call == "strip_ansi('\\x1b[0mart')" and example.call.isprintable()
    assert eval(compile(example.call.replace("strip_ansi", "str"), "<t>", "eval")) == "\x1b[0mart"


def test_annotation_examples_vary_every_parameter() -> None:
    tree = ast.parse(
        "def f(a: int, b: str = 'x', c=None) -> str: ...\ndef g(x): ...\ndef h() -> int: ...\n"
    )
    f, g, h = tree.body
    calls = [c.call for c in annotation_examples(f, "f", "function")]
    assert "f(a=0, b='')" in calls and "f(a=42, b='abc')" in calls
    assert len(calls) == len(set(calls)) <= 24
    assert annotation_examples(g, "g", "function") == []
    assert [c.call for c in annotation_examples(h, "h", "function")] == ["h()"]


def test_span_coverage_and_gain() -> None:
    file = FileCoverage(
        statements=frozenset({1, 2, 3, 4, 9}),
        branches=frozenset({(2, 3), (2, 4)}),
        contexts={
            "": (frozenset({1}), frozenset()),
            "tests/test_a.py::test_one": (frozenset({2, 3}), frozenset({(2, 3)})),
            "tests/test_b.py::test_two": (frozenset({2, 4}), frozenset({(2, 4)})),
        },
    )
    before = span_coverage(file, 1, 4, lambda name: not name.startswith("tests/test_b.py"))
    assert (
        before.lines == {1, 2, 3}
        and before.missed_lines == (4,)
        and before.missed_branches == ((2, 4),)
    )
    new = span_coverage(file, 1, 4, lambda name: name.startswith("tests/test_b.py"))
    result = gain(before, new)
    assert (result.lines, result.branches, result.raises) == (1, 1, True)
    assert result.after.complete
    assert not gain(result.after, new).raises
    assert covering_tests(file, 1, 4) == {"tests/test_a.py::test_one", "tests/test_b.py::test_two"}


SOURCE = """\
def clamp(x: float, lo: float = 0.0, hi: float = 1.0) -> float:
    if lo > hi:
        raise ValueError("bad bounds")
    return max(lo, min(hi, x))
"""


def _target(style: str = "pytest", prop: str | None = None) -> TestTarget:
    target = find_definitions("pkg/num.py", SOURCE)[0]
    values = {f.name: getattr(target, f.name) for f in fields(Target)}
    return TestTarget(
        **values,
        module="pkg.num",
        test_path="tests/test_num_clamp.py",
        conventions=Conventions(style=style),
        examples=(
            ObservedExample("clamp(0.5)", "annotations", returns="0.5"),
            ObservedExample("clamp(2.0, hi=1.25)", "call site", returns="1.25"),
            ObservedExample("clamp(1.0) == 1.0", "doctest", returns="True"),
            ObservedExample("clamp(0.0, 1.0, 0.0)", "doctest", raises="ValueError"),
        ),
        property_test=prop,
    )


GHOST = """\
# This test code was written by the `hypothesis.extra.ghostwriter` module
# and is provided under the Creative Commons Zero public domain dedication.

import pkg.num
from hypothesis import given, strategies as st


@given(x=st.floats(), lo=st.floats(), hi=st.floats())
def test_fuzz_clamp(x: float, lo: float, hi: float) -> None:
    pkg.num.clamp(x=x, lo=lo, hi=hi)
"""

EXPECTED_PYTEST = '''\
"""Tests for `clamp` in `pkg.num`, written by codegen."""

import pytest

from pkg.num import clamp


def test_clamp_returns() -> None:
    """Return values observed when these calls ran."""
    assert clamp(0.5) == pytest.approx(0.5)
    assert clamp(2.0, hi=1.25) == pytest.approx(1.25)
    assert clamp(1.0) == 1.0


def test_clamp_raises() -> None:
    """Exceptions observed when these calls ran."""
    with pytest.raises(ValueError):
        clamp(0.0, 1.0, 0.0)
'''


def test_example_module_in_pytest_style() -> None:
    modules = build_test_modules(_target())
    assert [text for text, _ in modules] == [EXPECTED_PYTEST]


def test_example_and_property_modules_in_unittest_style(tmp_path: Path) -> None:
    modules = dict((what, text) for text, what in build_test_modules(_target("unittest", GHOST)))
    assert list(modules) == ["examples and properties", "examples", "properties"]
    both = modules["examples and properties"]
    assert "class TestClampExamples(unittest.TestCase):" in both
    assert (
        "self.assertAlmostEqual(clamp(0.5), 0.5)" in both
        and "self.assertTrue(clamp(1.0) == 1.0)" in both
    )
    assert "with self.assertRaises(ValueError):" in both and "@given(x=st.floats()" in both
    (tmp_path / "pyproject.toml").write_text(
        '[tool.ruff.lint]\nselect = ["E", "F", "D"]\nignore = ["D203", "D213"]\n'
    )
    for name, text in modules.items():
        (tmp_path / f"test_{name.replace(' ', '_')}.py").write_text(text)
    checked = ruff_check(tmp_path, ".")
    assert checked.returncode == 0, checked.stdout


def test_new_file_patch_applies(make_repo, tmp_path: Path) -> None:
    repo = make_repo()
    repo.commit({"README.md": "hi\n"})
    for name, text in (("tests/test_a.py", "x = 1\n"), ("tests/test_b.py", "y = 2")):
        patch = tmp_path / "p.diff"
        patch.write_text(new_file_patch(name, text))
        subprocess.run(["git", "apply", str(patch)], cwd=repo.path, check=True)
        assert (repo.path / name).read_text() == text
