"""The one addition made to a model's test module: the import of what it tests.

Told that the target is "importable as `pkg.mod`", a small model often calls `BarrelList(...)`
and never imports it (ruff: F821 undefined name). Such a module gets
`from pkg.mod import BarrelList`, and nothing else: only names that the target's own file
defines at its top level, that the module reads and never binds. Every gate still judges the
result.
"""

from __future__ import annotations

import ast
import builtins

from codegen_bot.adapters.prompts.code_context import module_name
from codegen_bot.refactor.targets import Target, top_level_names


def _bound_names(tree: ast.Module) -> set[str]:
    """Every name the module binds anywhere: imports, definitions, arguments, assignments."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            bound |= set(node.names)
        elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            bound.add(node.name)
    return bound


def with_target_imports(code: str, target: Target) -> str:
    """`code`, with the names of the target's file it reads unbound imported from that file."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code
    defined = top_level_names(target.source)
    if any(isinstance(n, ast.ImportFrom) and n.names[0].name == "*" for n in ast.walk(tree)):
        return code  # a star import may bind anything
    read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    missing = sorted((read - _bound_names(tree) - set(dir(builtins))) & defined)
    if not missing:
        return code
    # After the module docstring and `from __future__` imports; ruff sorts it afterwards.
    after = 0
    for node in tree.body:
        docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if not (docstring or future):
            break
        after = node.end_lineno or after
    lines = code.splitlines(keepends=True)
    statement = f"from {module_name(target.path)} import {', '.join(missing)}\n"
    return "".join([*lines[:after], statement, *lines[after:]])
