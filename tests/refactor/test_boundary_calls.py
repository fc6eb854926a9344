"""Boundary variants: a function's own constants in place of an example's integer arguments."""

from __future__ import annotations

import ast

from codegen_bot.refactor.testing.boundary_calls import (
    BOUNDARY,
    boundary_variants,
    int_constants,
)
from codegen_bot.refactor.testing.example_calls import CallExample

ORDINAL = """\
def ordinal(number):
    n = abs(int(number))
    if n % 100 in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
"""

MERGE = """\
def merge(*seqs, key=None):
    if len(seqs) == 0:
        return []
    if len(seqs) == 1:
        return list(seqs[0])
    return sorted(x for seq in seqs for x in seq)
"""


def _function(source: str) -> ast.FunctionDef:
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.FunctionDef)
    return node


def test_the_functions_own_constants_come_first_then_their_neighbours() -> None:
    assert int_constants(_function(ORDINAL)) == [1, 2, 3, 10, 11, 12, 13, 100, 0, 4, 9, 14, 99, 101]
    # True and False are not integers to vary; ids and sizes are not boundaries.
    assert (
        int_constants(_function("def f(x):\n    return x is True or x == 1_000_000 or 50_000\n"))
        == []
    )


def test_integer_arguments_take_the_constants_and_keep_their_imports() -> None:
    known = [CallExample("ordinal(1)", "doctest"), CallExample("ordinal(-5)", "call site a.py:3")]
    variants = boundary_variants(known, _function(ORDINAL))
    calls = [v.call for v in variants]
    assert {"ordinal(11)", "ordinal(12)", "ordinal(13)"} <= set(calls)
    assert len(calls) == 8 and len(set(calls)) == 8 and "ordinal(1)" not in calls
    assert all(v.origin == BOUNDARY for v in variants)
    wrapped = boundary_variants(
        [CallExample("str(ordinal(1))", "doctest", (("math", ""),))], _function(ORDINAL), limit=2
    )
    assert [(v.call, v.imports) for v in wrapped] == [
        ("str(ordinal(2))", (("math", ""),)),
        ("str(ordinal(3))", (("math", ""),)),
    ]


def test_a_call_passing_several_args_to_varargs_is_tried_with_none_and_one() -> None:
    known = [CallExample("merge([1, 3], [2], key=None)", "doctest")]
    calls = [v.call for v in boundary_variants(known, _function(MERGE))]
    assert calls == ["merge(key=None)", "merge([1, 3], key=None)"]
    # Nothing to vary: no integer argument, no spare varargs, a starred call.
    for text in ("merge([1])", "merge(*pairs)", "merge(x, y"):
        assert boundary_variants([CallExample(text, "doctest")], _function(MERGE)) == []


def test_a_methods_self_is_not_one_of_the_arguments_its_calls_pass() -> None:
    method = _function("def add(self, *items):\n    return len(items) > 2\n")
    calls = [v.call for v in boundary_variants([CallExample("Bag().add(1, 2, 3)", "x")], method)]
    assert calls[:2] == ["Bag().add()", "Bag().add(1)"]
