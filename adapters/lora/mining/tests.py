"""Test pairs: a function → the repository's own test functions that call it.

Calls are found statically in the test files and resolved through their imports; when coverage
data with per-test contexts is available, a pair is kept only if the test really ran the function.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import libcst as cst

from codegen_bot.adapters.lora.mining.records import Row
from codegen_bot.adapters.prompts.code_context import module_imports
from codegen_bot.refactor.targets import Target, find_definitions, is_test_file

#: (test path, test name, function path, first line, last line) → did the test run those lines?
CoverageCheck = Callable[[str, str, str, int, int], bool]
_MIN_UNIQUE_NAME = 4  # `get`, `run`: too common to resolve by name alone


@dataclass(frozen=True)
class _Test:
    path: str
    name: str
    code: str
    calls: frozenset[str]
    imported_modules: frozenset[str]


def _module_of(path: str) -> str:
    """`src/pkg/mod.py` → `pkg.mod` (a `src/` folder is not part of the import name)."""
    dotted = path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
    return dotted.removeprefix("src.")


def _tests_in(path: str, source: str) -> Iterator[_Test]:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    lines = source.splitlines(keepends=True)
    candidates = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name.startswith("Test")):
        candidates += [n for n in cls.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    for node in candidates:
        if not node.name.startswith("test"):
            continue
        calls = set()
        for inner in ast.walk(node):
            if isinstance(inner, ast.Call):
                func = inner.func
                if isinstance(func, ast.Name):
                    calls.add(func.id)
                elif isinstance(func, ast.Attribute):
                    calls.add(func.attr)
        start = min([node.lineno] + [d.lineno for d in node.decorator_list])
        code = "".join(lines[start - 1 : node.end_lineno])
        yield _Test(path, node.name, code, frozenset(calls), frozenset(modules))


def _resolve(name: str, test: _Test, index: Mapping[str, list[Target]]) -> Target | None:
    defined = index.get(name, [])
    for target in defined:
        module = _module_of(target.path)
        if module in test.imported_modules or f"{module}.{name}" in test.imported_modules:
            return target
    if len(defined) == 1 and len(name) >= _MIN_UNIQUE_NAME:
        return defined[0]
    return None


def tests_rows(
    snapshot: Mapping[str, str],
    commit_of: Callable[[str], str],
    covered: CoverageCheck | None = None,
) -> Iterator[Row]:
    """Pairs of (function, test that calls it) from the files at one revision."""
    index: dict[str, list[Target]] = {}
    for path, source in snapshot.items():
        if is_test_file(path) or not path.endswith(".py"):
            continue
        try:
            definitions = find_definitions(path, source)
        except cst.ParserSyntaxError:
            continue
        for definition in definitions:
            if definition.kind != "class" and definition.is_public and not definition.is_dunder:
                index.setdefault(definition.name, []).append(definition)
    for path, source in sorted(snapshot.items()):
        if not (is_test_file(path) and path.endswith(".py")):
            continue
        imports = module_imports(source)  # whole statements, `from x import (a, b)` too
        for test in _tests_in(path, source):
            for name in sorted(test.calls):
                target = _resolve(name, test, index)
                if target is None:
                    continue
                if covered is not None and not covered(
                    path, test.name, target.path, target.start, target.end
                ):
                    continue
                yield Row(
                    task="tests",
                    path=target.path,
                    symbol=target.qualname,
                    commit=commit_of(path),
                    input=target.code,
                    output=test.code,
                    origin="tests",
                    context=imports,
                    source=target.source,
                )
