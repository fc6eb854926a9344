"""The replace-definition codemod and ruff's per-function refactorings."""

from __future__ import annotations

from codegen_bot.adapters.engines.heuristic import HeuristicEngine
from codegen_bot.refactor.edits.replace_definition import replace_definition
from codegen_bot.refactor.results import Failure, Success
from codegen_bot.refactor.targets import find_definitions

SOURCE = """\
class A:
    x = 1

    # helper
    @staticmethod
    def f(y):
        if y:
            return True
        else:
            return False

    def g(self): pass
"""


def test_replace_a_method_keeps_everything_else() -> None:
    result = replace_definition(SOURCE, 6, "f", "@staticmethod\ndef f(y):\n    return bool(y)\n")
    assert result == Success(
        "class A:\n    x = 1\n\n    # helper\n    @staticmethod\n    def f(y):\n        return bool(y)\n\n"
        "    def g(self): pass\n"
    )


def test_crlf_is_kept() -> None:
    result = replace_definition(
        "def f():\r\n    return 1\r\n\r\ndef g():\r\n    pass\r\n",
        1,
        "f",
        "def f():\n    return 2\n",
    )
    assert result == Success("def f():\r\n    return 2\r\n\r\ndef g():\r\n    pass\r\n")


def test_failures() -> None:
    assert isinstance(replace_definition(SOURCE, 6, "f", "def h(y):\n    return y\n"), Failure)
    assert isinstance(replace_definition(SOURCE, 6, "f", "def f(:\n"), Failure)
    assert isinstance(replace_definition(SOURCE, 6, "f", "x = 1\n"), Failure)
    assert isinstance(replace_definition(SOURCE, 7, "f", "def f(y):\n    return y\n"), Failure)


def test_ruff_candidates_one_function_at_a_time() -> None:
    source = (
        "from typing import List\n\n\n"
        "def f(x: List[int]) -> List[int]:\n    return x\n\n\n"
        "def g(n):\n    return [i * i for i in range(0, n)]\n\n\n"
        "def h():\n    return 1\n"
    )
    engine = HeuristicEngine(
        ruff_config={"pyproject.toml": "[tool.ruff]\ntarget-version = 'py311'\n"}
    )
    candidates = {
        c.target.qualname: c for c in engine.propose("refactor", find_definitions("m.py", source))
    }
    assert set(candidates) == {"f", "g"}
    assert candidates["f"].text == "def f(x: list[int]) -> list[int]:\n    return x\n"
    assert candidates["f"].note == "ruff UP006 (selected by the project's ruff configuration)"
    assert candidates["g"].text == "def g(n):\n    return [i * i for i in range(n)]\n"
    assert candidates["g"].note == "ruff PIE808 (selected by the project's ruff configuration)"


def test_ruff_candidates_tell_a_getter_from_its_setter() -> None:
    source = (
        "class A:\n"
        "    @property\n    def x(self):\n        return self._x\n\n"
        "    @x.setter\n    def x(self, value):\n        self._x = list(range(0, value))\n"
    )
    engine = HeuristicEngine(
        ruff_config={"pyproject.toml": "[tool.ruff]\ntarget-version = 'py311'\n"}
    )
    candidates = engine.propose("refactor", find_definitions("m.py", source))
    assert [(c.target.qualname, c.target.def_line) for c in candidates] == [("A.x", 7)]
    assert candidates[0].text == (
        "    @x.setter\n    def x(self, value):\n        self._x = list(range(value))\n"
    )
    assert candidates[0].detail == "Unnecessary `start` argument in `range`"
