"""Boundary variants of a definition's example calls, the inputs its own code singles out.

The mutants a test suite misses sit on the constants and comparisons a function holds
(`n % 100 in (11, 12, 13)`, `if len(seqs) == 1`): an example such as `ordinal(1)` runs those
lines but pins none of them. So each known call is varied: an integer literal argument takes
the function's own small integer constants and their neighbours in turn, and a call passing
several arguments to `*args` is tried with none and with one. The variants are calls a test can
write verbatim, run in the sandbox like every other example; pure functions of source texts.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Sequence

from codegen_bot.refactor.testing.example_calls import CallExample

#: The origin of every variant (what the tests task keeps even without new coverage).
BOUNDARY = "boundary"
#: Constants further from zero than this are ids or sizes, not boundaries worth a test.
_LARGEST = 10_000
_MAX_CONSTANTS = 8


def int_constants(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[int]:
    """The function's own small integer constants, then their neighbours; nearest zero first."""
    own: set[int] = set()
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Constant)
            and type(node.value) is int
            and abs(node.value) <= _LARGEST
        ):
            own.add(node.value)
    neighbours = {v + step for v in own for step in (-1, 1)} - own
    order = sorted(own, key=lambda v: (abs(v), v))[:_MAX_CONSTANTS]
    return order + sorted(neighbours, key=lambda v: (abs(v), v))[:_MAX_CONSTANTS]


def _int_literal(node: ast.expr) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and type(node.operand.value) is int
    ):
        return -node.operand.value
    return None


def _literal(value: int) -> ast.expr:
    return ast.UnaryOp(ast.USub(), ast.Constant(-value)) if value < 0 else ast.Constant(value)


def boundary_variants(
    calls: Sequence[CallExample],
    function: ast.FunctionDef | ast.AsyncFunctionDef,
    limit: int = 8,
) -> list[CallExample]:
    """Variants of `calls` at the function's own integer constants and at fewer `*args`.

    Each call keeps its imports; variants already among `calls` are left out, and at most
    `limit` come back, spread over the calls they vary.
    """
    constants = int_constants(function)
    positional = [*function.args.posonlyargs, *function.args.args]
    # A method's call (`cart.add(1, 2)`) does not pass `self` or `cls`.
    bound = bool(positional) and positional[0].arg in ("self", "cls")
    fixed = len(positional) - bound
    known = {call.call for call in calls}
    per_call: list[list[CallExample]] = []
    for example in calls:
        variants: list[CallExample] = []
        for text in _variant_texts(example.call, function, constants, fixed):
            if text not in known:
                known.add(text)
                variants.append(CallExample(text, BOUNDARY, example.imports))
        per_call.append(variants)
    chosen: list[CallExample] = []
    while len(chosen) < limit and any(per_call):
        for variants in per_call:
            if variants and len(chosen) < limit:
                chosen.append(variants.pop(0))
    return chosen


def _variant_texts(
    text: str,
    function: ast.FunctionDef | ast.AsyncFunctionDef,
    constants: Sequence[int],
    fixed: int,
) -> list[str]:
    """`text` with fewer `*args` (when it passes several), then with each integer varied."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return []
    nodes = list(ast.walk(tree))
    calls = [
        index
        for index, node in enumerate(nodes)
        if isinstance(node, ast.Call) and ast.unparse(node.func).split(".")[-1] == function.name
    ]
    if len(calls) != 1:
        return []
    position = calls[0]
    arguments = _call_at(tree, position).args
    if any(isinstance(arg, ast.Starred) for arg in arguments):
        return []
    texts: list[str] = []
    if function.args.vararg is not None and len(arguments) > fixed + 1:
        for keep in (fixed, fixed + 1):
            varied = copy.deepcopy(tree)
            call = _call_at(varied, position)
            call.args = call.args[:keep]
            texts.append(ast.unparse(varied))
    for index, argument in enumerate(arguments):
        current = _int_literal(argument)
        for value in constants if current is not None else ():
            if value != current:
                varied = copy.deepcopy(tree)
                _call_at(varied, position).args[index] = _literal(value)
                texts.append(ast.unparse(varied))
    return texts


def _call_at(tree: ast.AST, position: int) -> ast.Call:
    """The call at `position` in `ast.walk` order (the same in a deep copy of the tree)."""
    node = list(ast.walk(tree))[position]
    if not isinstance(node, ast.Call):
        raise TypeError(f"no call at position {position}")  # a copy is never shaped otherwise
    return node
