"""Example calls of a definition, for characterization tests.

They come from its doctests, from call sites in the repository whose arguments are all
literals, and from its parameters' annotations.

Each example is the text of one expression that calls the definition through a name a test can
import (`clamp(5, 0, 3)`, `Cart.price(2)`, `Cart(3).total()`); running it in the sandbox tells
what to assert. Pure functions of source texts.
"""

from __future__ import annotations

import ast
import builtins
import doctest
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_MAX_CALLS = 20
_MAX_CALL_TEXT = 200
_SAMPLES: dict[str, tuple[str, ...]] = {
    "int": ("0", "1", "-7", "42"),
    "float": ("0.0", "1.5", "-2.25"),
    "str": ("''", "'abc'", "'Hello World'"),
    "bool": ("True", "False"),
    "bytes": ("b''", "b'abc'"),
    "list": ("[]", "[1, 2, 3]"),
    "list[int]": ("[]", "[3, 1, 2]"),
    "list[float]": ("[]", "[1.5, 2.5]"),
    "list[str]": ("[]", "['a', 'b']"),
    "tuple": ("()", "(1, 2)"),
    "dict": ("{}", "{'a': 1}"),
    "dict[str, int]": ("{}", "{'a': 1, 'b': 2}"),
    "set": ("set()", "{1, 2}"),
    "None": ("None",),
}


@dataclass(frozen=True)
class CallExample:
    """One expression calling the definition, and where it came from."""

    call: str
    origin: str  # "doctest", "call site PATH:LINE" or "annotations"


def _is_literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
        return False
    return True


def _literal_arguments(call: ast.Call) -> bool:
    return all(_is_literal(arg) and not isinstance(arg, ast.Starred) for arg in call.args) and all(
        k.arg is not None and _is_literal(k.value) for k in call.keywords
    )


def _arguments_text(call: ast.Call) -> str:
    parts = [ast.unparse(arg) for arg in call.args]
    parts += [f"{k.arg}={ast.unparse(k.value)}" for k in call.keywords]
    return ", ".join(parts)


def call_site_examples(
    qualname: str, kind: str, sources: Iterable[tuple[str, str]]
) -> list[CallExample]:
    """Calls of `qualname` with only literal arguments, rewritten to call it by its import name.

    A function `f` matches `f(...)` and `anything.f(...)`; a method `C.m` matches `C.m(...)`
    (static and class methods) and `C(...).m(...)` when the constructor's arguments are
    literals too.
    """
    parts = qualname.split(".")
    name = parts[-1]
    found: list[CallExample] = []
    seen: set[str] = set()
    for path, text in sources:
        if name not in text:
            continue
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not _literal_arguments(node):
                continue
            expression = _rewrite(node, parts, kind)
            if expression is None or expression in seen or len(expression) > _MAX_CALL_TEXT:
                continue
            seen.add(expression)
            found.append(CallExample(expression, f"call site {path}:{node.lineno}"))
    return found


def _rewrite(node: ast.Call, parts: list[str], kind: str) -> str | None:
    func = node.func
    arguments = _arguments_text(node)
    if kind == "function":
        callee = (
            func.id
            if isinstance(func, ast.Name)
            else func.attr
            if isinstance(func, ast.Attribute)
            else None
        )
        return f"{parts[-1]}({arguments})" if callee == parts[-1] else None
    if not isinstance(func, ast.Attribute) or func.attr != parts[-1] or len(parts) != 2:
        return None
    owner = func.value
    if (
        isinstance(owner, ast.Name | ast.Attribute)
        and ast.unparse(owner).split(".")[-1] == parts[0]
    ):
        return f"{parts[0]}.{parts[1]}({arguments})"
    if (
        isinstance(owner, ast.Call)
        and isinstance(owner.func, ast.Name | ast.Attribute)
        and ast.unparse(owner.func).split(".")[-1] == parts[0]
        and _literal_arguments(owner)
    ):
        return f"{parts[0]}({_arguments_text(owner)}).{parts[1]}({arguments})"
    return None


def doctest_examples(qualname: str, docstring: str | None) -> list[CallExample]:
    """The single-expression examples of a docstring that use only the definition's own name."""
    if not docstring:
        return []
    allowed = {qualname.split(".", maxsplit=1)[0]} | set(dir(builtins))
    found = []
    try:
        examples = doctest.DocTestParser().get_examples(docstring)
    except ValueError:
        return []
    for example in examples:
        source = example.source.strip()
        try:
            tree = ast.parse(source, mode="eval")
        except SyntaxError:
            continue
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        if names <= allowed and any(isinstance(n, ast.Call) for n in ast.walk(tree)):
            # A docstring that is not raw turns `'\x1b'` into the character itself: written
            # back as source it would be a raw control character (ruff's PLE2513), so such an
            # example is written again from its syntax tree, which escapes it.
            if not source.replace("\n", "").isprintable():
                source = ast.unparse(tree)
            found.append(CallExample(source, "doctest"))
    return found


def annotation_examples(
    function: ast.FunctionDef | ast.AsyncFunctionDef, qualname: str, kind: str
) -> list[CallExample]:
    """A few calls built from simple parameter annotations (`int`, `str`, `list[int]`...).

    Only module-level functions and static methods: an instance needs a constructor call that
    annotations do not give. Returns nothing when some required parameter has no usable
    annotation.
    """
    if isinstance(function, ast.AsyncFunctionDef):
        return []
    arguments = function.args
    if arguments.vararg or arguments.kwarg or arguments.posonlyargs:
        return []
    params = list(arguments.args)
    if kind == "method":
        decorators = {ast.unparse(d) for d in function.decorator_list}
        if "staticmethod" not in decorators:
            return []
    required = len(params) - len(arguments.defaults)
    choices: list[tuple[str, Sequence[str]]] = []
    for index, param in enumerate(params):
        annotation = ast.unparse(param.annotation) if param.annotation is not None else None
        samples = _SAMPLES.get((annotation or "").replace("List", "list").replace("Dict", "dict"))
        if samples is None:
            if index < required:
                return []
            continue  # an optional parameter keeps its default
        choices.append((param.arg, samples))
    if any(default is None for default in arguments.kw_defaults):
        return []
    if not choices:
        # Nothing to vary: one call with the defaults (or with no arguments at all).
        return [CallExample(f"{qualname}()", "annotations")] if required == 0 else []
    rows = []
    longest = max(len(samples) for _, samples in choices)
    for row in range(longest):
        rows.append(tuple(samples[row % len(samples)] for _, samples in choices))
    # Spread picks over the whole product too, so that branches on two parameters both turn.
    combos = list(itertools.islice(itertools.product(*(s for _, s in choices)), 4096))
    rows += combos[:: max(1, len(combos) // _MAX_CALLS)]
    unique = list(dict.fromkeys(rows))[: _MAX_CALLS + longest]
    names = [name for name, _ in choices]
    return [
        CallExample(
            f"{qualname}({', '.join(f'{n}={v}' for n, v in zip(names, row, strict=True))})",
            "annotations",
        )
        for row in unique
    ]
