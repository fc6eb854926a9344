"""Pick a repository's own docstrings and tests to show a model how this repository writes them."""

from __future__ import annotations

import ast
from collections.abc import Iterable

from codegen_bot.refactor.docstrings.examples import has_examples
from codegen_bot.refactor.docstrings.style import Style, classify

#: Longer docstrings cost more context than they teach.
MAX_EXAMPLE_LINES = 24
#: Test modules longer than this are cut at a top-level boundary.
MAX_TEST_EXAMPLE_CHARS = 4000


def _snippet(lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> str:
    """The definition's decorators, signature and docstring, without its body."""
    start = min([node.lineno] + [d.lineno for d in node.decorator_list])
    doc = node.body[0]
    return "\n".join(lines[start - 1 : doc.end_lineno])


def pick_docstring_examples(
    files: Iterable[tuple[str, str]], style: Style, limit: int = 2
) -> tuple[str, ...]:
    """Up to `limit` snippets (signature and docstring) from `files` that follow `style`.

    Functions with sections in the repository's convention are preferred, then ones without
    doctest examples, then shorter ones;
    among equals the order of `files` decides, so put the nearest file first.
    """
    scored: list[tuple[int, int, int, str]] = []
    for order, (_, text) in enumerate(files):
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        lines = text.splitlines()
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            docstring = ast.get_docstring(node, clean=True)
            if not docstring or node.name.startswith("_"):
                continue
            snippet = _snippet(lines, node)
            size = snippet.count("\n") + 1
            if size > MAX_EXAMPLE_LINES:
                continue
            convention = classify(docstring)
            if convention not in (style, None):
                continue
            rank = 0 if convention == style else 1
            if isinstance(node, ast.ClassDef):
                rank += 1
            if has_examples(docstring):
                rank += 2  # a model shown examples writes examples, which are refused
            scored.append((rank, order, size, snippet))
    scored.sort(key=lambda item: item[:3])
    chosen: list[str] = []
    for *_, snippet in scored:
        if snippet not in chosen:
            chosen.append(snippet)
        if len(chosen) == limit:
            break
    return tuple(chosen)


def pick_test_example(files: Iterable[tuple[str, str]]) -> tuple[str, str] | None:
    """A test module to imitate: the shortest one with at least two tests, else any with one.

    A long module is cut after the last top-level statement that fits `MAX_TEST_EXAMPLE_CHARS`.
    """
    best: tuple[int, int, str, str] | None = None
    for path, text in files:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        tests = [
            node
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name.startswith("test")
        ]
        if not tests:
            continue
        key = (0 if len(tests) >= 2 else 1, len(text))
        if best is None or key < best[:2]:
            best = (*key, path, _cut(text, tree))
    return None if best is None else (best[2], best[3])


def _cut(text: str, tree: ast.Module) -> str:
    if len(text) <= MAX_TEST_EXAMPLE_CHARS:
        return text
    lines = text.splitlines(keepends=True)
    kept = ""
    for node in tree.body:
        candidate = "".join(lines[: node.end_lineno])
        if len(candidate) > MAX_TEST_EXAMPLE_CHARS:
            break
        kept = candidate
    return kept
