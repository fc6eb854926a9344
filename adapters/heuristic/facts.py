"""Facts about one definition, read from its AST: parameters, returns, yields, raises."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

_MAX_DEFAULT_CHARS = 40
_GENERIC_RESULT_NAMES = {"result", "res", "ret", "rv", "out", "output", "value", "val", "x"}


@dataclass(frozen=True)
class Param:
    """One parameter as the signature declares it."""

    name: str
    annotation: str | None
    default: str | None
    star: str = ""  # "*" for *args, "**" for **kwargs
    passed_to: str | None = None  # the callee it is forwarded to, e.g. `f(*args)`


@dataclass(frozen=True)
class Raise:
    """An exception the body raises, and what the code says about when."""

    exception: str
    condition: str | None = None
    message: str | None = None
    caught: str | None = None
    unconditional: bool = False


@dataclass(frozen=True)
class FunctionFacts:
    """Everything a docstring may state about a function without guessing."""

    name: str
    params: tuple[Param, ...]
    returns: str | None  # the annotation, if any
    returns_value: bool
    returned_name: str | None  # the one variable every `return` returns, if there is one
    is_generator: bool
    yields: str | None  # the element type from Iterator[T] / Generator[T, ...]
    yielded_name: str | None
    raises: tuple[Raise, ...]
    is_property: bool
    is_method: bool
    class_name: str | None


@dataclass(frozen=True)
class ClassFacts:
    """What a class docstring may state: its kind and its fields or members."""

    name: str
    bases: tuple[str, ...]
    fields: tuple[Param, ...] = field(default_factory=tuple)
    members: tuple[str, ...] = field(default_factory=tuple)  # enum members
    init_params: tuple[Param, ...] = field(default_factory=tuple)
    is_dataclass: bool = False
    is_enum: bool = False
    is_exception: bool = False


def _unparse(node: ast.AST | None) -> str | None:
    return None if node is None else ast.unparse(node)


def _default_text(node: ast.expr | None) -> str | None:
    text = _unparse(node)
    return text if text is not None and len(text) <= _MAX_DEFAULT_CHARS else None


def _own_nodes(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.AST]:
    """The nodes of the function's body, not descending into nested functions or classes."""
    found: list[ast.AST] = []
    stack: list[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        found.append(node)
        for child in ast.iter_child_nodes(node):
            if not isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda
            ):
                stack.append(child)
    return found


def _forwarded_to(
    function: ast.FunctionDef | ast.AsyncFunctionDef, name: str, star: str
) -> str | None:
    for node in _own_nodes(function):
        if not isinstance(node, ast.Call):
            continue
        if star == "*" and any(
            isinstance(a, ast.Starred) and isinstance(a.value, ast.Name) and a.value.id == name
            for a in node.args
        ):
            return ast.unparse(node.func)
        if star == "**" and any(
            k.arg is None and isinstance(k.value, ast.Name) and k.value.id == name
            for k in node.keywords
        ):
            return ast.unparse(node.func)
    return None


def _params(function: ast.FunctionDef | ast.AsyncFunctionDef, is_method: bool) -> tuple[Param, ...]:
    args = function.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(
        args.defaults
    )
    params = [
        Param(a.arg, _unparse(a.annotation), _default_text(d), "")
        for a, d in zip(positional, defaults, strict=True)
    ]
    if is_method and params and params[0].name in {"self", "cls"}:
        is_static = any(_unparse(d) in {"staticmethod"} for d in function.decorator_list)
        if not is_static:
            params = params[1:]
    if args.vararg:
        params.append(
            Param(
                args.vararg.arg,
                _unparse(args.vararg.annotation),
                None,
                "*",
                _forwarded_to(function, args.vararg.arg, "*"),
            )
        )
    for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        params.append(Param(a.arg, _unparse(a.annotation), _default_text(d), ""))
    if args.kwarg:
        params.append(
            Param(
                args.kwarg.arg,
                _unparse(args.kwarg.annotation),
                None,
                "**",
                _forwarded_to(function, args.kwarg.arg, "**"),
            )
        )
    return tuple(params)


def _element_type(annotation: ast.expr | None) -> str | None:
    """`Iterator[int]`, `Generator[int, None, None]`, `Iterable[int]` → `int`."""
    if not isinstance(annotation, ast.Subscript):
        return None
    outer = ast.unparse(annotation.value).rsplit(".", 1)[-1]
    if outer not in {
        "Iterator",
        "Iterable",
        "Generator",
        "AsyncIterator",
        "AsyncIterable",
        "AsyncGenerator",
    }:
        return None
    inner = annotation.slice
    if isinstance(inner, ast.Tuple) and inner.elts:
        inner = inner.elts[0]
    return ast.unparse(inner)


def _single_name(values: list[ast.expr | None]) -> str | None:
    names = {v.id for v in values if isinstance(v, ast.Name)}
    if len(names) == 1 and all(isinstance(v, ast.Name) for v in values):
        name = names.pop()
        return None if name in _GENERIC_RESULT_NAMES else name
    return None


def _raise_facts(function: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[Raise, ...]:
    """Each distinct exception raised directly in the body, with the `if` or `except` around it."""
    found: dict[str, Raise] = {}

    def visit(
        statements: list[ast.stmt], condition: str | None, caught: str | None, top: bool
    ) -> None:
        for statement in statements:
            if isinstance(statement, ast.Raise) and statement.exc is not None:
                exc = statement.exc
                callee = exc.func if isinstance(exc, ast.Call) else exc
                name = ast.unparse(callee)
                message = None
                first = exc.args[0] if isinstance(exc, ast.Call) and exc.args else None
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    message = first.value
                if name not in found:
                    found[name] = Raise(
                        name,
                        condition,
                        message,
                        caught,
                        top and condition is None and caught is None,
                    )
            elif isinstance(statement, ast.If):
                visit(statement.body, ast.unparse(statement.test), caught, False)
                visit(statement.orelse, None, caught, False)
            elif isinstance(statement, ast.Try | ast.TryStar):
                visit(statement.body, condition, caught, False)
                for handler in statement.handlers:
                    visit(handler.body, condition, _unparse(handler.type) or "an exception", False)
                visit(statement.orelse, condition, caught, False)
                visit(statement.finalbody, condition, caught, False)
            elif isinstance(
                statement, ast.For | ast.AsyncFor | ast.While | ast.With | ast.AsyncWith
            ):
                visit(statement.body, condition, caught, False)
                visit(getattr(statement, "orelse", []), condition, caught, False)
            elif isinstance(statement, ast.Match):
                for case in statement.cases:
                    visit(case.body, None, caught, False)

    visit(function.body, None, None, True)
    return tuple(found.values())


def function_facts(
    function: ast.FunctionDef | ast.AsyncFunctionDef, class_name: str | None
) -> FunctionFacts:
    """Read the facts of one function or method from its AST node."""
    own = _own_nodes(function)
    returns = [n for n in own if isinstance(n, ast.Return) and n.value is not None]
    yields = [n for n in own if isinstance(n, ast.Yield | ast.YieldFrom)]
    decorators = {ast.unparse(d) for d in function.decorator_list}
    return FunctionFacts(
        name=function.name,
        params=_params(function, class_name is not None),
        returns=_unparse(function.returns),
        returns_value=bool(returns) and _unparse(function.returns) != "None",
        returned_name=_single_name([r.value for r in returns]) if returns else None,
        is_generator=bool(yields),
        yields=_element_type(function.returns),
        yielded_name=_single_name([y.value for y in yields if isinstance(y, ast.Yield)])
        if yields
        else None,
        raises=_raise_facts(function),
        is_property=bool(decorators & {"property", "cached_property", "functools.cached_property"}),
        is_method=class_name is not None,
        class_name=class_name,
    )


def class_facts(node: ast.ClassDef) -> ClassFacts:
    """Read the facts of one class: its bases, dataclass fields, enum members, `__init__`."""
    bases = tuple(ast.unparse(b) for b in node.bases)
    decorators = {ast.unparse(d).split("(")[0] for d in node.decorator_list}
    is_dataclass = bool(
        decorators & {"dataclass", "dataclasses.dataclass", "attrs.define", "attr.s", "define"}
    )
    short_bases = {b.rsplit(".", 1)[-1] for b in bases}
    is_enum = bool(short_bases & {"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"})
    is_record = is_dataclass or bool(short_bases & {"NamedTuple", "TypedDict", "BaseModel"})
    fields: list[Param] = []
    members: list[str] = []
    init_params: tuple[Param, ...] = ()
    for statement in node.body:
        if (
            is_record
            and isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
        ):
            if "ClassVar" not in ast.unparse(statement.annotation):
                fields.append(
                    Param(
                        statement.target.id,
                        ast.unparse(statement.annotation),
                        _default_text(statement.value),
                    )
                )
        elif is_enum and isinstance(statement, ast.Assign):
            members.extend(
                t.id
                for t in statement.targets
                if isinstance(t, ast.Name) and not t.id.startswith("_")
            )
        elif isinstance(statement, ast.FunctionDef) and statement.name == "__init__":
            init_params = _params(statement, True)
    return ClassFacts(
        name=node.name,
        bases=bases,
        fields=tuple(fields),
        members=tuple(members),
        init_params=init_params,
        is_dataclass=is_record,
        is_enum=is_enum,
        is_exception=any(b.endswith(("Error", "Exception", "Warning")) for b in short_bases),
    )
