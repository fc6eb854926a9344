"""Find the functions, methods and classes that a diff adds or changes, with exact line spans."""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, cast

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from codegen_bot.refactor.diffs import FileChanges
from codegen_bot.refactor.patches import git_lines

Kind = Literal["function", "method", "class"]

_PROPERTY_DECORATORS = {"property", "cached_property", "functools.cached_property"}
_OVERLOAD_DECORATORS = {"overload", "typing.overload", "typing_extensions.overload"}


@dataclass(frozen=True)
class Target:
    """A definition the diff touched, located in the new revision of its file.

    Lines are 1-based and inclusive. `start` is the first decorator's line (or the `def`/`class`
    line), `header_end` the line holding the colon that ends the signature, `end` the last line
    of the body.
    """

    path: str
    qualname: str
    kind: Kind
    start: int
    def_line: int
    header_end: int
    end: int
    is_async: bool
    has_docstring: bool
    decorators: tuple[str, ...]
    change: Literal["added", "modified"]
    code: str
    #: The whole file the target lives in, for engines that want more context.
    source: str = field(repr=False, compare=False)
    #: Names of the enclosing classes, outermost first.
    enclosing_classes: tuple[str, ...] = ()
    #: The body is a single `return` statement (after any docstring).
    returns_only: bool = False

    @property
    def name(self) -> str:
        """The bare name of the definition."""
        return self.qualname.rsplit(".", 1)[-1]

    @property
    def is_dunder(self) -> bool:
        """Whether the name is a special method such as `__init__`."""
        return self.name.startswith("__") and self.name.endswith("__") and len(self.name) > 4

    @property
    def is_public(self) -> bool:
        """Whether the target and every enclosing class has a public name (dunders count)."""
        names = [*self.enclosing_classes, self.name]
        return not any(part.startswith("_") for part in names if not _is_dunder(part))

    @property
    def is_overload(self) -> bool:
        """Whether the target is a `typing.overload` stub."""
        return any(d in _OVERLOAD_DECORATORS for d in self.decorators)

    @property
    def is_trivial_property(self) -> bool:
        """Whether the target is a property getter whose body is one `return`."""
        return self.returns_only and any(d in _PROPERTY_DECORATORS for d in self.decorators)


def snake_case(name: str) -> str:
    """`BarrelList` -> `barrel_list`: the spelling of a definition's name in test names."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def top_level_names(source: str) -> set[str]:
    """Names a file defines at its top level (functions, classes, plain assignments).

    A file that does not parse defines none.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found |= {t.id for t in targets if isinstance(t, ast.Name)}
    return found


def is_test_file(path: str) -> bool:
    """Whether `path` is test code by the usual pytest conventions."""
    name = path.rsplit("/", 1)[-1]
    parts = path.split("/")[:-1]
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
        or any(part in {"tests", "test", "testing"} for part in parts)
    )


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__") and len(name) > 4


def dotted_name(node: cst.BaseExpression) -> str:
    """Return `a.b.c` for a name or attribute chain, the callee's name for a call, else ``""``."""
    if isinstance(node, cst.Call):
        return dotted_name(node.func)
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted_name(node.value)
        return f"{head}.{node.attr.value}" if head else ""
    return ""


def body_statements(node: cst.FunctionDef | cst.ClassDef) -> Sequence[cst.CSTNode]:
    """Return the statements of a definition's body, for both block and one-line bodies."""
    return node.body.body


def _returns_only(node: cst.FunctionDef) -> bool:
    statements = list(body_statements(node))
    if statements and node.get_docstring() is not None:
        statements = statements[1:]
    if len(statements) != 1:
        return False
    only = statements[0]
    if isinstance(only, cst.SimpleStatementLine):
        return len(only.body) == 1 and isinstance(only.body[0], cst.Return)
    return isinstance(only, cst.Return)


class _Collector(cst.CSTVisitor):
    """Collects module-level functions, classes and methods (not functions inside functions)."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[cst.FunctionDef | cst.ClassDef, tuple[str, ...], CodeRange]] = []
        self._classes: list[str] = []
        self._function_depth = 0

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        if self._function_depth == 0:
            self.found.append(
                (node, tuple(self._classes), self.get_metadata(PositionProvider, node))
            )
        self._classes.append(node.name.value)
        return True

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        if self._function_depth == 0:
            self.found.append(
                (node, tuple(self._classes), self.get_metadata(PositionProvider, node))
            )
        self._function_depth += 1
        return True

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._function_depth -= 1


def _header_end(
    node: cst.FunctionDef | cst.ClassDef, position: Mapping[cst.CSTNode, CodeRange]
) -> int:
    """The line of the colon ending the signature, counted back from the body's first line."""
    body = node.body
    if isinstance(body, cst.SimpleStatementSuite):
        return position[body].start.line
    # An indented block's statements are lines or compound statements: both carry leading_lines.
    first = cast("cst.SimpleStatementLine | cst.BaseCompoundStatement", body.body[0])
    return position[first].start.line - len(first.leading_lines) - 1


def find_definitions(path: str, source: str) -> list[Target]:
    """Return every function, method and class of a module, each with its spans.

    Raises `libcst.ParserSyntaxError` when the source does not parse.
    """
    wrapper = MetadataWrapper(cst.parse_module(source))
    collector = _Collector()
    wrapper.visit(collector)
    positions = wrapper.resolve(PositionProvider)
    lines = git_lines(source)
    targets = []
    for node, classes, code_range in collector.found:
        start = min([code_range.start.line] + [positions[d].start.line for d in node.decorators])
        end = code_range.end.line
        if isinstance(node, cst.ClassDef):
            kind: Kind = "class"
        else:
            kind = "method" if classes else "function"
        targets.append(
            Target(
                path=path,
                qualname=".".join([*classes, node.name.value]),
                kind=kind,
                start=start,
                def_line=code_range.start.line,
                header_end=_header_end(node, positions),
                end=end,
                is_async=isinstance(node, cst.FunctionDef) and node.asynchronous is not None,
                has_docstring=node.get_docstring() is not None,
                decorators=tuple(dotted_name(d.decorator) for d in node.decorators),
                change="modified",
                code="".join(lines[start - 1 : end]),
                source=source,
                enclosing_classes=classes,
                returns_only=isinstance(node, cst.FunctionDef) and _returns_only(node),
            )
        )
    return targets


def _own_lines(target: Target, inner: list[Target]) -> tuple[int, int, list[tuple[int, int]]]:
    """The span of `target` and the spans of definitions nested directly in it."""
    nested = [
        (t.start, t.end)
        for t in inner
        if t is not target and target.start <= t.start and t.end <= target.end
    ]
    return target.start, target.end, nested


def touched_definitions(path: str, source: str, changes: FileChanges) -> list[Target]:
    """Return the definitions of `source` that `changes` adds or modifies.

    A function or method is touched when a changed line falls anywhere in it. A class is touched
    only when a changed line falls in its own lines (its header, attributes, decorators), not
    just inside one of its methods: adding a method is not a change to the class's contract.
    """
    definitions = find_definitions(path, source)
    touched = []
    for target in definitions:
        start, end, nested = _own_lines(target, definitions)
        if target.kind == "class":
            own = [
                line for line in range(start, end + 1) if not any(a <= line <= b for a, b in nested)
            ]
            hit = any(changes.touches(line, line) for line in own)
        else:
            hit = changes.touches(start, end)
        if not hit:
            continue
        added = all(line in changes.added for line in range(start, end + 1))
        touched.append(replace(target, change="added" if added else "modified"))
    return touched
