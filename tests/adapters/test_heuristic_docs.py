"""The heuristic docstring engine: facts only, in the repository's convention, never placeholders."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.heuristic import HeuristicEngine
from refactor.docstyle import detect_style
from refactor.targets import find_definitions

SOURCE = """\
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum


def area(radius: float) -> float:
    if radius < 0:
        raise ValueError("radius must not be negative")
    return 3.14159 * radius ** 2


def load_users(path, *, strict: bool = False, **options):
    rows = read(path, **options)
    return rows


def iter_rows(table: str) -> Iterator[dict]:
    for row in table:
        yield row


class Order:
    def is_paid(self) -> bool:
        return self.paid

    def cancel(self, reason: str = "customer") -> None:
        try:
            self.gateway.refund(self)
        except KeyError:
            raise RuntimeError
        if self.shipped:
            raise OrderShipped(self)


@dataclass
class LineItem:
    sku: str
    quantity: int = 1


class Color(Enum):
    RED = 1
    GREEN = 2


class Plain:
    pass


def validate(order):
    raise NotImplementedError
"""

PLACEHOLDERS = re.compile(r"TODO|_description_|\[summary\]|FIXME|XXX|\.\.\.$", re.M)


def _docs(style: str) -> dict[str, str | None]:
    engine = HeuristicEngine(style)  # type: ignore[arg-type]
    candidates = engine.propose("docs", find_definitions("m.py", SOURCE))
    return {c.target.qualname: c.text for c in candidates}


def test_google_facts() -> None:
    docs = _docs("google")
    assert docs["area"] == (
        "Return the area.\n\nArgs:\n    radius (float): The radius.\n\n"
        "Returns:\n    float: The area.\n\nRaises:\n    ValueError: Radius must not be negative."
    )
    assert "strict (bool): Whether strict is enabled. Defaults to False." in docs["load_users"]
    assert "**options: Passed on to `read`." in docs["load_users"]
    assert "Returns:\n    The rows." in docs["load_users"]
    assert docs["iter_rows"].startswith("Yield the rows.")
    assert "Yields:\n    dict: Each row." in docs["iter_rows"]
    assert docs["Order.is_paid"].startswith("Return whether the order is paid.")
    cancel = docs["Order.cancel"]
    assert "RuntimeError: If `KeyError` is raised." in cancel
    assert "OrderShipped: If `self.shipped`." in cancel
    assert "reason (str): The reason. Defaults to 'customer'." in cancel
    assert docs["LineItem"].startswith("Line item with `sku` and `quantity`.")
    assert docs["Color"] == "Color: one of `RED` or `GREEN`."
    assert "NotImplementedError: Always." in docs["validate"]


def test_nothing_to_say_is_not_proposed() -> None:
    engine = HeuristicEngine("google")
    candidates = engine.propose("docs", find_definitions("m.py", SOURCE))
    plain = next(c for c in candidates if c.target.qualname == "Plain")
    assert plain.text is None
    assert "nothing to document" in (plain.error or "")


def test_numpy_and_sphinx() -> None:
    numpy = _docs("numpy")["area"]
    assert "Parameters\n----------\nradius : float\n    The radius." in numpy
    assert "Raises\n------\nValueError\n    Radius must not be negative." in numpy
    sphinx = _docs("sphinx")["area"]
    assert ":param radius: The radius.\n:type radius: float" in sphinx
    assert ":rtype: float" in sphinx and ":raises ValueError:" in sphinx


@pytest.mark.parametrize("style", ["google", "numpy", "sphinx"])
def test_styles_are_recognised_by_the_detector(style: str) -> None:
    docs = [text for text in _docs(style).values() if text and "\n" in text]
    assert detect_style(docs) == style


def test_detect_style_defaults_to_google() -> None:
    assert detect_style([]) == "google"
    assert detect_style(["Just a summary."]) == "google"
    assert detect_style([":param x: y", "Args:\n    x: y", ":returns: z"]) == "sphinx"


identifiers = st.from_regex(r"[a-z][a-z0-9]{0,6}(_[a-z0-9]{1,6}){0,3}", fullmatch=True)


@settings(max_examples=60, deadline=None)
@given(
    name=identifiers,
    params=st.lists(identifiers, max_size=3, unique=True),
    style=st.sampled_from(["google", "numpy", "sphinx"]),
)
def test_never_placeholders_and_pep257_summary(name: str, params: list[str], style: str) -> None:
    source = f"def {name}({', '.join(params)}):\n    return {params[0] if params else 1}\n"
    try:
        compile(source, "m.py", "exec")
    except SyntaxError:
        return  # a keyword drawn as a name
    engine = HeuristicEngine(style)  # type: ignore[arg-type]
    [candidate] = engine.propose("docs", find_definitions("m.py", source))
    assert candidate.text is not None
    assert not PLACEHOLDERS.search(candidate.text)
    summary = candidate.text.split("\n", 1)[0]
    assert summary[0].isupper() and summary.endswith(".")
