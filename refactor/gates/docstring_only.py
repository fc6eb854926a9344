"""Gate 3 for docstring edits: with docstrings removed, the module's AST is unchanged.

This proves a docstring edit cannot change behaviour, so it needs no test run.
"""

from __future__ import annotations

import ast
import functools

from codegen_bot.refactor.gates.verdict import Verdict, timed

_HAS_DOCSTRING = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


@functools.lru_cache(maxsize=16)  # the `before` side repeats for every proposal in a file
def _without_docstrings(source: str) -> str:
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, _HAS_DOCSTRING) and ast.get_docstring(node, clean=False) is not None:
            node.body = node.body[1:]
    return ast.dump(tree, annotate_fields=True, include_attributes=False)


def check_docstring_only(before: str, after: str) -> Verdict:
    """Pass when `before` and `after` differ in docstrings alone."""

    def check() -> str | None:
        """Why the edit changes more than docstrings, or None."""
        try:
            same = _without_docstrings(before) == _without_docstrings(after)
        except SyntaxError as error:
            return f"does not parse: {error}"
        return None if same else "the edit changes code, not only docstrings"

    return timed("docstring-only", check)
