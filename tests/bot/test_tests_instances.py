"""`codegen review --tasks tests` for instance methods: a fresh instance, one call, and the state
it leaves, observed in the sandbox (real git repository, real pytest and coverage)."""

from __future__ import annotations

import ast
from pathlib import Path

from codegen_bot.bot.tasks.pipeline import ReviewRequest, review
from codegen_bot.bot.tasks.tests.gather import candidate_calls, observed_examples
from codegen_bot.refactor.targets import find_definitions
from codegen_bot.refactor.testing.instance_calls import instance_examples
from tests.bot.tests_task_repo import (
    BASE,
    apply_and_run_tests,
    by_symbol,
    heuristic,
    make_tests_repo,
)

CLASSES = '''

class Basket:
    """Items in the order they were added."""

    def __init__(self, items=None):
        self.items = list(items or [])

    def __iter__(self):
        return iter(self.items)

    def add(self, item):
        self.items.append(item)

    def take(self):
        if not self.items:
            raise IndexError("the basket is empty")
        return self.items.pop()

    def size(self):
        return len(self.items)

    def touch(self):
        pass


class Meter:
    """A counter that shows nothing of itself but an attribute."""

    def __init__(self):
        self.reading = 0

    def bump(self):
        self.reading += 1
'''

CALLERS = """\
from shop.money import Basket

FRUIT = Basket(["pear"])
FRUIT.add("plum")
"""


def _body(text: str, test: str) -> list[str]:
    """The statements of the test function `test` in the module `text`, as source lines."""
    tree = ast.parse(text)
    function = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == test)
    return [ast.unparse(statement) for statement in function.body[1:]]  # after the docstring


def test_instance_methods_get_tests_of_the_state_they_leave(make_repo, tmp_path: Path) -> None:
    repo, base = make_tests_repo(make_repo, BASE + CLASSES, {"shop/use.py": CALLERS})
    report = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), heuristic)
    proposals = by_symbol(report)
    for symbol in ("Basket.add", "Basket.take", "Basket.size"):
        assert proposals[symbol].status == "accepted", (symbol, proposals[symbol].reason)
    # `add` returns None: the test calls it on a fresh instance and asserts what it left there.
    # The arguments are the repository's own call's.
    add = _body(proposals["Basket.add"].text or "", "test_basket_add_on_instances")
    assert add[:3] == [
        "basket = Basket(items=[])",
        "basket.add('plum')",
        "assert list(basket) == ['plum']",
    ]
    # `take` raises on an empty basket (its own `raise`), and returns and removes the last item.
    take = proposals["Basket.take"].text or ""
    assert _body(take, "test_basket_take_raises") == [
        "basket = Basket(items=[])",
        "with pytest.raises(IndexError):\n    basket.take()",
    ]
    assert _body(take, "test_basket_take_on_instances") == [
        "basket = Basket(items=[3, 1, 2])",
        "assert basket.take() == 2",
        "assert list(basket) == [3, 1]",
    ]
    # `size` changes nothing: its value is asserted, and no state.
    size = _body(proposals["Basket.size"].text or "", "test_basket_size_on_instances")
    assert size == ["basket = Basket(items=[])", "assert basket.size() == 0"]
    # A call that returns None and leaves the state as it was asserts nothing: no test. Nor
    # does a class that shows no state (no iteration, no length) get one.
    for symbol in ("Basket.touch", "Meter.bump"):
        assert proposals[symbol].status != "accepted", symbol
        assert proposals[symbol].text is None, proposals[symbol].text
    accepted = [p for p in proposals.values() if p.status == "accepted"]
    run = apply_and_run_tests(repo, accepted, tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr


UNITTEST_BASE_TEST = """\
import unittest

from shop.money import double


class TestDouble(unittest.TestCase):
    def test_double(self):
        self.assertEqual(double(2), 4)
"""


def test_a_unittest_repository_gets_instance_tests_in_its_style(make_repo, tmp_path: Path) -> None:
    repo, base = make_tests_repo(make_repo, BASE + CLASSES, base_test=UNITTEST_BASE_TEST)
    report = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), heuristic)
    take = by_symbol(report)["Basket.take"]
    assert take.status == "accepted", take.reason
    text = take.text or ""
    assert "class TestBasketTakeExamples(unittest.TestCase):" in text
    assert "        basket = Basket(items=[3, 1, 2])\n" in text
    assert "        self.assertEqual(basket.take(), 2)\n" in text
    assert "        self.assertEqual(list(basket), [3, 1])\n" in text
    assert "        with self.assertRaises(IndexError):\n            basket.take()\n" in text
    run = apply_and_run_tests(repo, [take], tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr


def test_instance_examples_leave_out_what_is_not_called_on_an_instance() -> None:
    source = """
import os


class Stack(list):
    def push(self, item):
        self.append(item)

    @staticmethod
    def make():
        return Stack()

    @property
    def top(self):
        return self[-1]

    def __repr__(self):
        return "Stack"


class Plain:
    def poke(self, x):
        return x
"""
    tree = ast.parse(source)
    methods = {
        f"{c.name}.{f.name}": f
        for c in tree.body
        if isinstance(c, ast.ClassDef)
        for f in c.body
        if isinstance(f, ast.FunctionDef)
    }
    # The repository calls `os.path.push(...)` (a module's) and `stack.push(...)`: only the
    # second is a call on an instance.
    sources = [("use.py", "import os\nos.push(9)\nstack.push(5)\n")]
    push = instance_examples("Stack.push", methods["Stack.push"], source, sources)
    calls = {(e.instance.constructor, e.call) for e in push if e.instance is not None}
    assert ("Stack()", "stack.push(5)") in calls
    assert ("Stack([3, 1, 2])", "stack.push(5)") in calls
    assert not any("9" in call for _, call in calls)
    assert all(e.instance is not None and e.instance.observer == "list" for e in push)
    # static methods, properties and dunders are not called on a fresh instance; a class
    # that shows no state gets nothing
    for name in ("Stack.make", "Stack.top", "Stack.__repr__", "Plain.poke"):
        assert instance_examples(name, methods[name], source, sources) == [], name


def test_a_containers_one_parameter_takes_items_and_star_arguments_are_not_passed() -> None:
    source = """
from collections.abc import MutableSet


class Bag(MutableSet):
    def __init__(self, other=None):
        self.items = list(other or [])

    def sort(self, *args, **kwargs):
        self.items.sort(*args, **kwargs)


class Box(list):
    def __init__(self, contents=None):
        super().__init__(contents or [])

    def sort(self, *args, **kwargs):
        super().sort(*args, **kwargs)


class Table(dict):
    def __init__(self, other=None):
        super().__init__(other or {})

    def sort(self):
        pass
"""
    tree = ast.parse(source)

    def made(name: str) -> list[tuple[str, str]]:
        cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name)
        sort = cls.body[1]
        assert isinstance(sort, ast.FunctionDef)
        examples = instance_examples(f"{name}.sort", sort, source, [])
        return [(e.instance.constructor, e.call) for e in examples if e.instance is not None]

    # `other` names a container's items: tried empty and filled, by keyword. `*args` and
    # `**kwargs` are not passed.
    assert made("Bag") == [("Bag(other=[])", "bag.sort()"), ("Bag(other=[3, 1, 2])", "bag.sort()")]
    # A name that says nothing (`contents`) is left at its default, and the container's one
    # parameter is tried with items, positionally.
    assert made("Box") == [("Box()", "box.sort()"), ("Box([3, 1, 2])", "box.sort()")]
    # A mapping's `other` is a mapping.
    assert [constructor for constructor, _ in made("Table")] == [
        "Table(other={})",
        "Table(other={'abc': 1, 'b': 2})",
    ]


def test_probe_results_the_code_under_test_wrote_over_are_skipped_not_trusted() -> None:
    # The repository's code runs in the probe's process, so it can rewrite what the probe
    # reports. A result that is not the probe's (state, value, state) triple, an unhashable
    # call or an entry that is not a mapping is skipped; the well-formed one still counts.
    target = find_definitions("shop/money.py", BASE + CLASSES)
    take = next(t for t in target if t.qualname == "Basket.take")
    calls = candidate_calls(take, [], "shop.money")
    on_instance = [c for c in calls if c.instance is not None]
    assert on_instance, calls
    origins = {c.expression: c for c in on_instance}
    first, second = on_instance[0].expression, on_instance[1].expression
    entry = {
        "examples": [
            "not a mapping",
            {"call": ["unhashable"], "value": "1"},
            {"call": first, "value": "(1, 2)"},  # not a triple
            {"call": first, "value": "(" * 5000},  # does not parse
            {"call": second, "value": "([3, 1, 2], 2, [3, 1])"},
        ]
    }
    examples, _ = observed_examples(entry, origins, ("IndexError",))
    assert [(e.call, e.returns, e.state) for e in examples] == [("basket.take()", "2", "[3, 1]")]
    assert observed_examples({"examples": 7}, origins, ()) == ([], [])
