"""What the heuristic can state about a definition beyond its name, read from the code alone.

It says only what the code shows: what a generator yields and under which condition, what a
one-expression function or predicate returns, which exceptions are raised and under which whole
condition, what an enum's members are. Where it can state nothing of the kind it stays silent —
"Return the area." or "d: The d." restate the name, and a maintainer should not be asked to
apply them.
"""

from __future__ import annotations

import ast
import re

from codegen_bot.adapters.engines.heuristic import wording as w
from codegen_bot.adapters.engines.heuristic.render import DocParts, Entry
from codegen_bot.refactor.docstrings.code_facts import RaiseSite, own_nodes, raise_sites

_MAX_CODE_CHARS = 60
_PREDICATE_PREFIXES = ("is", "has", "can", "should", "needs", "contains", "supports")


def _code(node: ast.AST, source: str = "") -> str | None:
    """The node as written in `source` (else unparsed), when short and on one line to quote."""
    text = (ast.get_source_segment(source, node) if source else None) or ast.unparse(node)
    if re.search(r"(?<!\w)_[A-Za-z]", text):
        return None  # private names are not the reader's business
    return text if len(text) <= _MAX_CODE_CHARS and "\n" not in text and "`" not in text else None


def _body(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.stmt]:
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        return body[1:]
    return body


def _single_return(function: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.expr | None:
    """The expression of a body that is one `return EXPR`, after guards that only raise.

    A bare name or a constant is no fact worth a docstring.
    """
    body = _body(function)
    guards = [
        s
        for s in body[:-1]
        if isinstance(s, ast.If) and not s.orelse and all(isinstance(b, ast.Raise) for b in s.body)
    ]
    if not body or len(guards) != len(body) - 1:
        return None
    last = body[-1]
    if not isinstance(last, ast.Return) or last.value is None:
        return None
    value = last.value
    if isinstance(value, ast.Name | ast.Constant):
        return None
    return value


def is_predicate(name: str, returns: str | None) -> bool:
    """Whether a name reads as a question: `is_paid`, `isiterable`, `has_items`, or `-> bool`."""
    bare = name.lstrip("_").lower()
    prefixed = any(
        bare.startswith(prefix) and len(bare) > len(prefix) for prefix in _PREDICATE_PREFIXES
    )
    return prefixed or returns == "bool"


def _loop_of(function: ast.AST, target: ast.AST) -> tuple[ast.For | None, list[ast.expr]]:
    """The `for` loop around `target` in the function's own body and the `if` tests between."""
    found: tuple[ast.For | None, list[ast.expr]] = (None, [])

    def visit(statements: list[ast.stmt], loop: ast.For | None, tests: list[ast.expr]) -> bool:
        nonlocal found
        for statement in statements:
            if any(node is target for node in ast.walk(statement)) and isinstance(
                statement, ast.Expr
            ):
                found = (loop, tests)
                return True
            if isinstance(statement, ast.For) and visit(statement.body, statement, []):
                return True
            if isinstance(statement, ast.If) and (
                visit(statement.body, loop, [*tests, statement.test])
                or visit(statement.orelse, None, [])
            ):
                return True
            if isinstance(statement, ast.With | ast.Try) and visit(statement.body, None, []):
                return True
        return False

    visit(list(getattr(function, "body", [])), None, [])
    return found


def _yield_summary(function: ast.FunctionDef | ast.AsyncFunctionDef, module: str) -> str | None:
    yields = [n for n in own_nodes(function) if isinstance(n, ast.Yield | ast.YieldFrom)]
    if len(yields) != 1 or yields[0].value is None:
        return None
    node = yields[0]
    value = _code(node.value, module) if node.value is not None else None
    if value is None:
        return None
    if isinstance(node, ast.YieldFrom):
        return f"Yield every item of `{value}`."
    loop, tests = _loop_of(function, node)
    if loop is None or (loop.orelse or len(tests) > 1):
        return None
    # Only `for x in xs: [if cond:] yield f(x)`: anything else in the loop changes what comes out.
    inner = loop.body[0].body if tests and isinstance(loop.body[0], ast.If) else loop.body
    if len(loop.body) != 1 or len(inner) != 1:
        return None
    source = _code(loop.iter, module)
    if source is None:
        return None
    condition = _code(tests[0], module) if tests else ""
    if condition is None:
        return None
    if ast.unparse(loop.target) == value:
        where = f" where `{condition}`" if condition else ""
        return f"Yield the items of `{source}`{where}."
    # The code itself, as a generator expression, says what comes out and when.
    guard = f" if {condition}" if condition else ""
    expression = f"{value} for {ast.unparse(loop.target)} in {source}{guard}"
    return f"Yield `{expression}`." if len(expression) <= 2 * _MAX_CODE_CHARS else None


def _raise_entry(site: RaiseSite) -> Entry | None:
    if site.always:
        return Entry(site.exception, None, "Always.")
    if site.simple and site.guard and len(site.guard) <= _MAX_CODE_CHARS:
        return Entry(site.exception, None, f"If `{site.guard}`.")
    if site.caught and site.exception not in site.caught and len(site.caught) == 1:
        return Entry(site.exception, None, f"If `{site.caught[0]}` is raised.")
    return None


def _raise_entries(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[Entry]:
    """One entry per exception whose every raise site has a condition the code states whole."""
    by_exception: dict[str, list[RaiseSite]] = {}
    for site in raise_sites(function.body):
        by_exception.setdefault(site.exception, []).append(site)
    entries = []
    for sites in by_exception.values():
        if len(sites) == 1:
            entry = _raise_entry(sites[0])
            if entry is not None:
                entries.append(entry)
    return entries


def _name_summary(name: str, setter: bool) -> str | None:
    """A command from the name alone, without a guessed object: `add_item` → "Add the item".

    A name that is no verb says nothing of what the function does: None.
    """
    parts = w.words(name) or [name]
    head, rest = parts[0], parts[1:]
    if setter:
        return f"Set {w.with_article(parts)}"
    if head in w.VERBS and rest:
        return w.capitalize(f"{head} {w.with_article(rest)}")
    return None  # "Remove unless …" names no object; guessing one is how "Pop `args`." came


def function_claims(
    function: ast.FunctionDef | ast.AsyncFunctionDef, module: str = ""
) -> DocParts | None:
    """What a function's docstring can state from its code; None when nothing beyond the name.

    `module` is the file's source, to quote code as written (else as `ast.unparse` writes it).
    """
    setter = any(
        isinstance(d, ast.Attribute) and d.attr in ("setter", "deleter")
        for d in function.decorator_list
    )
    raises = _raise_entries(function)
    returns = _unparse(function.returns)
    summary: str | None = None
    if any(isinstance(n, ast.Yield | ast.YieldFrom) for n in own_nodes(function)):
        summary = _yield_summary(function, module)
    elif not setter:
        expression = _single_return(function)
        code = _code(expression, module) if expression is not None else None
        if code is not None and is_predicate(function.name, returns):
            summary = f"Return True if `{code}`."
        elif code is not None:
            summary = f"Return `{code}`."
    command = _name_summary(function.name, setter)
    guarded = len(raises) == 1 and not raises[0].description.endswith(("is raised.", "Always."))
    if summary is None and command and guarded:
        guard = raises[0].description.removeprefix("If ").rstrip(".")
        summary = f"{command} unless {guard}."
    if summary is None:
        return None
    return DocParts(summary=summary, raises=raises)


def _unparse(node: ast.AST | None) -> str | None:
    return None if node is None else ast.unparse(node)


def class_claims(node: ast.ClassDef) -> DocParts | None:
    """An enum's members are a fact beyond its name; other classes get no heuristic docstring."""
    short_bases = {ast.unparse(b).rsplit(".", 1)[-1] for b in node.bases}
    if not short_bases & {"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"}:
        return None
    members = [
        target.id
        for statement in node.body
        if isinstance(statement, ast.Assign)
        for target in statement.targets
        if isinstance(target, ast.Name) and not target.id.startswith("_")
    ]
    if not members:
        return None
    return DocParts(
        summary=w.sentence(f"{w.class_phrase(node.name)}: one of {w.listing(members, 'or')}")
    )
