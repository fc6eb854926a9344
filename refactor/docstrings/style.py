"""Recognise which docstring convention a code base already follows: Google, NumPy, Sphinx or plain.

Plain docstrings (prose, no sections) count: a library whose docstrings are nearly all prose is
plain, even when a few use sections. One-line docstrings say nothing about a convention.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Style = Literal["google", "numpy", "sphinx", "plain"]
Sectioned = Literal["google", "numpy", "sphinx"]


@dataclass(frozen=True)
class Convention:
    """A repository's docstring convention: its style, and whether `Args` entries carry types."""

    style: Style = "google"
    arg_types: bool = True


_GOOGLE_SECTION = re.compile(
    r"^\s*(Args|Arguments|Parameters|Returns|Yields|Raises|Attributes|Examples?):\s*$", re.M
)
_NUMPY_SECTION = re.compile(
    r"^\s*(Parameters|Returns|Yields|Raises|Attributes|Examples?|See Also|Notes)\s*\n\s*-{3,}\s*$",
    re.M,
)
_SPHINX_FIELD = re.compile(
    r"^\s*:(param|parameter|arg|type|returns?|rtype|raises?|yields?)\b", re.M
)


def classify(docstring: str) -> Sectioned | None:
    """Return the convention a single docstring follows, or None for a summary-only docstring."""
    if _NUMPY_SECTION.search(docstring):
        return "numpy"
    if _SPHINX_FIELD.search(docstring):
        return "sphinx"
    if _GOOGLE_SECTION.search(docstring):
        return "google"
    return None


_GOOGLE_ARG = re.compile(r"^\s+\*{0,2}[A-Za-z_]\w*(\s*\([^)]*\))?\s*:\s", re.M)
_GOOGLE_ARGS_SECTION = re.compile(
    r"^(\s*)(?:Args|Arguments|Parameters):\s*\n((?:\1\s+.*\n?|\s*\n)+)", re.M
)


def is_plain(docstring: str) -> bool:
    """Whether a docstring is prose of more than one line, with no sections."""
    return classify(docstring) is None and len(docstring.strip().splitlines()) > 1


def detect_style(docstrings: Iterable[str]) -> Style:
    """Return the convention most of `docstrings` follow; Google when none says.

    Multi-line prose docstrings vote for "plain"; one-liners do not vote.
    """
    votes: Counter[Style] = Counter()
    for text in docstrings:
        style = classify(text)
        if style is not None:
            votes[style] += 1
        elif is_plain(text):
            votes["plain"] += 1
    if not votes:
        return "google"
    # Ties go to the order below, Google first, so the answer never depends on file order.
    order: tuple[Style, ...] = ("google", "numpy", "sphinx", "plain")
    return max(order, key=lambda style: (votes[style], -order.index(style)))


def uses_arg_types(docstrings: Iterable[str], style: Style) -> bool:
    """Whether the repository's docstrings give parameter types (`x (int):`, `:type x:`).

    NumPy entries always carry a type; Google and Sphinx ones may omit it. True when unsure.
    """
    typed = untyped = 0
    for text in docstrings:
        if style == "google" and classify(text) == "google":
            for section in _GOOGLE_ARGS_SECTION.finditer(text):
                for entry in _GOOGLE_ARG.finditer(section.group(2)):
                    typed += entry.group(1) is not None
                    untyped += entry.group(1) is None
        elif style == "sphinx" and classify(text) == "sphinx":
            params = len(re.findall(r"^\s*:param\s+(\w+)\s*:", text, re.M))
            inline = len(re.findall(r"^\s*:param\s+\S+\s+\w+\s*:", text, re.M))
            types = len(re.findall(r"^\s*:type\s", text, re.M))
            typed += inline + min(types, params)
            untyped += max(0, params - types)
    return typed >= untyped


def detect_convention(docstrings: Iterable[str]) -> Convention:
    """Return the repository's style and whether its parameter entries carry types."""
    texts = list(docstrings)
    style = detect_style(texts)
    return Convention(style, uses_arg_types(texts, style))


def module_docstrings(source: str) -> list[str]:
    """Return the docstrings of a module and its functions and classes, in source order.

    A module that does not parse has none (the caller reports the file elsewhere).
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            text = ast.get_docstring(node, clean=True)
            if text:
                found.append(text)
    return found
