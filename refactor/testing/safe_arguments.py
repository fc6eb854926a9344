"""Which argument expressions a generated test may write verbatim, and the imports they need.

An example call is run in the sandbox and its text becomes a test line, so its arguments must
mean the same in the test as where they were found. Besides literals these are: pure builtins
(`len`, `sorted`, `range(5)`...), attributes of a few pure standard modules the source imports
(`operator.add`, or `add` from `from operator import add`), lambdas whose bodies use only their
parameters, literals and those, names the target's own module defines publicly, and a
one-line `def f(x): return EXPR` or a `name = VALUE` of such parts in the same file or
doctest, written back as that lambda or value.
Anything else (other names, attributes of objects, comprehensions, awaits) keeps a call out.
Pure functions of syntax trees.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterable
from dataclasses import dataclass, field

#: `(module, name)`: `from module import name`; `(module, "")`: `import module`. The module
#: "" stands for the target's own module.
Import = tuple[str, str]

#: Builtins without side effects that a test may name or call.
SAFE_BUILTINS = frozenset(
    "abs all any ascii bin bool bytes callable chr complex dict divmod enumerate filter float "
    "format frozenset hex int isinstance issubclass iter len list map max min next oct "
    "ord pow range repr reversed round set slice sorted str sum tuple type zip".split()
)
#: Standard modules whose attributes are pure values or functions.
PURE_MODULES = frozenset(
    "bisect cmath collections datetime decimal fractions functools heapq itertools math "
    "operator re statistics string textwrap unicodedata".split()
)
_MAX_DEPTH = 40


@dataclass(frozen=True)
class Scope:
    """The names a source binds that an example may use, and what each stands for."""

    #: name -> what the test imports to bind it the same way
    imported: dict[str, Import] = field(default_factory=dict)
    #: name -> what it is written back as: the lambda of a one-line `def`, or the value of a
    #: `name = VALUE` of safe parts
    inlined: dict[str, ast.expr] = field(default_factory=dict)
    #: names bound some other way (`sum = partial(...)`): unsafe even when a builtin's name
    shadowed: set[str] = field(default_factory=set)


def module_scope(
    statements: Iterable[ast.stmt], *, own_modules: Iterable[str] = (), public: Iterable[str] = ()
) -> Scope:
    """What the top-level `statements` bind that examples may use.

    `import M` / `from M import x` count for the pure standard modules; `from P import x` counts
    when P is the target's module (or a package above it, `own_modules`) and the target's module
    defines `x` publicly (`public`); a `def` whose body is one `return EXPR` of safe parts counts
    as that lambda. A later binding of a name replaces (or, when unsafe, removes) an earlier one.
    """
    owned, defined = set(own_modules), set(public)
    scope = Scope()
    for statement in statements:
        for name in _bound_names(statement):
            scope.imported.pop(name, None)
            scope.inlined.pop(name, None)
            scope.shadowed.add(name)
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                if alias.name in PURE_MODULES and alias.asname is None:
                    scope.imported[alias.name] = (alias.name, "")
                    scope.shadowed.discard(alias.name)
        elif isinstance(statement, ast.ImportFrom) and statement.level == 0 and statement.module:
            for alias in statement.names:
                if alias.asname is not None or alias.name == "*":
                    continue
                if statement.module in PURE_MODULES:
                    scope.imported[alias.name] = (statement.module, alias.name)
                elif statement.module in owned and alias.name in defined:
                    scope.imported[alias.name] = ("", alias.name)
                else:
                    continue
                scope.shadowed.discard(alias.name)
        elif isinstance(statement, ast.FunctionDef):
            inlined = _as_lambda(statement, scope)
            if inlined is not None:
                scope.inlined[statement.name] = inlined
                scope.shadowed.discard(statement.name)
        elif (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
            and safe_imports(statement.value, scope, frozenset()) is not None
        ):
            name = statement.targets[0].id
            scope.inlined[name] = inline(statement.value, scope)
            scope.shadowed.discard(name)
    return scope


def _bound_names(statement: ast.stmt) -> set[str]:
    if isinstance(statement, ast.Import | ast.ImportFrom):
        return {(a.asname or a.name).split(".")[0] for a in statement.names}
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {statement.name}
    return {
        n.id
        for n in ast.walk(statement)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }


def _as_lambda(function: ast.FunctionDef, scope: Scope) -> ast.Lambda | None:
    body = [s for s in function.body if not _is_docstring(s)]
    if function.decorator_list or len(body) != 1 or not isinstance(body[0], ast.Return):
        return None
    value = body[0].value
    arguments = function.args
    if value is None or arguments.defaults or arguments.kw_defaults or arguments.kwonlyargs:
        return None
    used = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
    if function.name in used or used & set(scope.inlined):
        return None  # recursive, or built on another inlined def: not one self-contained lambda
    lam = ast.Lambda(args=_plain_arguments(arguments), body=value)
    return lam if safe_imports(lam, scope, frozenset()) is not None else None


def _plain_arguments(arguments: ast.arguments) -> ast.arguments:
    """The same parameters without annotations (a lambda cannot carry them)."""

    def plain(items: list[ast.arg]) -> list[ast.arg]:
        return [ast.arg(arg=a.arg) for a in items]

    return ast.arguments(
        posonlyargs=plain(arguments.posonlyargs),
        args=plain(arguments.args),
        vararg=ast.arg(arg=arguments.vararg.arg) if arguments.vararg else None,
        kwonlyargs=[],
        kw_defaults=[],
        kwarg=ast.arg(arg=arguments.kwarg.arg) if arguments.kwarg else None,
        defaults=[],
    )


def _is_docstring(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)


def safe_imports(
    node: ast.AST, scope: Scope, local: frozenset[str], depth: int = 0
) -> set[Import] | None:
    """The imports `node` needs when a test may write it verbatim; None when it may not.

    `local` holds the parameters of the lambdas around `node`. A name of `scope.inlined` is
    allowed here and must be substituted (`inline`) before the text is written.
    """
    if depth > _MAX_DEPTH:
        return None
    needed: set[Import] = set()

    def visit(child: ast.AST, names: frozenset[str] = local) -> bool:
        found = safe_imports(child, scope, names, depth + 1)
        if found is None:
            return False
        needed.update(found)
        return True

    match node:
        case ast.Constant():
            return needed
        case ast.Name(id=name, ctx=ast.Load()):
            if name in local:
                return needed
            if name in scope.shadowed:
                return None
            if name in scope.inlined:
                return safe_imports(scope.inlined[name], scope, frozenset(), depth + 1)
            if name in scope.imported:
                return {scope.imported[name]}
            return needed if name in SAFE_BUILTINS else None
        case ast.Attribute(value=ast.Name(id=owner), attr=attr, ctx=ast.Load()):
            if attr.startswith("_") or owner in local or owner in scope.shadowed:
                return None
            if scope.imported.get(owner) == (owner, ""):
                return {(owner, "")}
            # methods of builtin types (`str.upper`) are pure as well
            return needed if owner in ("str", "bytes", "int", "float", "dict", "list") else None
        case ast.Lambda(args=arguments, body=body):
            if arguments.defaults or arguments.kw_defaults:
                return None
            params = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
            params += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
            return needed if visit(body, local | {a.arg for a in params}) else None
        case ast.Call(func=func, args=args, keywords=keywords):
            parts = [func, *args, *(k.value for k in keywords)]
            if any(k.arg is None for k in keywords) or any(
                isinstance(a, ast.Starred) for a in args
            ):
                return None
            return needed if all(visit(p) for p in parts) else None
        case ast.List() | ast.Tuple() | ast.Set():
            return needed if all(visit(e) for e in node.elts) else None
        case ast.Dict(keys=keys, values=values):
            return (
                needed
                if all(k is not None and visit(k) for k in keys) and all(visit(v) for v in values)
                else None
            )
        case ast.BinOp(left=left, right=right) | ast.Compare(left=left, comparators=[right]):
            return needed if visit(left) and visit(right) else None
        case ast.Compare(left=left, comparators=rest):
            return needed if visit(left) and all(visit(r) for r in rest) else None
        case ast.UnaryOp(operand=operand):
            return needed if visit(operand) else None
        case ast.BoolOp(values=values):
            return needed if all(visit(v) for v in values) else None
        case ast.IfExp(test=test, body=body, orelse=orelse):
            return needed if visit(test) and visit(body) and visit(orelse) else None
        case ast.Subscript(value=value, slice=index, ctx=ast.Load()):
            return needed if visit(value) and visit(index) else None
        case ast.Slice(lower=lower, upper=upper, step=step):
            parts = [p for p in (lower, upper, step) if p is not None]
            return needed if all(visit(p) for p in parts) else None
    return None


def inline(node: ast.expr, scope: Scope) -> ast.expr:
    """`node` with each name of `scope.inlined` replaced by what it stands for (a new tree)."""

    class Inliner(ast.NodeTransformer):
        def visit_Name(self, name: ast.Name) -> ast.AST:
            value = scope.inlined.get(name.id)
            return copy.deepcopy(value) if value is not None else name

    copied = ast.parse(ast.unparse(node), mode="eval").body
    return ast.fix_missing_locations(Inliner().visit(copied))
