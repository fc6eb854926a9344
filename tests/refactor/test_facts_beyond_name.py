"""The facts gate's summary rule: a summary says something the code shows beyond the name.

The refused cases are the ones `make demo-model` once accepted ("A shopping cart." for
`class Cart`) and their kind; each has a near-miss the gate keeps.
"""

from __future__ import annotations

import pytest

from codegen_bot.refactor.gates.docstring_facts import facts_problems

SOURCE = """\
from dataclasses import dataclass


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    price: float = 0.0


class Cart:
    def __init__(self) -> None:
        self.prices: list[float] = []

    def add_item(self, price: float, quantity: int = 1) -> None:
        if quantity < 1:
            raise ValueError("quantity must be positive")
        self.prices.extend([price] * quantity)


class Node:
    def __init__(self, values):
        self.fields = dict(values)


def activate(locale, path=None):
    global _TRANSLATION
    _TRANSLATION = gettext_module.translation("humanize", path, [locale])
    return _TRANSLATION


def area(radius):
    return 3.14159 * radius ** 2
"""


def _problems(name: str, docstring: str) -> list[str]:
    for number, line in enumerate(SOURCE.splitlines(), start=1):
        if line.startswith((f"class {name}", f"def {name}(")):
            return facts_problems(SOURCE, number, name, docstring)
    raise AssertionError(name)


def _restates(problems: list[str]) -> bool:
    return any(p.startswith("restates the name") for p in problems)


@pytest.mark.parametrize(
    ("name", "summary"),
    [
        ("Cart", "A shopping cart."),  # the name and one word the code does not show
        ("Product", "A product with its own attributes."),  # generic filler
        ("Product", "Represents a product."),
        ("Cart", "An object that implements a simple cart."),
        ("activate", "Activate internationalisation."),  # a function is held to the same rule
    ],
)
def test_a_summary_that_only_restates_the_name_is_refused(name: str, summary: str) -> None:
    problems = _problems(name, summary)
    assert _restates(problems), problems
    assert summary in problems[0] and f"`{name}`" in problems[0]


@pytest.mark.parametrize(
    ("name", "summary"),
    [
        ("Cart", "A shopping cart holding the prices added so far."),  # `prices` is the code's
        ("Product", "A catalogue entry with a sku, a name and a price."),
        ("Node", "A node with its own fields."),  # the generic word is this code's attribute
        ("Cart", "A cart whose `prices` repeat each item `quantity` times."),  # quoted code
        ("area", "Compute a circle's surface."),  # two words beyond the name describe
        ("activate", "Activate the translations of `locale`."),
    ],
)
def test_a_near_miss_that_says_what_the_code_shows_is_kept(name: str, summary: str) -> None:
    assert _problems(name, summary) == []


def test_the_summary_is_the_first_paragraph_read_whole() -> None:
    wrapped = "A shopping cart that keeps the\nprices of what was added."
    assert _problems("Cart", wrapped) == []
    body_only = "A shopping cart.\n\nIt keeps one entry in `prices` per unit added."
    assert _restates(_problems("Cart", body_only))
