"""Remove the imports an edit left unused — and only those, never ones unused before it.

Changing `def f(x: List[int])` to `def f(x: list[int])` can leave `from typing import List`
unused, which ruff would count as a new violation (F401) of the edit. LibCST's
`GatherUnusedImportsVisitor` lists the unused imports of the file before and after the edit;
those unused only after it are handed to `RemoveImportsVisitor`, which removes an import only
if nothing in the module still uses it. Imports the repository had left unused stay as they are.
"""

from __future__ import annotations

import ast
import functools
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import GatherUnusedImportsVisitor, RemoveImportsVisitor
from libcst.helpers import get_absolute_module_from_package_for_import
from libcst.metadata import MetadataWrapper

from codegen_bot.refactor.results import Failure, Result, Success

#: (module, name, alias) as `RemoveImportsVisitor` takes them: `import a.b as c` is
#: ("a.b", None, "c"), `from a import b` is ("a", "b", None).
ImportName = tuple[str, str | None, str | None]
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def package_of(path: str) -> str:
    """The dotted package a file lives in (`shop/money.py` → `shop`), for relative imports."""
    parts = PurePosixPath(path).parts[:-1]
    return ".".join(parts) if all(part.isidentifier() for part in parts) else ""


@functools.lru_cache(maxsize=64)  # the base file is asked about once per change to it
def unused_imports(source: str, package: str) -> frozenset[ImportName]:
    """The imports of `source` that nothing in it uses (`__all__` and string annotations count).

    Raises `libcst.ParserSyntaxError` when the source does not parse.
    """
    wrapper = MetadataWrapper(cst.parse_module(source))
    wrapper.resolve_many(GatherUnusedImportsVisitor.METADATA_DEPENDENCIES)
    gather = GatherUnusedImportsVisitor(
        CodemodContext(wrapper=wrapper, full_package_name=package or None)
    )
    wrapper.module.visit(gather)
    found: set[ImportName] = set()
    for alias, node in gather.unused_imports:
        if isinstance(node, cst.Import):
            found.add((alias.evaluated_name, None, alias.evaluated_alias))
            continue
        module = get_absolute_module_from_package_for_import(package or None, node)
        if module is not None:  # a relative import above the top package: left alone
            found.add((module, alias.evaluated_name, alias.evaluated_alias))
    return frozenset(found)


def _imported_names(source: str) -> set[str]:
    """The names import statements bind anywhere in `source` (`import a.b` binds `a`)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set(_NAME.findall(source))  # cannot tell: assume any name may be imported
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                names.add(alias.asname or alias.name.split(".")[0])
    return names


def describe(name: ImportName) -> str:
    """`typing.List`, `os`, `numpy as np`: how the report names a removed import."""
    module, obj, alias = name
    text = f"{module}.{obj}" if obj else module
    return f"{text} as {alias}" if alias else text


def _blank(lines: Sequence[cst.EmptyLine]) -> int:
    """How many blank lines (without a comment) start `lines`."""
    count = 0
    for line in lines:
        if line.comment is not None:
            break
        count += 1
    return count


class _RemoveImports(RemoveImportsVisitor):
    """`RemoveImportsVisitor` that keeps the blank lines above an import line it removes.

    LibCST drops a removed line's leading blank lines with it, which would glue the next
    statement to the one before (a module docstring and the remaining imports, say); those
    blank lines are handed to the next statement instead, if it has fewer of its own.
    """

    def __init__(self, context: CodemodContext, names: Sequence[ImportName]) -> None:
        super().__init__(context, names)
        self._owed = 0
        self._due: dict[int, int] = {}

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self._owed and isinstance(node, cst.SimpleStatementLine | cst.BaseCompoundStatement):
            self._due[id(node)] = self._owed
            self._owed = 0
        return super().on_visit(node)

    def on_leave(self, original_node: cst.CSTNode, updated_node: Any) -> Any:
        updated = super().on_leave(original_node, updated_node)
        due = self._due.pop(id(original_node), 0)
        if isinstance(
            updated, cst.SimpleStatementLine | cst.BaseCompoundStatement
        ) and due > _blank(updated.leading_lines):
            extra = [cst.EmptyLine()] * (due - _blank(updated.leading_lines))
            updated = updated.with_changes(leading_lines=[*extra, *updated.leading_lines])
        return updated

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        if original_node.body and not updated_node.body:  # every import on the line went
            self._owed = max(self._owed, _blank(original_node.leading_lines))
            return cst.RemoveFromParent()
        return updated_node


def remove_newly_unused(
    before: str, after: str, path: str
) -> Result[tuple[str, tuple[ImportName, ...]]]:
    """Return `after` without the imports that `before` used and `after` no longer does.

    Also returns which imports were removed (sorted). Fails when either text does not parse.
    """
    # An import becomes unused only if a name it binds occurs less often: skip LibCST's scope
    # analysis (seconds on a large file) when none does.
    fewer = Counter(_NAME.findall(before)) - Counter(_NAME.findall(after))
    if not fewer.keys() & _imported_names(before):
        return Success((after, ()))
    package = package_of(path)
    try:
        newly = sorted(
            unused_imports(after, package) - unused_imports(before, package),
            key=lambda n: (n[0], n[1] or "", n[2] or ""),
        )
    except cst.ParserSyntaxError as error:
        return Failure(f"cannot look for unused imports: {error.message} (line {error.raw_line})")
    if not newly:
        return Success((after, ()))
    context = CodemodContext(full_package_name=package or None)
    cleaned = _RemoveImports(context, newly).transform_module(cst.parse_module(after))
    return Success((cleaned.code, tuple(newly)))
