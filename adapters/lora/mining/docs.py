"""Docstring pairs: public definitions whose docstrings are good → the definition without it."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

import libcst as cst

from codegen_bot.adapters.engines.heuristic.wording import words
from codegen_bot.adapters.lora.mining.records import CommitChange, Origin, Row
from codegen_bot.refactor.diffs import changed_lines
from codegen_bot.refactor.docstrings.examples import without_examples
from codegen_bot.refactor.targets import Target, is_test_file, touched_definitions

_MIN_CHARS, _MAX_CHARS = 20, 3000
_BOILERPLATE = re.compile(
    r"TODO|FIXME|XXX|_description_|\[summary\]|\btype\]|^(docstring|summary|description)\b",
    re.IGNORECASE,
)
_FILLER = {"the", "a", "an", "this", "of", "to", "for", "function", "method", "class", "and"}
_ACCEPTED = re.compile(
    r"^Apply suggestions? from code review|co-authored-by:.*codegen", re.I | re.M
)
_GOOGLE_ARG = re.compile(r"^\s{2,}\*{0,2}(\w+)\s*(\([^)]*\))?:", re.M)
_SPHINX_ARG = re.compile(r"^\s*:param\s+(?:[^:]*\s)?\*{0,2}(\w+):", re.M)
_NUMPY_ARG = re.compile(r"^\*{0,2}(\w+)\s*:", re.M)


def is_accepted_suggestion(message: str) -> bool:
    """Whether a commit applied review suggestions (GitHub's "Apply suggestions from ...")."""
    return _ACCEPTED.search(message) is not None


def documented_names(docstring: str) -> set[str]:
    """Parameter names a docstring documents, in any of the three conventions."""
    names = set(_SPHINX_ARG.findall(docstring))
    google = re.search(
        r"^(Args|Arguments|Parameters):\s*\n((?:[ \t]+.*\n?|\s*\n)+)", docstring, re.M
    )
    if google:
        names |= {m[0] for m in _GOOGLE_ARG.findall(google.group(2))}
    numpy = re.search(
        r"^Parameters\s*\n-{3,}\s*\n((?:.*\n?)*?)(?:\n\S[^\n]*\n-{3,}|\Z)", docstring, re.M
    )
    if numpy:
        names |= set(_NUMPY_ARG.findall(numpy.group(1)))
    return names


def _params(node: ast.AST) -> set[str]:
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return set()
    a = node.args
    names = [x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs]]
    names += [x.arg for x in (a.vararg, a.kwarg) if x is not None]
    return set(names)


def good_docstring(name: str, docstring: str, node: ast.AST) -> bool:
    """Whether a docstring is worth learning from: long enough, no boilerplate, not stale."""
    if not _MIN_CHARS <= len(docstring) <= _MAX_CHARS or _BOILERPLATE.search(docstring):
        return False
    summary = set(re.findall(r"[a-z]+", docstring.split("\n", 1)[0].lower()))
    if summary <= set(words(name)) | _FILLER:
        return False  # "Get user." on get_user: it restates the name
    documented = documented_names(docstring)
    return documented <= _params(node) | {"self", "cls"}


def _node_at(
    tree: ast.Module, target: Target
) -> ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and (
            node.name == target.name and node.lineno == target.def_line
        ):
            return node
    return None


def context_of(source: str, target: Target) -> str:
    """The module's import lines and the enclosing class's header: what a prompt shows around it."""
    lines = source.splitlines()
    imports = [line for line in lines if re.match(r"(import|from)\s+\w", line)]
    header = []
    if target.enclosing_classes:
        pattern = re.compile(rf"^\s*class\s+{re.escape(target.enclosing_classes[-1])}\b")
        header = [line for line in lines[: target.start] if pattern.match(line)][-1:]
    return "\n".join(imports + header)


def without_docstring(source: str, target: Target, node: ast.AST) -> tuple[str, str] | None:
    """The file and the definition's code with its docstring lines removed.

    The file is what the engine reads at review time for a definition that lacks a docstring;
    None when the docstring cannot be cut out cleanly.
    """
    body = getattr(node, "body", [])
    first = body[0] if body else None
    if first is None or len(body) < 2 or first.lineno <= target.header_end:
        return None  # docstring-only bodies, or a docstring on the `def` line
    lines = source.splitlines(keepends=True)
    after = first.end_lineno or first.lineno
    if after < target.end and not lines[after].strip():
        after += 1  # the blank line that set the docstring off goes with it
    code = lines[target.start - 1 : first.lineno - 1] + lines[after : target.end]
    file = lines[: first.lineno - 1] + lines[after:]
    return "".join(file), "".join(code)


def docs_rows(commit: CommitChange) -> Iterator[Row]:
    """Docstring pairs for the public definitions a commit added or changed."""
    origin: Origin = "accepted" if is_accepted_suggestion(commit.message) else "history"
    for change in commit.files:
        if change.after is None or is_test_file(change.path):
            continue
        try:
            tree = ast.parse(change.after)
            targets = touched_definitions(change.path, change.after, changed_lines(change.patch))
        except (SyntaxError, ValueError, cst.ParserSyntaxError):
            continue
        for target in targets:
            if not target.has_docstring or not target.is_public or target.is_dunder:
                continue
            node = _node_at(tree, target)
            docstring = ast.get_docstring(node, clean=True) if node else None
            # The adapter learns what the bot may propose: a docstring without examples.
            docstring = without_examples(docstring) if docstring else None
            if (
                node is None
                or docstring is None
                or not good_docstring(target.name, docstring, node)
            ):
                continue
            stripped = without_docstring(change.after, target, node)
            if stripped is None:
                continue
            file, code = stripped
            yield Row(
                task="docs",
                path=change.path,
                symbol=target.qualname,
                commit=commit.sha,
                input=code,
                output=docstring,
                origin=origin,
                weight=3.0 if origin == "accepted" else 1.0,
                context=context_of(change.after, target),
                source=file,
            )
