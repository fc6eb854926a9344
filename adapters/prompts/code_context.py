"""The code around a target that a model needs: its header, imports, class and neighbours.

Pure functions of a target and its file's text; the prompt builder decides what fits.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache
from textwrap import dedent

import libcst as cst

from codegen_bot.refactor.targets import Target, find_definitions


@dataclass(frozen=True)
class Neighbour:
    """Another definition of the target's file, and how far it is from the target in lines."""

    start: int
    distance: int
    code: str


def module_name(path: str) -> str:
    """`src/shop/cart.py` → `shop.cart`; `pkg/__init__.py` → `pkg`."""
    parts = path.removesuffix(".pyi").removesuffix(".py").split("/")
    if parts and parts[0] in ("src", "lib") and len(parts) > 1:
        parts = parts[1:]
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def _indentation(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def header_and_indent(target: Target) -> tuple[str, str]:
    """The target's decorators and signature, and the indentation of its body."""
    lines = target.source.splitlines()
    header = "\n".join(lines[target.start - 1 : target.header_end])
    for line in lines[target.header_end : target.end]:
        if line.strip():
            return header, _indentation(line)
    # A one-line body (`def f(): return 1`): one step deeper than the `def`.
    def_line = lines[target.def_line - 1]
    step = "\t" if def_line.startswith("\t") else "    "
    return header, _indentation(def_line) + step


def module_imports(source: str) -> str:
    """The module-level `import` statements of `source`, in order ("" when none or unparsable)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return ""
    lines = source.splitlines()
    found = [
        "\n".join(lines[node.lineno - 1 : node.end_lineno])
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    return "\n".join(found)


def class_header(target: Target, definitions: list[Target]) -> str:
    """For a method: its class's own lines up to its first nested definition ("" otherwise)."""
    if not target.enclosing_classes:
        return ""
    name = ".".join(target.enclosing_classes)
    owner = next((d for d in definitions if d.qualname == name and d.kind == "class"), None)
    if owner is None:
        return ""
    inner = [d.start for d in definitions if owner.start < d.start <= owner.end]
    stop = min(inner, default=owner.end + 1)
    lines = owner.source.splitlines()[owner.start - 1 : stop - 1]
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


def neighbours(target: Target, definitions: list[Target]) -> list[Neighbour]:
    """The target's sibling definitions and the file's top-level ones, nearest first.

    Definitions that contain the target (its classes) or lie inside another listed one are
    left out, so no line is shown twice.
    """
    outer = target.enclosing_classes[:1]
    chosen = []
    for other in definitions:
        if other.start <= target.start and target.end <= other.end:
            continue  # the target itself, or a class around it
        sibling = other.enclosing_classes == target.enclosing_classes
        top = not other.enclosing_classes and (other.qualname,) != outer
        if not (sibling or top):
            continue
        distance = (
            other.start - target.end if other.start > target.end else target.start - other.end
        )
        chosen.append(Neighbour(other.start, distance, other.code.rstrip("\n")))
    return sorted(chosen, key=lambda n: (n.distance, n.start))


def outline(code: str) -> str:
    """Return `code` with function bodies replaced by `...`: a class's shape when it is too long."""
    lines = code.splitlines()
    try:
        tree = ast.parse(dedent(code))
    except SyntaxError:
        return code
    drop: set[int] = set()
    keep_as_ellipsis: dict[int, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            body_start = first.lineno
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                body_start = (first.end_lineno or first.lineno) + 1  # keep the docstring
            end = node.end_lineno or node.lineno
            if body_start > end or body_start == node.lineno:
                continue
            indent = _indentation(lines[first.lineno - 1])
            keep_as_ellipsis[body_start] = f"{indent}..."
            drop.update(range(body_start, end + 1))
    out = []
    for number, line in enumerate(lines, start=1):
        if number in keep_as_ellipsis:
            out.append(keep_as_ellipsis[number])
        elif number not in drop:
            out.append(line)
    return "\n".join(out)


@lru_cache(maxsize=32)
def file_definitions(path: str, source: str) -> tuple[Target, ...]:
    """Every definition of a file (none when it does not parse).

    Remembered for the last few files: parsing is the slow part of a prompt, and training
    builds prompts for many targets of the same file.
    """
    try:
        return tuple(find_definitions(path, source))
    except cst.ParserSyntaxError:
        return ()


def definitions_of(target: Target) -> list[Target]:
    """Every definition of the target's file (none when it does not parse)."""
    return list(file_definitions(target.path, target.source))
