"""Insert a docstring into one function or class, leaving every other byte of the file alone."""

from __future__ import annotations

import ast
import functools
from typing import cast

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from codegen_bot.refactor.results import Failure, Result, Skip, Success

# The statements of an indented block: both kinds carry leading_lines.
_Statement = cst.SimpleStatementLine | cst.BaseCompoundStatement


def _quote_style(source: str) -> str:
    """Triple double quotes (PEP 257) unless the file's docstrings use triple single quotes."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return '"""'
    lines = source.split("\n")  # git's lines, as the AST counts them (no lone CR here)
    singles = doubles = 0
    for node in ast.walk(tree):
        if not isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if ast.get_docstring(node, clean=False) is None:
            continue
        literal = node.body[0]
        opening = lines[literal.lineno - 1][literal.col_offset :].lstrip("rRuU")
        singles += opening.startswith("'''")
        doubles += opening.startswith('"""')
    return "'''" if singles > doubles else '"""'


def _reindent(line: str, unit: str) -> str:
    """Rewrite a line's leading four-space steps (the engines' unit) in the file's own unit."""
    stripped = line.lstrip(" ")
    steps, extra = divmod(len(line) - len(stripped), 4)
    return unit * steps + " " * extra + stripped


def render_literal(
    text: str, indent: str, newline: str, quotes: str, unit: str = "    "
) -> Result[str]:
    """Return the docstring literal for `text`: summary on the first line, the rest indented.

    `indent` is the body's indentation, `unit` the file's indentation step (engines write
    nested lines with four spaces a step). Raw-string prefixed when the text holds a backslash,
    so that it reads as written.
    """
    if quotes in text:
        return Failure(f"the docstring contains {quotes}, which cannot be quoted")
    if text.endswith(quotes[0]):
        return Failure("the docstring ends with a quote character")
    lines = text.strip("\n").split("\n")
    prefix = "r" if "\\" in text else ""
    if len(lines) == 1:
        return Success(f"{prefix}{quotes}{lines[0]}{quotes}")
    rest = [f"{indent}{_reindent(line, unit)}" if line.strip() else "" for line in lines[1:]]
    body = newline.join([lines[0], *rest, f"{indent}{quotes}"])
    return Success(f"{prefix}{quotes}{body}")


def _starts_with_blank(statement: _Statement) -> bool:
    lines = statement.leading_lines
    return bool(lines) and lines[0].comment is None


class _InsertDocstring(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(
        self, module: cst.Module, def_line: int, name: str, text: str, quotes: str
    ) -> None:
        super().__init__()
        self.module = module
        self.def_line = def_line
        self.name = name
        self.text = text
        self.quotes = quotes
        self.indents: list[str] = []
        self.result: Result[None] = Failure(f"no definition named {name!r} on line {def_line}")
        self._body_indent: str | None = None

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self.indents.append(node.indent if node.indent is not None else self.module.default_indent)

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.BaseSuite:
        self.indents.pop()
        return updated_node

    def _is_target(self, node: cst.FunctionDef | cst.ClassDef) -> bool:
        position = self.get_metadata(PositionProvider, node)
        return node.name.value == self.name and position.start.line == self.def_line

    def _visit_definition(self, node: cst.FunctionDef | cst.ClassDef) -> bool:
        if self._is_target(node):
            own = node.body.indent if isinstance(node.body, cst.IndentedBlock) else None
            step = own if own is not None else self.module.default_indent
            self._body_indent = "".join(self.indents) + step
            return True
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        # Targets are never inside functions, so their bodies need no visit (a large saving).
        return self._visit_definition(node)

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self._visit_definition(node)
        return True

    def _leave_definition(
        self, original: cst.FunctionDef | cst.ClassDef, updated: cst.FunctionDef | cst.ClassDef
    ) -> cst.FunctionDef | cst.ClassDef:
        if not self._is_target(original) or self._body_indent is None:
            return updated
        if original.get_docstring() is not None:
            self.result = Skip(f"{self.name} already has a docstring")
            return updated
        literal = render_literal(
            self.text,
            self._body_indent,
            self.module.default_newline,
            self.quotes,
            self.module.default_indent,
        )
        if not isinstance(literal, Success):
            self.result = literal
            return updated
        docstring = cst.SimpleStatementLine(body=[cst.Expr(cst.SimpleString(literal.value))])
        body = updated.body
        if isinstance(body, cst.SimpleStatementSuite):
            # `def f(): return 1` becomes a block: the docstring, then the old one-line body.
            statement = cst.SimpleStatementLine(
                body=body.body, trailing_whitespace=body.trailing_whitespace
            )
            new_body: cst.BaseSuite = cst.IndentedBlock(body=[docstring, statement])
        else:
            rest = cast("list[_Statement]", list(body.body))
            if isinstance(original, cst.ClassDef) and not _starts_with_blank(rest[0]):
                # PEP 257: a blank line after a class docstring sets it off from the members.
                rest[0] = rest[0].with_changes(
                    leading_lines=[cst.EmptyLine(indent=False), *rest[0].leading_lines]
                )
            new_body = body.with_changes(body=[docstring, *rest])
        self.result = Success(None)
        return updated.with_changes(body=new_body)

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef | cst.ClassDef:
        return self._leave_definition(original_node, updated_node)

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.FunctionDef | cst.ClassDef:
        return self._leave_definition(original_node, updated_node)


def insert_docstring(source: str, def_line: int, name: str, text: str) -> Result[str]:
    """Return `source` with `text` as the docstring of the definition `name` on `def_line`.

    The docstring goes right after the signature, indented like the body, in the quote style
    the file already uses. A one-line body (`def f(): return 1`) is moved onto its own line.
    Fails when the file does not parse or holds no such definition; skips when the definition
    already has a docstring.
    """
    if not text.strip():
        return Failure("the docstring is empty")
    try:
        module, wrapper, quotes = _parsed(source)
    except cst.ParserSyntaxError as error:
        return Failure(f"the file does not parse: {error.message} (line {error.raw_line})")
    transformer = _InsertDocstring(module, def_line, name, text, quotes)
    new_module = wrapper.visit(transformer)
    match transformer.result:
        case Success():
            return Success(new_module.code)
        case other:
            return other


@functools.lru_cache(maxsize=8)
def _parsed(source: str) -> tuple[cst.Module, MetadataWrapper, str]:
    """Parse once per file: proposals for several definitions of one file share the tree.

    LibCST trees are immutable and the wrapper keeps its resolved positions, so reuse is safe.
    """
    module = cst.parse_module(source)
    return module, MetadataWrapper(module, unsafe_skip_copy=True), _quote_style(source)
