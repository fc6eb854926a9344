"""The heuristic docstring engine: facts only, in the repository's convention, never placeholders."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codegen_bot.adapters.engines.heuristic import HeuristicEngine
from codegen_bot.adapters.engines.heuristic.wording import gerund
from codegen_bot.refactor.docstrings.style import Convention, detect_convention, detect_style
from codegen_bot.refactor.gates.docstring_facts import facts_problems
from codegen_bot.refactor.targets import find_definitions

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
        "Return `3.14159 * radius ** 2`.\n\nRaises:\n    ValueError: If `radius < 0`."
    )
    assert docs["iter_rows"] == "Yield the items of `table`."
    assert docs["Color"] == "Color: one of `RED` or `GREEN`."


def test_silent_where_only_the_name_speaks() -> None:
    docs = _docs("google")
    # `load_users` returns a local; `cancel` raises two things under different conditions;
    # `validate` always raises; a dataclass's fields are its signature: nothing beyond the name.
    # `is_paid` returning `self.paid` says in code what the name says.
    for name in (
        "load_users",
        "Order.cancel",
        "LineItem",
        "Plain",
        "validate",
        "Order",
        "Order.is_paid",
    ):
        assert docs[name] is None, name


def test_nothing_to_say_is_not_proposed() -> None:
    engine = HeuristicEngine("google")
    candidates = engine.propose("docs", find_definitions("m.py", SOURCE))
    plain = next(c for c in candidates if c.target.qualname == "Plain")
    assert plain.text is None
    assert "nothing the code shows beyond the name" in (plain.error or "")


def test_numpy_sphinx_and_plain() -> None:
    numpy = _docs("numpy")["area"]
    assert "Raises\n------\nValueError\n    If `radius < 0`." in numpy
    sphinx = _docs("sphinx")["area"]
    assert ":raises ValueError: If `radius < 0`." in sphinx
    assert _docs("plain")["area"] == (
        "Return `3.14159 * radius ** 2`.\n\nRaises `ValueError` if `radius < 0`."
    )


def test_every_proposal_passes_the_facts_gate() -> None:
    for style in ("google", "numpy", "sphinx", "plain"):
        engine = HeuristicEngine(style)  # type: ignore[arg-type]
        for candidate in engine.propose("docs", find_definitions("m.py", SOURCE)):
            if candidate.text is not None:
                target = candidate.target
                problems = facts_problems(SOURCE, target.def_line, target.name, candidate.text)
                assert problems == [], (style, target.qualname, problems)


WRONG_FACTS = """\
class Stack:
    def pop(self, *args):
        return self.entries.pop(*args)

    @property
    def size(self):
        return len(self.items)

    @size.setter
    def size(self, value):
        if value < 0:
            raise ValueError("n must not be negative")
        self.items = self.items[:value]


def flatten(tree):
    def walk(node):
        if node is None:
            raise KeyError(node)
        yield node

    return list(walk(tree))


def isiterable(x):
    try:
        iter(x)
        return True
    except TypeError:
        return False


def double(a):
    return a * 2


def check_count(n):
    if n < 0:
        raise ValueError("n must be positive")
"""


def test_the_wrong_facts_found_in_review_are_gone() -> None:
    engine = HeuristicEngine("google")
    docs = {
        c.target.qualname + (":setter" if "setter" in c.target.code else ""): c.text
        for c in engine.propose("docs", find_definitions("m.py", WRONG_FACTS))
    }
    # Nested scopes: `walk`'s yield and raise are not `flatten`'s.
    assert docs["flatten"] is None or (
        "Yield" not in docs["flatten"] and "KeyError" not in docs["flatten"]
    )
    # The first parameter is not the verb's object.
    assert docs["Stack.pop"] == "Return `self.entries.pop(*args)`."
    # A setter is not documented as a getter.
    assert docs["Stack.size:setter"] == (
        "Set the size unless `value < 0`.\n\nRaises:\n    ValueError: If `value < 0`."
    )
    # An identifier is never capitalised ("N must…"), and the condition is the code's.
    assert docs["check_count"] is not None and "N must" not in docs["check_count"]
    assert "If `n < 0`." in docs["check_count"]
    # `isiterable` is a predicate, but its answer comes from an exception: nothing to quote.
    assert docs["isiterable"] is None
    # A parameter named `a` is not documented as "A.".
    assert docs["double"] == "Return `a * 2`."
    assert gerund("pop") == "popping"


@pytest.mark.parametrize("style", ["google", "numpy", "sphinx"])
def test_styles_are_recognised_by_the_detector(style: str) -> None:
    docs = [text for text in _docs(style).values() if text and "\n" in text]
    assert detect_style(docs) == style


def test_detect_style_counts_plain_docstrings() -> None:
    assert detect_style([]) == "google"
    assert detect_style(["Just a summary."]) == "google"
    assert detect_style([":param x: y", "Args:\n    x: y", ":returns: z"]) == "sphinx"
    prose = "Return the items of `seq` in order.\n\nThe first one wins ties."
    numpy = "Sum.\n\nParameters\n----------\nx : int\n    The x."
    assert detect_style([prose] * 105 + [numpy] * 3) == "plain"
    assert detect_style([prose] * 2 + [numpy] * 3) == "numpy"


def test_argument_types_follow_the_repository() -> None:
    typed = "Do.\n\nArgs:\n    x (int): A thing.\n    y (str): Another."
    untyped = "Do.\n\nArgs:\n    x: A thing.\n    y: Another."
    assert detect_convention([typed, untyped, untyped]) == Convention("google", arg_types=False)
    assert detect_convention([typed, typed, untyped]) == Convention("google", arg_types=True)
    sphinx = ":param x: A thing.\n:param y: Another."
    assert detect_convention([sphinx, sphinx]) == Convention("sphinx", arg_types=False)


identifiers = st.from_regex(r"[a-z][a-z0-9]{0,6}(_[a-z0-9]{1,6}){0,3}", fullmatch=True)


@settings(max_examples=60, deadline=None)
@given(
    name=identifiers,
    params=st.lists(identifiers, max_size=3, unique=True),
    style=st.sampled_from(["google", "numpy", "sphinx", "plain"]),
)
def test_never_placeholders_and_pep257_summary(name: str, params: list[str], style: str) -> None:
    value = f"{params[0]} + 1" if params else "[1]"
    source = f"def {name}({', '.join(params)}):\n    return {value}\n"
    try:
        compile(source, "m.py", "exec")
    except SyntaxError:
        return  # a keyword drawn as a name
    engine = HeuristicEngine(style)  # type: ignore[arg-type]
    [candidate] = engine.propose("docs", find_definitions("m.py", source))
    if candidate.text is None:
        return  # silent: nothing beyond the name
    assert not PLACEHOLDERS.search(candidate.text)
    assert facts_problems(source, 1, name, candidate.text) == []
    summary = candidate.text.split("\n", 1)[0]
    assert summary[0].isupper() and summary.endswith(".")


def test_targets_of_one_path_from_two_versions_of_the_file_are_each_found() -> None:
    # Mined rows (the quality bench, adapter evaluation) hand in one path twice, each version of
    # the file without its own target's docstring: each target is read in its own version.
    first = find_definitions("m.py", SOURCE)
    shifted = "import os\n\n\n" + SOURCE
    later = find_definitions("m.py", shifted)
    engine = HeuristicEngine("google")
    targets = [next(t for t in first if t.qualname == "area")]
    targets.append(next(t for t in later if t.qualname == "iter_rows"))
    found = {c.target.qualname: c for c in engine.propose("docs", targets)}
    assert found["area"].text and "ValueError" in found["area"].text
    assert found["iter_rows"].text == "Yield the items of `table`."
