"""Example calls whose arguments are callables or objects: what a test may write verbatim."""

from __future__ import annotations

import ast
from dataclasses import fields

from codegen_bot.adapters.engines.heuristic.testgen import build_test_modules
from codegen_bot.bot.tasks.tests.gather import candidate_calls
from codegen_bot.refactor.targets import Target
from codegen_bot.refactor.testing.example_calls import (
    annotation_examples,
    call_site_examples,
    doctest_examples,
)
from codegen_bot.refactor.testing.safe_arguments import module_scope, safe_imports
from codegen_bot.refactor.testing.target_facts import ObservedExample, TestTarget

CALLERS = '''\
import operator
import os
from pathlib import Path
from operator import add
from shop.money import SIZES, keep, helper
from shop import double
from elsewhere import secret

CACHE = {}


def is_short(word):
    """Short words."""
    return len(word) < 3


def noisy(word):
    print(word)
    return word


EVENS = keep(lambda n: n % 2 == 0, [1, 2, 3, 4])
LONG = keep(len, ["", "ab"])
TOTAL = keep(operator.truth, [0, 1])
SUMS = keep(add, [1, 2])
SHORT = keep(is_short, ["a", "abcd"])
DOUBLED = keep(double, SIZES)
ITERATED = list(keep(str.isdigit, iter(["1", "a"])))
NO1 = keep(print, [1])
NO2 = keep(CACHE.get, [1])
NO3 = keep(secret, [1])
NO4 = keep(noisy, [1])
NO5 = keep(lambda n: open(n), ["x"])
NO6 = keep(os.remove, ["x"])
NO7 = keep(Path, [1])
NO8 = keep(helper, [1])
NO9 = keep(lambda n, m=CACHE: m, [1])
'''


def _calls(text: str = CALLERS) -> dict[str, tuple[tuple[str, str], ...]]:
    found = call_site_examples(
        "keep",
        "function",
        [("shop/use.py", text)],
        module="shop.money",
        public={"keep", "double", "SIZES"},
    )
    return {c.call: c.imports for c in found}


def test_call_sites_may_pass_builtins_pure_module_attributes_lambdas_and_the_modules_names():
    calls = _calls()
    assert calls == {
        "keep(lambda n: n % 2 == 0, [1, 2, 3, 4])": (),
        "keep(len, ['', 'ab'])": (),
        "keep(operator.truth, [0, 1])": (("operator", ""),),
        "keep(add, [1, 2])": (("operator", "add"),),
        # a one-line def of the caller's file is written back as a lambda
        "keep(lambda word: len(word) < 3, ['a', 'abcd'])": (),
        # `double` is defined publicly by shop.money (imported here through the package)
        "keep(double, SIZES)": (("", "SIZES"), ("", "double")),
        # a generator's call keeps the call that turns it into a value
        "list(keep(str.isdigit, iter(['1', 'a'])))": (),
    }


def test_unsafe_arguments_keep_a_call_site_out():
    calls = _calls()
    # print, an object's attribute, a name from another module, a def with two statements, a
    # lambda calling open, an os function, a stdlib function the file did not import purely,
    # a name the module does not define, a lambda default: none of them is written.
    for word in ("print", "CACHE", "secret", "noisy", "open", "os.", "Path", "helper", "m="):
        assert not any(word in call for call in calls), word


def test_a_rebound_builtin_or_import_is_not_taken_for_what_it_was():
    text = "from shop.money import keep\nlen = CACHE.get\nkeep(len, [1])\nkeep(abs, [1])\n"
    assert _calls(text) == {"keep(abs, [1])": ()}
    # a name bound to a safe value is written back as that value
    text = "from shop.money import keep\nWORDS = ['a', 'bc']\nkeep(len, WORDS)\n"
    assert _calls(text) == {"keep(len, ['a', 'bc'])": ()}
    text = "from operator import add\nfrom shop.money import keep\nadd = max\nkeep(add, [1])\n"
    assert _calls(text) == {"keep(max, [1])": ()}
    text = "from operator import add\nfrom shop.money import keep\nadd = CACHE\nkeep(add, [1])\n"
    assert _calls(text) == {}


def test_safe_imports_walks_lambda_bodies_with_their_parameters_only():
    scope = module_scope(ast.parse("import math\nfrom operator import mul").body)

    def check(text: str) -> set[tuple[str, str]] | None:
        return safe_imports(ast.parse(text, mode="eval").body, scope, frozenset())

    assert check("lambda x, y: mul(x, math.floor(y)) if x else -y") == {
        ("operator", "mul"),
        ("math", ""),
    }
    assert check("lambda x: z") is None
    assert check("lambda x: x.__class__") is None
    assert check("lambda x: [y for y in x]") is None
    assert check("math.floor(*[1])") is None
    assert check("sorted([3, 1], key=lambda v: -v)") == set()


def test_doctest_examples_use_what_earlier_examples_imported_or_defined():
    doc = """Drop what the predicate keeps.

    >>> from operator import add, mul
    >>> def iseven(x):
    ...     return x % 2 == 0
    >>> list(keep(iseven, [1, 2, 3, 4]))
    [2, 4]
    >>> keep(add, [1])
    [1]
    >>> from functools import partial, reduce
    >>> sum = partial(reduce, add)
    >>> sum(keep(bool, [1, 2]))
    3
    >>> keep(len, ['a'])  # doctest: +SKIP
    >>> iseven(2)
    True
    """
    examples = doctest_examples("keep", doc, module="shop.money")
    found = {c.call: c.imports for c in examples}
    # a skipped example is written without its directive, and marked (only its value counts)
    skipped = examples[-1]
    assert skipped.call == "keep(len, ['a'])" and skipped.origin == "doctest skipped"
    assert found == {
        "list(keep(lambda x: x % 2 == 0, [1, 2, 3, 4]))": (),
        "keep(add, [1])": (("operator", "add"),),
        # `sum` is no longer the builtin: it is written back as what the doctest bound
        "partial(reduce, add)(keep(bool, [1, 2]))": (
            ("functools", "partial"),
            ("functools", "reduce"),
            ("operator", "add"),
        ),
        "keep(len, ['a'])": (),
        # and `iseven(2)` is not there: it shows the helper alone (as in toolz's `complement`),
        # so a test of it would assert nothing about `keep`
    }


def test_a_name_a_doctest_binds_to_a_call_of_the_definition_is_written_back_as_that_call():
    # toolz's `complement`: `isodd` is `complement(iseven)`, so `isodd(2)` calls the definition
    doc = """Convert a predicate function to its logical complement.

    >>> def iseven(n): return n % 2 == 0
    >>> isodd = complement(iseven)
    >>> iseven(2)
    True
    >>> isodd(2)
    False
    """
    examples = doctest_examples("complement", doc, module="toolz.functoolz")
    assert [(c.call, c.imports) for c in examples] == [("complement(lambda n: n % 2 == 0)(2)", ())]
    # Where the module is unknown, or rebinds the definition's name, nothing is made up.
    assert doctest_examples("complement", doc, module="") == []
    rebinding = doc.replace(
        ">>> isodd = complement(iseven)", ">>> complement = len\n    >>> isodd = complement(iseven)"
    )
    assert doctest_examples("complement", rebinding, module="toolz.functoolz") == []


def test_a_call_site_example_brings_its_imports_into_the_test_module():
    head = "def keep(predicate, items):\n    return [i for i in items if predicate(i)]\n"
    target = Target(
        path="shop/money.py",
        qualname="keep",
        kind="function",
        start=1,
        def_line=1,
        header_end=1,
        end=2,
        is_async=False,
        has_docstring=False,
        decorators=(),
        change="added",
        code=head,
        source=head,
    )
    [call] = candidate_calls(
        target, [("shop/use.py", "import operator\nkeep(operator.truth, [0, 1])\n")], "shop.money"
    )
    assert call.imports == (("operator", ""),)
    values = {f.name: getattr(target, f.name) for f in fields(Target)}
    facts = TestTarget(
        **values,
        module="shop.money",
        test_path="tests/test_money_keep.py",
        examples=(ObservedExample(call.call, call.origin, returns="[1]", imports=call.imports),),
    )
    [(text, _), *_] = build_test_modules(facts)
    assert "import operator\n\nfrom shop.money import keep\n" in text
    assert "assert keep(operator.truth, [0, 1]) == [1]" in text


def test_unannotated_parameters_take_their_defaults_type_or_a_string_by_name():
    tree = ast.parse(
        "def parse_time(timestring): ...\n"
        "def join(items, sep=', ', strict=False): ...\n"
        "def scale(value, factor=2): ...\n"
        "def pad(text, width=3, fill=None): ...\n"
    )
    parse, join, scale, pad = (n for n in tree.body if isinstance(n, ast.FunctionDef))
    calls = [c.call for c in annotation_examples(parse, "parse_time", "function")]
    assert calls == ["parse_time(timestring='')", "parse_time(timestring='abc')",
                     "parse_time(timestring='Hello World')"]  # fmt: skip
    # `items` shows no type and is required: no call is guessed
    assert annotation_examples(join, "join", "function") == []
    assert annotation_examples(scale, "scale", "function") == []
    # a literal default tells the type; a None default keeps its default
    calls = [c.call for c in annotation_examples(pad, "pad", "function")]
    assert "pad(text='', width=0)" in calls and "pad(text='abc', width=42)" in calls
    assert not any("fill" in call for call in calls)


def test_a_string_key_sample_is_found_in_the_filled_mapping_sample():
    (price,) = ast.parse("def price(prices: dict[str, int], name: str) -> int: ...\n").body
    assert isinstance(price, ast.FunctionDef)
    found = []
    for example in annotation_examples(price, "price", "function"):
        call = ast.parse(example.call, mode="eval").body
        assert isinstance(call, ast.Call)
        prices, name = (ast.literal_eval(keyword.value) for keyword in call.keywords)
        found.append(name in prices)
    # Both the hit and the miss of `name in prices` are tried.
    assert True in found and False in found
