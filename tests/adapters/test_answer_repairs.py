"""Mechanical repairs of model answers: what a cut-off answer keeps, and the target's import."""

from __future__ import annotations

from codegen_bot.adapters.engines.completion import Completion
from codegen_bot.adapters.prompts.parse import parse_answer, parse_tests
from codegen_bot.refactor.results import Failure, Success
from codegen_bot.refactor.targets import find_definitions

TARGET_FILE = """\
import math

LIMIT = 3


def clamp(value, low, high):
    return max(low, min(value, high))


class Window:
    def __init__(self, size):
        self.size = size
"""


def _done(text: str, reason: str = "stop", tokens: int = 10) -> Completion:
    return Completion(text, reason, tokens)  # type: ignore[arg-type]


CUT_MODULE = """\
import pytest

from pkg import clamp


@pytest.mark.parametrize("value", [1, 2])
def test_clamp_keeps_values_inside(value):
    assert clamp(value, 0, 3) == value


class TestClampEdges:
    def test_low(self):
        assert clamp(-1, 0, 3) == 0


@pytest.mark.parametrize(
    "value",
    [5, 6],
)
def test_clamp_cuts_values_above(value):
    assert clamp(value, 0, 3) == 3
    assert clamp(value, 0, 3) =="""


def test_a_cut_off_test_module_keeps_the_statements_finished_before_the_cut() -> None:
    kept = parse_tests(_done(CUT_MODULE, "length", 120))
    assert isinstance(kept, Success)
    assert kept.value.endswith("assert clamp(-1, 0, 3) == 0\n")
    assert "test_clamp_keeps_values_inside" in kept.value and "@pytest.mark" in kept.value
    # The unfinished test goes with its decorator, even where its body would still parse.
    cut_in_body = CUT_MODULE.rsplit("\n", 1)[0]
    assert parse_tests(_done(cut_in_body, "length", 110)) == kept
    # Cut inside the first test: nothing before it is a test, so nothing is kept.
    inside_first = CUT_MODULE[: CUT_MODULE.index("    assert clamp(value, 0, 3) == value")]
    assert parse_tests(_done(inside_first, "length", 40)) == Failure(
        "the model did not finish the code within 40 tokens, "
        "and no test was complete before the cut"
    )
    # Finished answers and refactorings are not cut: a whole answer or nothing.
    assert parse_tests(_done(CUT_MODULE)).reason.startswith("the code does not parse")  # type: ignore[union-attr]


def test_a_test_module_gets_the_import_of_the_target_file_names_it_uses_unbound() -> None:
    target = next(
        t for t in find_definitions("src/pkg/limits.py", TARGET_FILE) if t.qualname == "clamp"
    )
    module = (
        '"""Tests."""\n\nfrom __future__ import annotations\n\nimport pytest\n\n\n'
        "def test_clamp(window=None):\n"
        "    assert clamp(5, 0, LIMIT) == LIMIT\n"
        "    assert math.floor(1.5) == 1\n"
        "    for Window in [1]:\n"
        "        assert Window == 1\n"
        "    assert undefined_elsewhere(1)\n"
    )
    repaired = parse_answer("tests", _done(module), target)
    assert isinstance(repaired, Success)
    lines = repaired.value.splitlines()
    # After the docstring and the __future__ import; only names the target's file defines at its
    # top level (`math` is its import, `undefined_elsewhere` is nowhere), and not a name the
    # module binds itself (`Window`, a loop variable here).
    assert lines[2:4] == [
        "from __future__ import annotations",
        "from pkg.limits import LIMIT, clamp",
    ]
    assert repaired.value.count("import") == 3
    # A module that imports them already, or imports with a star, is left as it is.
    imported = (
        "from pkg.limits import clamp\n\n\ndef test_clamp():\n    assert clamp(1, 0, 2) == 1\n"
    )
    assert parse_answer("tests", _done(imported), target) == Success(imported)
    starred = imported.replace("import clamp", "import *")
    assert parse_answer("tests", _done(starred), target) == Success(starred)
    # A refused answer stays refused.
    assert isinstance(parse_answer("tests", _done("def helper():\n    pass\n"), target), Failure)
