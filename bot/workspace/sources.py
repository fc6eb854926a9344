"""The changed Python files of a diff, read at head, each either usable or skipped with a reason."""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass

import libcst as cst

from codegen_bot.bot.config import Config
from codegen_bot.bot.report import FileNote
from codegen_bot.bot.workspace.repository import ChangedFile, Workspace
from codegen_bot.refactor.diffs import FileChanges, changed_lines
from codegen_bot.refactor.docstrings.style import (
    Convention,
    Style,
    detect_convention,
    module_docstrings,
)
from codegen_bot.refactor.targets import Target, touched_definitions

_STYLE_SAMPLE_FILES = 300


@dataclass(frozen=True)
class SourceFile:
    """A changed Python file at head, with the definitions the diff touched."""

    path: str
    text: str
    changes: FileChanges
    touched: tuple[Target, ...]


def _skip(changed: ChangedFile, config: Config) -> str | None:
    """Why a changed file is not reviewed, before reading it; None when it is."""
    if changed.status == "deleted":
        return "deleted"
    if not changed.path.endswith((".py", ".pyi")):
        return "not a Python file"
    if not config.wants(changed.path):
        return "excluded by the configuration's include/exclude patterns"
    if changed.is_binary:
        return "binary file"
    return None


def read_sources(
    workspace: Workspace, base: str, head: str, config: Config
) -> tuple[list[SourceFile], list[FileNote]]:
    """Read the changed files of `base..head`; return the usable ones and a note for every file."""
    sources: list[SourceFile] = []
    notes: list[FileNote] = []
    for changed in workspace.changed_files(base, head):
        reason = _skip(changed, config)
        if reason is None:
            source = _read(workspace, head, changed, config)
            if isinstance(source, str):
                reason = source
            else:
                sources.append(source)
        notes.append(FileNote(changed.path, "skipped" if reason else "reviewed", reason))
    return sources, notes


def read_text(
    workspace: Workspace, rev: str, path: str, max_bytes: int | None, *, utf8_only: bool = False
) -> tuple[str, str | None]:
    """`path` at `rev` as text, or `("", why)` when codegen cannot edit it.

    Files larger than `max_bytes`, binary files and symbolic links are not edited. Text is
    decoded as Python decodes source (`tokenize.detect_encoding`: a BOM or a coding
    declaration, else UTF-8); with `utf8_only` (callers that commit the text back as UTF-8),
    a file in another encoding is not edited either.
    """
    blob = workspace.blob(rev, path, max_bytes=max_bytes)
    if blob.data is None:
        return "", blob.problem or "could not be read"
    if b"\0" in blob.data:
        return "", "binary file"
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(blob.data).readline)
    except SyntaxError as error:  # bytes that are not UTF-8, and no declaration saying what
        return "", f"not UTF-8 text, and no coding declaration ({error.msg})"
    if utf8_only and encoding not in ("utf-8", "utf-8-sig"):
        return "", f"encoded in {encoding}; codegen only commits UTF-8 files"
    try:
        return blob.data.decode(encoding), None
    except UnicodeDecodeError as error:
        name = "UTF-8" if encoding.startswith("utf-8") else encoding
        return "", f"not {name} text (byte {error.start}), as Python would read it"


def _read(
    workspace: Workspace, head: str, changed: ChangedFile, config: Config
) -> SourceFile | str:
    """The file as a SourceFile, or the reason it cannot be reviewed."""
    text, problem = read_text(workspace, head, changed.path, config.max_file_bytes)
    if problem is not None:
        return problem
    if "\r" in text.replace("\r\n", ""):
        # Python ends a line at a lone CR, git does not: no suggestion could land on its line.
        return "has carriage returns without line feeds (git and Python count its lines apart)"
    try:
        ast.parse(text, changed.path)
    except SyntaxError as error:
        return f"does not parse: {error.msg} (line {error.lineno})"
    changes = changed_lines(changed.patch)
    try:
        touched = touched_definitions(changed.path, text, changes)
    except cst.ParserSyntaxError as error:
        return f"LibCST cannot parse it: {error.message} (line {error.raw_line})"
    return SourceFile(changed.path, text, changes, tuple(touched))


def repository_convention(
    workspace: Workspace, head: str, max_bytes: int | None = None
) -> Convention:
    """The docstring convention the repository's own docstrings follow at `head`.

    Files larger than `max_bytes` are not read (parsing one costs time and memory that grow
    with its size, and a pull request chooses the size).
    """
    docstrings: list[str] = []
    for count, path in enumerate(workspace.files(head, ".py")):
        if count >= _STYLE_SAMPLE_FILES:
            break
        text, problem = read_text(workspace, head, path, max_bytes)
        if problem is None:
            docstrings.extend(module_docstrings(text))
    return detect_convention(docstrings)


def repository_style(workspace: Workspace, head: str, max_bytes: int | None = None) -> Style:
    """The docstring style the repository's own docstrings follow at `head`."""
    return repository_convention(workspace, head, max_bytes).style
