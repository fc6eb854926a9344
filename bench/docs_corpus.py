"""A docstring benchmark corpus from a PyPI source distribution: strip, remember, propose again.

The library's own package files are read from the sdist; the docstrings of its documented public
functions and methods are removed (the statement's whole lines, so nothing else moves but line
numbers), and each removed docstring is kept as the reference a proposal is scored against.
"""

from __future__ import annotations

import ast
import tarfile
from dataclasses import dataclass
from pathlib import Path

from codegen_bot.refactor.targets import Target, find_definitions

_NOT_PACKAGE = {"tests", "test", "testing", "docs", "doc", "examples", "benchmarks", "bench"}


@dataclass(frozen=True)
class Stripped:
    """One definition whose docstring was removed: where it is now, and what it said."""

    target: Target  # located in the stripped file
    reference: str  # the real docstring, cleaned
    signature: str  # the `def` line's parameters and annotation, for the content-word measure


@dataclass(frozen=True)
class Corpus:
    """A project's package files, before and after stripping, and what was stripped."""

    project: str
    original: dict[str, str]  # path → source
    stripped: dict[str, str]
    items: list[Stripped]
    config_files: dict[str, str]  # pyproject.toml, setup.cfg, ruff.toml at the root


def unpack(sdist: Path, into: Path) -> Path:
    """Extract an sdist and return its root folder."""
    with tarfile.open(sdist) as archive:
        archive.extractall(into, filter="data")
    roots = [p for p in into.iterdir() if p.is_dir()]
    return roots[0] if len(roots) == 1 else into


def package_files(root: Path) -> dict[str, str]:
    """The library's own Python files: its packages, not tests, docs, examples or setup."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        parts = set(relative.parts[:-1])
        if not relative.parts[:-1] or parts & _NOT_PACKAGE:
            continue
        if relative.name.startswith("test_") or relative.name in {"conftest.py", "setup.py"}:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            ast.parse(text)
        except SyntaxError:
            continue
        found[relative.as_posix()] = text
    return found


def _docstring_lines(node: ast.AST, lines: list[str]) -> tuple[int, int] | None:
    """The 1-based lines of a docstring statement that stands alone on its lines, else None."""
    body = getattr(node, "body", [])
    if len(body) < 2 or ast.get_docstring(node, clean=False) is None:  # type: ignore[arg-type]
        return None  # a body that is only a docstring would be empty without it
    first = body[0]
    end = first.end_lineno or first.lineno
    before = lines[first.lineno - 1][: first.col_offset]
    after = lines[end - 1][first.end_col_offset or 0 :]
    if before.strip() or after.strip():
        return None
    return first.lineno, end


def _chosen(target: Target) -> bool:
    return (
        target.kind != "class"
        and target.has_docstring
        and target.is_public
        and not target.is_dunder
        and not target.is_overload
    )


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
    return f"({ast.unparse(node.args)}){returns}"


def strip_file(
    path: str, source: str, chosen: set[str] | None = None
) -> tuple[str, list[tuple[str, str, str]]]:
    """Remove the docstrings of documented public functions and methods (those `chosen`, or all).

    Returns the stripped source and, per stripped definition in source order, its qualified
    name, the real docstring and its signature.
    """
    tree = ast.parse(source)
    lines = source.split("\n")
    by_line = {
        node.lineno: node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    cuts: list[tuple[int, int]] = []
    kept: list[tuple[str, str, str]] = []
    definitions = find_definitions(path, source)
    names = [t.qualname for t in definitions]
    for target in definitions:
        if chosen is not None and target.qualname not in chosen:
            continue
        node = by_line.get(target.def_line)
        if node is None or not _chosen(target) or names.count(target.qualname) > 1:
            continue
        span = _docstring_lines(node, lines)
        if span is None:
            continue
        cuts.append(span)
        reference = ast.get_docstring(node, clean=True) or ""
        kept.append((target.qualname, reference, _signature(node)))
    for start, end in sorted(cuts, reverse=True):
        del lines[start - 1 : end]
    return "\n".join(lines), kept


def build_corpus(project: str, root: Path, limit: int) -> Corpus:
    """Strip up to `limit` docstrings, spread over the package's files in path order."""
    original = package_files(root)
    config = {
        name: (root / name).read_text(encoding="utf-8", errors="replace")
        for name in ("pyproject.toml", "setup.cfg", "ruff.toml", ".ruff.toml")
        if (root / name).is_file()
    }
    stripped: dict[str, str] = {}
    items: list[Stripped] = []
    eligible = [
        (path, qualname)
        for path, source in original.items()
        for qualname, _, _ in strip_file(path, source)[1]
    ]
    # Spread the sample evenly over the package, not over its first files.
    step = max(1.0, len(eligible) / limit) if limit else 1.0
    picked = {eligible[int(i * step)] for i in range(min(limit, len(eligible)))}
    for path, source in original.items():
        text, kept = strip_file(path, source, {q for p, q in picked if p == path})
        stripped[path] = text
        if not kept:
            continue
        targets = {t.qualname: t for t in find_definitions(path, text)}
        for qualname, reference, signature in kept:
            if qualname in targets:
                items.append(Stripped(targets[qualname], reference, signature))
    return Corpus(project, original, stripped, items, config)
