"""Recognise which docstring convention a code base already follows: Google, NumPy or Sphinx."""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterable
from typing import Literal

Style = Literal["google", "numpy", "sphinx"]

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


def classify(docstring: str) -> Style | None:
    """Return the convention a single docstring follows, or None for a summary-only docstring."""
    if _NUMPY_SECTION.search(docstring):
        return "numpy"
    if _SPHINX_FIELD.search(docstring):
        return "sphinx"
    if _GOOGLE_SECTION.search(docstring):
        return "google"
    return None


def detect_style(docstrings: Iterable[str]) -> Style:
    """Return the convention most of `docstrings` follow; Google when none has sections."""
    votes = Counter(style for style in map(classify, docstrings) if style is not None)
    if not votes:
        return "google"
    # Ties go to the order below, Google first, so the answer never depends on file order.
    order: tuple[Style, ...] = ("google", "numpy", "sphinx")
    return max(order, key=lambda style: (votes[style], -order.index(style)))


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
