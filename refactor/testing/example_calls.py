"""Example calls of a definition, for characterization tests.

They come from its doctests, from call sites in the repository whose arguments a test can
write as they stand (literals, pure builtins, lambdas...: see `safe_arguments`), and from its
parameters' annotations.

Each example is the text of one expression that calls the definition through a name a test can
import (`clamp(5, 0, 3)`, `Cart.price(2)`, `Cart(3).total()`); running it in the sandbox tells
what to assert. Pure functions of source texts.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import doctest
import itertools
import keyword
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from codegen_bot.refactor.targets import snake_case
from codegen_bot.refactor.testing.safe_arguments import (
    Import,
    Scope,
    inline,
    module_scope,
    safe_imports,
)
from codegen_bot.refactor.testing.target_facts import OnInstance, probe_expression

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
    # Keyed by a string sample, so that a lookup in a filled mapping can hit as well as miss.
    "dict": ("{}", "{'abc': 1}"),
    "dict[str, int]": ("{}", "{'abc': 1, 'b': 2}"),
    "set": ("set()", "{1, 2}"),
    "None": ("None",),
}


@dataclass(frozen=True)
class CallExample:
    """One expression calling the definition, where it came from, and the imports it needs."""

    call: str
    origin: str  # "doctest", "doctest skipped", "call site PATH:LINE" or "annotations"
    #: what a test imports besides the definition (see `safe_arguments.Import`)
    imports: tuple[Import, ...] = ()
    #: the fresh instance a method's call is made on (`instance_calls`), if any
    instance: OnInstance | None = None

    @property
    def expression(self) -> str:
        """What the sandbox evaluates for this example."""
        return probe_expression(self.call, self.instance)


#: Calls that turn an iterator into a value (`list(f(x))`): a call site's wrapper is kept.
_MATERIALIZERS = frozenset({"list", "tuple", "sorted", "set", "frozenset", "dict", "next"})


def _safe_call(call: ast.Call, scope: Scope) -> set[Import] | None:
    """The imports a call's arguments need, or None when some argument is not safe."""
    if any(isinstance(arg, ast.Starred) for arg in call.args):
        return None
    needed: set[Import] = set()
    for value in [*call.args, *(k.value for k in call.keywords)]:
        found = safe_imports(value, scope, frozenset())
        if found is None:
            return None
        needed |= found
    return needed if all(k.arg is not None for k in call.keywords) else None


def _arguments_text(call: ast.Call, scope: Scope) -> str:
    parts = [ast.unparse(inline(arg, scope)) for arg in call.args]
    parts += [f"{k.arg}={ast.unparse(inline(k.value, scope))}" for k in call.keywords]
    return ", ".join(parts)


def receiver_name(class_name: str) -> str:
    """The variable a test binds an instance of `class_name` to: `BarrelList` -> `barrel_list`."""
    name = snake_case(class_name).lstrip("_") or "instance"
    return name + "_" if keyword.iskeyword(name) or hasattr(builtins, name) else name


def _packages(module: str) -> list[str]:
    """`a.b.c` -> `a.b.c`, `a.b`, `a`: where a public name of the module may be imported from."""
    parts = module.split(".")
    return [".".join(parts[:n]) for n in range(len(parts), 0, -1)] if module else []


def call_site_examples(
    qualname: str,
    kind: str,
    sources: Iterable[tuple[str, str]],
    *,
    module: str = "",
    public: Iterable[str] = (),
) -> list[CallExample]:
    """Calls of `qualname` whose arguments a test can write, rewritten to call it by its name.

    A function `f` matches `f(...)` and `anything.f(...)`; a method `C.m` matches `C.m(...)`
    (static and class methods) and `C(...).m(...)` when the constructor's arguments are
    safe too. The kind "receiver" matches `anything.m(...)` but a module's or the class's
    own, written as a call on `receiver_name(C)` (see `instance_calls`). Arguments are
    literals or the safe expressions of `safe_arguments` (with the imports they need);
    `module` is the target's dotted module and `public` the names it defines publicly. A
    call inside `list(...)`, `sorted(...)`... keeps that wrapper, so that a generator's
    example has a value.
    """
    parts = qualname.split(".")
    name = parts[-1]
    defined = set(public)
    found: list[CallExample] = []
    seen: set[str] = set()
    for path, text in sources:
        if name not in text:
            continue
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        scope = module_scope(tree.body, own_modules=_packages(module), public=defined)
        scope.imported[parts[0]] = ("", parts[0])
        wrappers = {
            id(node.args[0]): node.func.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _MATERIALIZERS
            and len(node.args) == 1
            and not node.keywords
        }
        # What a call on an instance is not: `module.m(...)`, `C.m(...)`.
        not_instances = _imported_names(tree) | {parts[0]}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            needed = _safe_call(node, scope)
            expression = (
                _rewrite(node, parts, kind, scope, not_instances) if needed is not None else None
            )
            if expression is None or needed is None:
                continue
            if id(node) in wrappers:
                expression = f"{wrappers[id(node)]}({expression})"
            if expression in seen or len(expression) > _MAX_CALL_TEXT:
                continue
            seen.add(expression)
            imports = tuple(sorted(needed - {("", parts[0])}))
            found.append(CallExample(expression, f"call site {path}:{node.lineno}", imports))
    return found


def _imported_names(tree: ast.Module) -> frozenset[str]:
    """The names a module's imports bind, anywhere in it."""
    return frozenset(
        alias.asname or alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    )


def _rewrite(
    node: ast.Call, parts: list[str], kind: str, scope: Scope, not_instances: frozenset[str]
) -> str | None:
    func = node.func
    arguments = _arguments_text(node, scope)
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
    if kind == "receiver":
        root = owner
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name) and root.id in not_instances:
            return None
        return f"{receiver_name(parts[0])}.{parts[1]}({arguments})"
    if (
        isinstance(owner, ast.Name | ast.Attribute)
        and ast.unparse(owner).split(".")[-1] == parts[0]
    ):
        return f"{parts[0]}.{parts[1]}({arguments})"
    if (
        isinstance(owner, ast.Call)
        and isinstance(owner.func, ast.Name | ast.Attribute)
        and ast.unparse(owner.func).split(".")[-1] == parts[0]
        and _safe_call(owner, scope) == set()
    ):
        return f"{parts[0]}({_arguments_text(owner, scope)}).{parts[1]}({arguments})"
    return None


def doctest_examples(
    qualname: str, docstring: str | None, *, module: str = "", public: Iterable[str] = ()
) -> list[CallExample]:
    """The single-expression examples of a docstring that a test can write as they stand.

    They may use the definition's own name and builtins, and what earlier examples bound the
    way `safe_arguments.module_scope` allows (`from operator import add`, a one-line `def`,
    written back as a lambda); such an example carries the imports it needs.
    """
    if not docstring:
        return []
    head = qualname.split(".", maxsplit=1)[0]
    allowed = {head} | set(dir(builtins))
    found = []
    try:
        examples = doctest.DocTestParser().get_examples(docstring)
    except ValueError:
        return []
    # The definition itself is in scope from the start, so that `isodd = complement(iseven)`
    # binds a name later examples may use (`isodd(2)` is `complement(iseven)(2)`).
    importable = module and all(part.isidentifier() for part in [*module.split("."), head])
    earlier: list[ast.stmt] = ast.parse(f"from {module} import {head}").body if importable else []
    public = {*public, head}
    for example in examples:
        source = example.source.strip()
        # A skipped example may need what the sandbox lacks: only its value is worth a test.
        origin = "doctest skipped" if example.options.get(doctest.SKIP) else "doctest"
        try:
            tree = ast.parse(source, mode="eval")
        except SyntaxError:
            with contextlib.suppress(SyntaxError):  # a statement: it may bind a name
                earlier += ast.parse(source).body
            continue
        if not any(isinstance(n, ast.Call) for n in ast.walk(tree)):
            continue
        scope = module_scope(earlier, own_modules=_packages(module), public=public)
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        rebound = scope.shadowed | set(scope.inlined) | set(scope.imported)
        if scope.imported.get(head) == ("", head):
            rebound.discard(head)  # bound as itself, unless an example bound it otherwise
        if head not in _names(tree, scope):
            # `iseven(2)` in `complement`'s docstring shows the helper, not the definition: a
            # test of it would assert nothing about the code under test.
            continue
        if names <= allowed and not names & rebound:
            # A docstring that is not raw turns `'\x1b'` into the character itself: written
            # back as source it would be a raw control character (ruff's PLE2513), so such an
            # example is written again from its syntax tree, which escapes it (and drops a
            # comment, which would end an assertion's line).
            if not source.replace("\n", "").isprintable() or "#" in source:
                source = ast.unparse(tree)
            found.append(CallExample(source, origin))
            continue
        scope.imported[head] = ("", head)
        needed = safe_imports(tree.body, scope, frozenset())
        if needed is not None:
            text = ast.unparse(inline(tree.body, scope))
            found.append(CallExample(text, origin, tuple(sorted(needed - {("", head)}))))
    return found


def _names(tree: ast.AST, scope: Scope) -> set[str]:
    """The names an example reads, with those of the one-line definitions it would inline."""
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    pending = names & set(scope.inlined)
    while pending:  # a definition may call another one
        found = {n.id for n in ast.walk(scope.inlined[pending.pop()]) if isinstance(n, ast.Name)}
        pending |= (found - names) & set(scope.inlined)
        names |= found
    return names


_STRING_NAME = re.compile(r"(?:^|_)(?:str|text)$|string$")


def _unannotated_type(name: str, default: ast.expr | None) -> str | None:
    """The type an unannotated parameter shows: its literal default's, or a string's by name.

    `sep=", "` takes strings; so does a parameter named `text`, `*_str` or `*string`
    (`timestring`). Anything else shows no type.
    """
    if default is not None:
        try:
            value = ast.literal_eval(default)
        except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
            return None
        kind = type(value).__name__
        return kind if kind in ("int", "float", "str", "bool", "bytes") else None
    return "str" if _STRING_NAME.search(name) else None


def annotation_examples(
    function: ast.FunctionDef | ast.AsyncFunctionDef, qualname: str, kind: str
) -> list[CallExample]:
    """A few calls built from simple parameter annotations (`int`, `str`, `list[int]`...).

    An unannotated parameter counts as its literal default's type, or as a string when its
    name says so (`_unannotated_type`). Only module-level functions and static methods: an
    instance needs a constructor call that annotations do not give. Returns nothing when some
    required parameter has no usable type.
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
    defaults: list[ast.expr | None] = [None] * required + list(arguments.defaults)
    choices: list[tuple[str, Sequence[str]]] = []
    for index, param in enumerate(params):
        annotation = (
            ast.unparse(param.annotation)
            if param.annotation is not None
            else _unannotated_type(param.arg, defaults[index])
        )
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
