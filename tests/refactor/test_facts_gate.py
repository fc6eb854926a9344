"""The facts gate: each rule passes one docstring and rejects one, from the cases found in review."""

from __future__ import annotations

import pytest

from codegen_bot.refactor.docstrings.style import Convention
from codegen_bot.refactor.gates.docstring_facts import check_facts, facts_problems

SOURCE = """\
_marker = object()


def valmap(func, d, factory=dict):
    d2 = factory()
    d2.update(zip(d.keys(), map(func, d.values())))
    return d2


def get_in(keys, coll, default=_marker):
    for key in keys:
        coll = coll[key]
    return coll


def first(seq):
    for item in seq:
        return item
    raise ValueError("empty sequence")


def flatten(tree):
    def walk(node):
        yield node

    return list(walk(tree))


def scale(numbers, factor=2):
    return [n * factor for n in numbers]


def chunks(seq, size):
    for start in range(0, len(seq), size):
        yield seq[start : start + size]


def area(radius):
    if radius < 0 and not isinstance(radius, bool):
        raise ValueError("negative")
    return 3.14159 * radius ** 2


class Stack:
    def pop(self, *args):
        return self.items.pop(*args)

    @property
    def size(self):
        return len(self.items)

    @size.setter
    def size(self, value):
        self.items = self.items[:value]
"""


def _line(name: str) -> int:
    for number, line in enumerate(SOURCE.splitlines(), start=1):
        if line.strip().startswith(f"def {name}(") or line.strip().startswith(f"class {name}"):
            return number
    raise AssertionError(name)


def _problems(name: str, docstring: str, convention: Convention | None = None) -> list[str]:
    if name == "size_setter":
        line, name = _line("size") + 4, "size"
    else:
        line = _line(name)
    return facts_problems(SOURCE, line, name, docstring, convention)


# Each case: (definition, a docstring the gate passes, one it rejects, words of the rejection).
CASES = {
    "params exactly the signature's": (
        "scale",
        "Multiply each of `numbers` by `factor`.\n\nArgs:\n    numbers: Values to multiply.\n"
        "    factor: The multiplier applied to each.",
        "Multiply each of `numbers` by `factor`.\n\nArgs:\n    numbers: Values to multiply.\n"
        "    ratio: The multiplier applied to each.",
        "`ratio`, which is not a parameter",
    ),
    "no parameter missing where listed": (
        "scale",
        "Multiply each of `numbers` by `factor`.",
        "Multiply each of `numbers` by `factor`.\n\nArgs:\n    numbers: Values to multiply.",
        "leaves out the parameter `factor`",
    ),
    "returns only from the own body": (
        "first",
        "Return the leading element of `seq`.\n\nRaises:\n    ValueError: If `seq` has no items.",
        "Return the leading element of `seq`.\n\nYields:\n    Each item of the sequence.",
        "does not yield",
    ),
    "a nested generator's yield is not its own": (
        "flatten",
        "Return every node of `tree` as a list, depth first.",
        "Walk the nodes of `tree`.\n\nYields:\n    Each node found while walking.",
        "does not yield",
    ),
    "a generator is described as yielding": (
        "chunks",
        "Yield consecutive slices of `seq`, each `size` long (the last may be shorter).",
        "Split `seq` into slices of `size` elements, the last one shorter.",
        "does not say it yields",
    ),
    "raises only what the own body raises": (
        "first",
        "Return the leading element of `seq`.\n\nRaises:\n    ValueError: If `seq` holds nothing.",
        "Return the leading element of `seq`.\n\nRaises:\n    KeyError: If `seq` holds nothing.",
        "which its own body does not raise",
    ),
    "always means unconditionally": (
        "first",
        "Return the leading element of `seq`.\n\nRaises:\n    ValueError: When `seq` is empty.",
        "Return the leading element of `seq`.\n\nRaises:\n    ValueError: Always.",
        "always raised",
    ),
    "a quoted condition is the whole condition": (
        "area",
        "Compute a circle's surface.\n\nRaises:\n"
        "    ValueError: If `radius < 0 and not isinstance(radius, bool)`.",
        "Compute a circle's surface.\n\nRaises:\n    ValueError: If `radius < 0`.",
        "not the whole condition",
    ),
    "no filler line": (
        "valmap",
        "Apply `func` to every value of `d`, keeping the keys.",
        "Return the valmap.\n\nArgs:\n    func: Mapping applied to values.\n    d: The d.\n"
        "    factory: Builds the mapping returned.",
        "filler: 'd: The d.'",
    ),
    "no sentence said twice": (
        "valmap",
        "Apply `func` to every value of `d`.\n\nThe keys stay as they were.",
        "Apply `func` to every value of `d`, keeping the keys.\n\nIt keeps the keys of `d`, it"
        " applies `func` to every value.",
        "says again what an earlier sentence said",
    ),
    "no summary that only restates the name": (
        "valmap",
        "Apply `func` to every value of `d`, keeping the keys.",
        "Return the valmap.",
        "filler: 'Return the valmap.'",
    ),
    "a class docstring that says it is a class": (
        "Stack",
        "Last in, first out: `pop` takes what was pushed most recently.",
        "This is a class that has a docstring.",
        "says nothing",
    ),
    "grounded in this definition, not its neighbour": (
        "chunks",
        "Yield consecutive slices of `seq`, each `size` long.",
        "This function scales a list of numbers by a factor of 2.",
        "describes `scale`",
    ),
    "no private names or sentinels": (
        "get_in",
        "Look `keys` up one after the other in the nested `coll`.",
        "Look `keys` up one after the other in the nested `coll`. Defaults to _marker.",
        "private `_marker`",
    ),
    "no local variables": (
        "valmap",
        "Apply `func` to every value of `d`, keeping the keys.",
        "Apply `func` to every value of `d`, keeping the keys.\n\nReturns:\n    The d2.",
        "local variable `d2`",
    ),
    "no links, images, mentions or HTML": (
        "valmap",
        "Apply `func` to every value of `d`, keeping the keys.",
        "Apply `func` to every value of `d`, see https://example.com or ask @octocat <b>now</b>.",
        "link",
    ),
    "no verb's object guessed from the first parameter": (
        "pop",
        "Remove and return an element of the stack's items.",
        "Pop `args`.",
        "filler",
    ),
    "a setter is not documented as a getter": (
        "size_setter",
        "Keep only the first `value` items of the stack.",
        "Return the number of items on the stack.",
        "returns no value",
    ),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_each_rule_passes_a_true_docstring_and_rejects_a_false_one(rule: str) -> None:
    name, good, bad, words = CASES[rule]
    assert _problems(name, good) == []
    problems = _problems(name, bad)
    assert any(words in problem for problem in problems), problems


def test_a_capitalised_identifier_is_rejected() -> None:
    source = "def repeat(s, n):\n    if n < 0:\n        raise ValueError\n    return s * n\n"
    good = "Return `s` written `n` times over.\n\nRaises:\n    ValueError: If `n < 0`."
    bad = "Return `s` written `n` times over.\n\nRaises:\n    ValueError: N must be positive."
    assert facts_problems(source, 1, "repeat", good) == []
    assert any(
        "capitalises the identifier `n`" in p for p in facts_problems(source, 1, "repeat", bad)
    )


def test_the_repository_style_is_followed() -> None:
    plain = Convention("plain")
    good = "Apply `func` to every value of `d`, keeping the keys."
    sectioned = good + "\n\nReturns:\n    A mapping of the same keys."
    assert _problems("valmap", good, plain) == []
    assert any("plain prose" in p for p in _problems("valmap", sectioned, plain))
    untyped = Convention("google", arg_types=False)
    listed = (
        "Multiply each of `numbers` by `factor`.\n\nArgs:\n    numbers ({}): Values to multiply.\n"
    )
    listed += "    factor{}: The multiplier applied to each."
    assert _problems("scale", listed.replace(" ({})", "").format(""), untyped) == []
    assert any(
        "omit them" in p for p in _problems("scale", listed.format("list", " (int)"), untyped)
    )
    numpy = "Multiply each of `numbers` by `factor`.\n\nReturns\n-------\nlist\n    Scaled copies."
    assert any("numpy style" in p for p in _problems("scale", numpy, Convention("sphinx")))


def test_the_verdict_names_the_gate_and_the_fact() -> None:
    verdict = check_facts(SOURCE, _line("valmap"), "valmap", "Return the valmap.")
    assert verdict.gate == "facts" and not verdict.passed
    assert verdict.reason is not None and "'Return the valmap.' says nothing" in verdict.reason
    assert check_facts(SOURCE, _line("chunks"), "chunks", "Yield slices of `seq`.").passed


def test_a_short_connector_made_of_earlier_words_is_not_a_restated_sentence() -> None:
    summary = "Apply `func` to every value of `d`, keeping the keys."
    assert _problems("valmap", summary + "\n\nKeeping the keys:") == []
    assert _problems("valmap", summary + "\n\nKeeping the keys, apply `func` to every value.")
