"""What the code of one definition shows, for the facts gate: read from the module's AST.

Only a definition's own body counts: a nested function's `yield` or a nested class's `raise`
is not the outer function's.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


@dataclass(frozen=True)
class RaiseSite:
    """One `raise` in a body: the exception's short name and the whole condition around it.

    `guard` is the conjunction of the `if` tests it sits under, as source text; `simple` is
    False when more than those tests decides (an `else`/`elif` branch, a loop, a `match`), so
    no quoted condition is the whole one. `caught` names the exceptions an enclosing `except`
    handles; `always` is True when nothing before it in the body can stop it.
    """

    exception: str
    guard: str | None
    simple: bool
    caught: tuple[str, ...]
    always: bool


@dataclass(frozen=True)
class CodeFacts:
    """What a docstring of one definition may state, and the words it may use."""

    name: str
    kind: str  # "function" or "class"
    owner: str | None  # the enclosing class of a method
    params: tuple[str, ...]  # documented names: no self/cls, no stars
    star_params: frozenset[str]  # `args` of `*args`, `kwargs` of `**kwargs`
    param_types: dict[str, str]
    returns_value: bool
    is_generator: bool
    is_setter: bool
    raises: tuple[RaiseSite, ...]
    locals: frozenset[str]
    attributes: frozenset[str]  # a class's fields and `self.x` names; a method's class's
    own_words: frozenset[str]  # every identifier and literal word of the definition
    foreign: dict[str, frozenset[str]] = field(default_factory=dict)  # other definitions' words
    private_globals: frozenset[str] = frozenset()  # `_name` and `NAME = object()` sentinels
    signature: str = ""  # the parameters, defaults and annotations as written in the code


def identifier_words(identifier: str) -> list[str]:
    """Split `snake_case` and `CamelCase` into lower-case words, keeping the whole name too."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", identifier)
    parts = [part.lower() for part in re.split(r"[_\W]+", spaced) if part]
    return [identifier.lower().strip("_"), *parts] if identifier.strip("_") else parts


def own_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """Yield the nodes of a definition's body, not descending into nested scopes."""
    stack: list[ast.AST] = [s for s in getattr(node, "body", []) if not isinstance(s, _SCOPES)]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(c for c in ast.iter_child_nodes(current) if not isinstance(c, _SCOPES))


def _short(node: ast.expr | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _handler_names(handler: ast.ExceptHandler) -> tuple[str, ...]:
    kinds = handler.type
    if kinds is None:
        return ("Exception",)
    items = kinds.elts if isinstance(kinds, ast.Tuple) else [kinds]
    return tuple(name for name in map(_short, items) if name)


def raise_sites(body: list[ast.stmt]) -> list[RaiseSite]:
    """Every `raise` of a body with its guard, not looking into nested scopes."""
    sites: list[RaiseSite] = []

    def visit(
        statements: list[ast.stmt],
        guards: tuple[str, ...],
        simple: bool,
        caught: tuple[str, ...],
        top: bool,
    ) -> None:
        stopped = False  # something before this statement may leave the body
        for statement in statements:
            if isinstance(statement, ast.Raise):
                names = [_short(statement.exc)] if statement.exc is not None else list(caught)
                for name in filter(None, names):
                    guard = " and ".join(f"({g})" if len(guards) > 1 else g for g in guards)
                    sites.append(
                        RaiseSite(name, guard or None, simple, caught, top and not stopped)
                    )
                stopped = True
            elif isinstance(statement, ast.If):
                visit(statement.body, (*guards, ast.unparse(statement.test)), simple, caught, False)
                visit(statement.orelse, guards, False, caught, False)
                stopped = True
            elif isinstance(statement, ast.Try | ast.TryStar):
                visit(statement.body, guards, simple, caught, False)
                for handler in statement.handlers:
                    visit(handler.body, guards, simple, _handler_names(handler), False)
                visit(statement.orelse, guards, False, caught, False)
                visit(statement.finalbody, guards, simple, caught, False)
                stopped = True
            elif isinstance(statement, ast.With | ast.AsyncWith):
                visit(statement.body, guards, simple, caught, False)
                stopped = True
            elif isinstance(statement, ast.For | ast.AsyncFor | ast.While):
                visit(statement.body, guards, False, caught, False)
                visit(statement.orelse, guards, False, caught, False)
                stopped = True
            elif isinstance(statement, ast.Match):
                for case in statement.cases:
                    visit(case.body, guards, False, caught, False)
                stopped = True
            elif not isinstance(statement, _SCOPES):
                stopped = stopped or any(
                    isinstance(n, ast.Return | ast.Yield | ast.YieldFrom | ast.Await)
                    for n in ast.walk(statement)
                )

    visit(body, (), True, (), True)
    return sites


def _params(node: ast.FunctionDef | ast.AsyncFunctionDef, is_method: bool) -> list[ast.arg]:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    static = any(_short(d) == "staticmethod" for d in node.decorator_list)
    if is_method and positional and not static and positional[0].arg in ("self", "cls", "mcs"):
        positional = positional[1:]
    extra = [a for a in (args.vararg, args.kwarg) if a is not None]
    return [*positional, *args.kwonlyargs, *extra]


def _words_of(node: ast.AST) -> set[str]:
    found: set[str] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            found.update(identifier_words(child.id))
        elif isinstance(child, ast.Attribute):
            found.update(identifier_words(child.attr))
        elif isinstance(child, ast.arg):
            found.update(identifier_words(child.arg))
        elif isinstance(child, Definition):
            found.update(identifier_words(child.name))
        elif isinstance(child, ast.alias):
            found.update(identifier_words(child.asname or child.name))
        elif isinstance(child, ast.Constant) and isinstance(child.value, str):
            found.update(w.lower() for w in re.findall(r"[A-Za-z]\w+", child.value))
        elif isinstance(child, ast.Constant) and isinstance(child.value, int | float):
            found.add(str(child.value))
        elif isinstance(child, ast.keyword) and child.arg:
            found.update(identifier_words(child.arg))
    return found


def _signature_words(node: Definition) -> set[str]:
    """The words another definition owns outright: its name, parameters and literals."""
    found = set(identifier_words(node.name))
    for child in ast.walk(node):
        if isinstance(child, ast.arg) and child.arg not in ("self", "cls"):
            found.update(identifier_words(child.arg))
        elif (
            isinstance(child, ast.Constant)
            and isinstance(child.value, int | float)
            and not isinstance(child.value, bool)
            and child.value not in (0, 1, -1)
        ):
            found.add(str(child.value))
    return found


def _class_attributes(node: ast.ClassDef) -> set[str]:
    names: set[str] = set()
    for statement in node.body:
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            names.add(statement.target.id)
        elif isinstance(statement, ast.Assign):
            names.update(t.id for t in statement.targets if isinstance(t, ast.Name))
        elif isinstance(statement, Definition):
            names.add(statement.name)
    for child in ast.walk(node):
        if (
            isinstance(child, ast.Attribute)
            and isinstance(child.value, ast.Name)
            and child.value.id in ("self", "cls")
        ):
            names.add(child.attr)
    return names


def _find(tree: ast.Module, def_line: int, name: str) -> tuple[Definition, list[Definition]] | None:
    """The definition on `def_line` and its enclosing definitions, outermost first."""

    def search(body: list[ast.stmt], trail: list[Definition]) -> tuple[Definition, list] | None:
        for statement in body:
            if isinstance(statement, Definition):
                if statement.name == name and statement.lineno == def_line:
                    return statement, trail
                found = search(statement.body, [*trail, statement])
                if found:
                    return found
            elif isinstance(statement, ast.If | ast.Try | ast.With):
                for part in (statement.body, getattr(statement, "orelse", [])):
                    found = search(part, trail)
                    if found:
                        return found
        return None

    return search(tree.body, [])


def _sentinels(tree: ast.Module) -> set[str]:
    found = set()
    for statement in tree.body:
        if not isinstance(statement, ast.Assign):
            continue
        for target in statement.targets:
            if not isinstance(target, ast.Name):
                continue
            value = statement.value
            is_object = (
                isinstance(value, ast.Call) and _short(value.func) == "object" and not value.args
            )
            if target.id.startswith("_") or is_object:
                found.add(target.id)
    return found


def code_facts(source: str, def_line: int, name: str) -> CodeFacts | None:
    """Return the facts of the definition `name` whose `def`/`class` is on `def_line`."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    found = _find(tree, def_line, name)
    if found is None:
        return None
    node, trail = found
    owner = trail[-1] if trail and isinstance(trail[-1], ast.ClassDef) else None
    own_words = _words_of(node)
    attributes: set[str] = set()
    if owner is not None:
        attributes = _class_attributes(owner)
        own_words.update(identifier_words(owner.name))
        for attribute in attributes:
            own_words.update(identifier_words(attribute))
    if isinstance(node, ast.ClassDef):
        attributes = _class_attributes(node)
        init = next(
            (s for s in node.body if isinstance(s, ast.FunctionDef) and s.name == "__init__"), None
        )
        args = _params(init, True) if init else []
        fields = [
            s.target.id
            for s in node.body
            if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
        ]
        params = tuple(dict.fromkeys([a.arg for a in args] + fields))
        types = {a.arg: ast.unparse(a.annotation) for a in args if a.annotation}
        body_for_raises = init.body if init else []
        signature = " ".join(
            [*(ast.unparse(b) for b in node.bases), ast.unparse(init.args) if init else ""]
            + [ast.unparse(s) for s in node.body if isinstance(s, ast.AnnAssign)]
        )
        returns_value = is_generator = is_setter = False
        local_names: set[str] = set()
    else:
        args = _params(node, owner is not None)
        params = tuple(a.arg for a in args)
        types = {a.arg: ast.unparse(a.annotation) for a in args if a.annotation}
        body_for_raises = node.body
        returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
        signature = f"({ast.unparse(node.args)}){returns}"
        own = list(own_nodes(node))
        returns_value = any(
            isinstance(n, ast.Return)
            and n.value is not None
            and not (isinstance(n.value, ast.Constant) and n.value.value is None)
            for n in own
        )
        is_generator = any(isinstance(n, ast.Yield | ast.YieldFrom) for n in own)
        is_setter = any(
            isinstance(d, ast.Attribute) and d.attr in ("setter", "deleter")
            for d in node.decorator_list
        )
        declared = {n for s in own if isinstance(s, ast.Global | ast.Nonlocal) for n in s.names}
        local_names = {
            n.id
            for n in own
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id not in params
        } - declared
    related = {id(node), *(id(t) for t in trail)}
    foreign: dict[str, frozenset[str]] = {}
    scopes: list[ast.Module | ast.ClassDef] = [tree, *([owner] if owner is not None else [])]
    for scope in scopes:
        for statement in scope.body:
            if isinstance(statement, Definition) and id(statement) not in related:
                foreign[statement.name] = frozenset(_signature_words(statement))
    return CodeFacts(
        name=name,
        owner=owner.name if owner is not None else None,
        kind="class" if isinstance(node, ast.ClassDef) else "function",
        star_params=frozenset(
            a.arg
            for fn in ([node] if not isinstance(node, ast.ClassDef) else [])
            for a in (fn.args.vararg, fn.args.kwarg)
            if a is not None
        ),
        params=params,
        param_types=types,
        returns_value=returns_value,
        is_generator=is_generator,
        is_setter=is_setter,
        raises=tuple(raise_sites(body_for_raises)),
        locals=frozenset(local_names),
        attributes=frozenset(attributes),
        own_words=frozenset(own_words),
        foreign=foreign,
        private_globals=frozenset(_sentinels(tree)),
        signature=signature,
    )
