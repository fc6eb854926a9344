"""Example calls of an instance method, each on a fresh instance whose state shows the effect.

`BarrelList.append` returns None: what it does shows in the instance. An example here is a
constructor call (built from `__init__`'s parameters, or one of the repository's own calls of
the class), one call of the method with arguments a test can write (the repository's calls of
any `x.append(...)`, or built from the method's parameters), and an observer that shows the
instance's state: `list(...)` for an iterable class, `dict(...)` for a mapping, `len(...)` for
a sized one. A class that shows no state gets no such examples: a test that only calls a
method proves little. Pure functions of source texts.
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Iterable, Sequence

from codegen_bot.refactor.testing.example_calls import (
    CallExample,
    annotation_examples,
    call_site_examples,
    receiver_name,
)
from codegen_bot.refactor.testing.target_facts import OnInstance

_ITERABLE_BASES = frozenset(
    "list set frozenset tuple deque UserList Sequence MutableSequence Set MutableSet "
    "AbstractSet Collection".split()
)
_MAPPING_BASES = frozenset(
    "dict OrderedDict defaultdict Counter UserDict Mapping MutableMapping".split()
)
_NOT_ON_INSTANCES = frozenset({"staticmethod", "classmethod", "property", "cached_property"})
_MAX_CONSTRUCTORS = 3
_MAX_METHOD_CALLS = 6
_MAX_CONSTRUCTOR_TEXT = 60
#: What an unannotated parameter of a container's method takes, by its name: a guess the
#: sandbox checks (a call that raises what the method does not raise itself is dropped).
_NAMED_TYPES = (
    (
        re.compile(r"^(?:iterable|items|values|elements|seq|sequence|data|initial|others?)$"),
        "list[int]",
    ),
    (
        re.compile(
            r"^(?:i|j|n|idx|index|count|num|size|pos|position|start|stop|end|step|offset)$"
            r"|_(?:index|idx|count|num|size|pos)$"
        ),
        "int",
    ),
    (re.compile(r"^(?:item|value|val|element|elem|x|obj)$"), "int"),
    (re.compile(r"^(?:key|name|k)$"), "str"),
)


def instance_examples(
    qualname: str,
    function: ast.FunctionDef | ast.AsyncFunctionDef,
    source: str,
    sources: Sequence[tuple[str, str]],
    *,
    module: str = "",
    public: Iterable[str] = (),
) -> list[CallExample]:
    """Calls of the instance method `qualname` (`C.m`) on fresh instances of `C`.

    `source` is the text of the module that defines `C`, `sources` the repository's files
    (for call sites), `module` and `public` as for `example_calls.call_site_examples`. Empty
    for anything but a plain method of a top-level class that shows its state.
    """
    parts = qualname.split(".")
    if len(parts) != 2 or not _on_instances(function):
        return []
    found = _class(source, parts[0])
    observer = _observer(found) if found is not None else ""
    if found is None or not observer:
        return []
    receiver = receiver_name(parts[0])
    public = list(public)
    constructors = _constructors(found, observer, sources, module, public)
    calls = call_site_examples(qualname, "receiver", sources, module=module, public=public)
    sites = sorted(calls, key=lambda c: len(c.call))
    built = annotation_examples(_typed(function, observer), f"{receiver}.{parts[1]}", "function")
    chosen = _unique([*sites[:3], *built[:3], *sites[3:], *built[3:]])[:_MAX_METHOD_CALLS]
    return [
        CallExample(
            call.call,
            f"instance: {call.origin}",
            tuple(sorted(set(constructor.imports) | set(call.imports))),
            OnInstance(receiver, constructor.call, observer),
        )
        for call in chosen
        for constructor in constructors
    ]


def _on_instances(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A plain, synchronous method taking `self`: not a dunder, property or class method."""
    if isinstance(function, ast.AsyncFunctionDef):
        return False
    if function.name.startswith("__") and function.name.endswith("__"):
        return False
    decorators = {ast.unparse(d).split(".")[-1] for d in function.decorator_list}
    if decorators & _NOT_ON_INSTANCES or any(d.endswith(("setter", "deleter")) for d in decorators):
        return False
    positional = function.args.args
    return bool(positional) and positional[0].arg == "self"


def _class(source: str, name: str) -> ast.ClassDef | None:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    return next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name), None)


def _bases(cls: ast.ClassDef) -> set[str]:
    return {ast.unparse(b).split("[")[0].split(".")[-1] for b in cls.bases}


def _observer(cls: ast.ClassDef) -> str:
    """The builtin that shows an instance's state, or "" when the class shows none."""
    defined = {n.name for n in cls.body if isinstance(n, ast.FunctionDef)}
    bases = _bases(cls)
    if bases & _MAPPING_BASES:
        return "dict"
    if "__iter__" in defined or bases & _ITERABLE_BASES:
        return "list"
    return "len" if "__len__" in defined else ""


def _constructors(
    cls: ast.ClassDef,
    observer: str,
    sources: Sequence[tuple[str, str]],
    module: str,
    public: list[str],
) -> list[CallExample]:
    """A few short constructor calls: from `__init__`'s parameters, then the repository's."""
    name = cls.name
    init = next(
        (n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None
    )
    filled = {"list": "[3, 1, 2]", "dict": "{'a': 1, 'b': 2}"}.get(observer)
    found: list[CallExample] = []
    if init is not None:
        typed = _typed(init, observer)
        found += annotation_examples(typed, name, "function")
        if filled and len(typed.args.args) == 1 and typed.args.args[0].annotation is None:
            # A container's one parameter (`other=None`) is most likely its initial items.
            found.append(CallExample(f"{name}({filled})", "a builtin container's"))
    elif _bases(cls) - {"object"}:
        found.append(CallExample(f"{name}()", "no arguments"))
        if filled and _bases(cls) & (_ITERABLE_BASES | _MAPPING_BASES):
            found.append(CallExample(f"{name}({filled})", "a builtin container's"))
    else:
        found.append(CallExample(f"{name}()", "no arguments"))
    sites = call_site_examples(name, "function", sources, module=module, public=public)
    found += sorted(
        (s for s in sites if len(s.call) <= _MAX_CONSTRUCTOR_TEXT), key=lambda s: len(s.call)
    )
    return _unique(found)[:_MAX_CONSTRUCTORS]


def _typed(function: ast.FunctionDef | ast.AsyncFunctionDef, observer: str) -> ast.FunctionDef:
    """`function` without `self`, its unannotated parameters typed by their names (a copy).

    `*args` and `**kwargs` are left out: a call need not pass them. Names count only for a
    container's methods (`list` or `dict` observers): there `item` and `index` mean what they
    say, and `other` is a list or a dict like the container. A parameter with a literal
    default keeps the default's type.
    """
    typed = copy.deepcopy(function)
    assert isinstance(typed, ast.FunctionDef)  # `instance_examples` takes no async methods
    typed.args.args = typed.args.args[1:]
    typed.args.vararg = typed.args.kwarg = None
    if observer not in ("list", "dict"):
        return typed
    defaults: list[ast.expr | None] = [None] * (len(typed.args.args) - len(typed.args.defaults))
    defaults += typed.args.defaults
    for param, default in zip(typed.args.args, defaults, strict=True):
        none_default = isinstance(default, ast.Constant) and default.value is None
        if param.annotation is not None or (default is not None and not none_default):
            continue
        guess = next((kind for pattern, kind in _NAMED_TYPES if pattern.search(param.arg)), None)
        if guess == "list[int]" and observer == "dict":
            guess = "dict[str, int]"  # a mapping's `other` or `values` is a mapping too
        if guess is not None:
            param.annotation = ast.parse(guess, mode="eval").body
    return typed


def _unique(calls: Iterable[CallExample]) -> list[CallExample]:
    """`calls` without repeated texts, in order."""
    found: dict[str, CallExample] = {}
    for call in calls:
        found.setdefault(call.call, call)
    return list(found.values())
