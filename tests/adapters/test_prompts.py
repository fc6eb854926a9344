"""Prompts: what they hold, what is cut to fit the budget (far code first), and reading answers."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from codegen_bot.adapters.engines.base import RunContext
from codegen_bot.adapters.engines.chat import (
    PLACEHOLDER,
    ChatFrame,
    TrainedPrompt,
    frame_from_rendered,
    resolve_format,
    trained_prompt_of,
)
from codegen_bot.adapters.engines.completion import Completion
from codegen_bot.adapters.prompts import template, template_parts
from codegen_bot.adapters.prompts.build import build_prompt
from codegen_bot.adapters.prompts.code_context import module_name, outline
from codegen_bot.adapters.prompts.few_shot import pick_docstring_examples, pick_test_example
from codegen_bot.adapters.prompts.parse import (
    docstring_completion,
    parse_answer,
    parse_docstring,
    parse_refactor,
    parse_tests,
)
from codegen_bot.refactor.results import Failure, Success
from codegen_bot.refactor.targets import Target, find_definitions

SOURCE = '''\
"""Carts."""

import math
from decimal import Decimal


def far_away(x):
    return x


def documented(price: float) -> float:
    """Round a price.

    Args:
        price: The price.

    Returns:
        The rounded price.
    """
    return round(price, 2)


class Cart:
    """A cart."""

    currency = "EUR"

    def add(self, price):
        self.items.append(price)

    def total(self, tax: float = 0.0) -> Decimal:
        return Decimal(sum(self.items)) * Decimal(1 + tax)

    def count(self):
        return len(self.items)


def near_after(y):
    return y
'''


def words(text: str) -> int:
    """A tokenizer stand-in for budgets: one token per whitespace-separated word."""
    return len(text.split())


def _target(name: str, source: str = SOURCE) -> Target:
    return next(t for t in find_definitions("shop/cart.py", source) if t.qualname == name)


def _prompt(task: str, name: str, budget: int = 10_000, **context: object) -> str:
    built = build_prompt(task, _target(name), RunContext(**context), words, budget)  # type: ignore[arg-type]
    assert isinstance(built, Success), built
    return built.value.text


def test_docs_prompt_holds_the_context_a_model_needs() -> None:
    text = _prompt("docs", "Cart.total")
    assert text.startswith(
        "# Task: write the docstring of the method `Cart.total` in `shop/cart.py`."
    )
    assert "Google docstring convention" in text
    assert "# Docstrings from this repository:\ndef documented(price: float) -> float:" in text
    assert "# Imports of shop/cart.py:\nimport math\nfrom decimal import Decimal\n" in text
    assert 'class Cart:\n    """A cart."""\n\n    currency = "EUR"' in text
    assert "    def add(self, price):" in text and "def far_away(x):" in text
    # Ends by opening the docstring at the body's indentation: the model writes its summary
    # right after the quotes (no newline: a prompt ending in one splits a token the model knows).
    assert text.endswith('    def total(self, tax: float = 0.0) -> Decimal:\n        """')


def test_far_code_is_cut_first_then_the_rest_in_order_of_priority() -> None:
    full = build_prompt("docs", _target("Cart.total"), RunContext(), words, 10_000)
    assert isinstance(full, Success)
    budget = full.value.tokens - 1  # a little too small: the farthest definition must go
    built = build_prompt("docs", _target("Cart.total"), RunContext(), words, budget)
    assert isinstance(built, Success)
    assert built.value.tokens <= budget
    assert built.value.cut == ("line 7: def far_away(x):",)
    assert "def far_away" not in built.value.text
    assert "def near_after(y):" in built.value.text and "def count(self):" in built.value.text

    smaller = build_prompt("docs", _target("Cart.total"), RunContext(), words, 100)
    assert isinstance(smaller, Success)
    assert smaller.value.tokens <= 100
    assert smaller.value.cut == (
        "line 7: def far_away(x):",  # other definitions, farthest first
        "line 11: def documented(price: float) -> float:",
        "line 38: def near_after(y):",
        "line 34: def count(self):",
        "line 28: def add(self, price):",
        "docstring example 2",
        "the imports",
    )
    assert "class Cart:" in smaller.value.text  # the enclosing class is the last thing to go
    assert "# Docstrings from this repository:\ndef documented" in smaller.value.text


def test_a_class_too_long_for_the_budget_is_shown_as_its_outline() -> None:
    full = build_prompt("docs", _target("Cart"), RunContext(), words, 10_000)
    assert isinstance(full, Success)
    built = build_prompt("docs", _target("Cart"), RunContext(), words, 64)
    assert isinstance(built, Success)
    assert "self.items.append(price)" not in built.value.text
    assert "    def add(self, price):\n        ..." in built.value.text
    assert built.value.cut[-1] == "method bodies of the class (outline shown)"


def test_a_target_alone_over_the_budget_is_a_failure_with_its_reason() -> None:
    built = build_prompt("docs", _target("documented"), RunContext(), words, 20)
    assert isinstance(built, Failure)
    assert "more than the budget of 20" in built.reason


def test_tests_prompt_shows_a_test_of_the_repository_and_the_import_path() -> None:
    example = (
        "tests/test_total.py",
        "from shop import total\n\n\ndef test_total():\n    assert total([]) == 0\n",
    )
    text = _prompt("tests", "far_away", test_example=example)
    assert "importable as `shop.cart`" in text
    assert (
        "# A test module of this repository, tests/test_total.py:\nfrom shop import total" in text
    )
    assert text.endswith("# A new test module for it, tests/test_far_away.py:\n```python\n")


def test_numpy_style_is_named() -> None:
    assert "NumPy docstring convention" in _prompt("docs", "far_away", style="numpy")


def test_module_names() -> None:
    assert module_name("src/shop/cart.py") == "shop.cart"
    assert module_name("shop/__init__.py") == "shop"
    assert module_name("tool.py") == "tool"


def test_outline_keeps_signatures_and_docstrings() -> None:
    code = 'class A:\n    def f(self):\n        """Doc."""\n        x = 1\n        return x\n\n    def g(self): return 2\n'
    assert (
        outline(code)
        == 'class A:\n    def f(self):\n        """Doc."""\n        ...\n\n    def g(self): return 2'
    )


def test_examples_prefer_the_repository_style_and_sections() -> None:
    summary_only = 'def a(x):\n    """Do a."""\n    return x\n'
    google = 'def b(x):\n    """Do b.\n\n    Args:\n        x: The x.\n    """\n    return x\n'
    numpy = 'def c(x):\n    """Do c.\n\n    Parameters\n    ----------\n    x : int\n    """\n    return x\n'
    private = 'def _d(x):\n    """Do d.\n\n    Args:\n        x: The x.\n    """\n'
    files = [("a.py", summary_only), ("c.py", numpy), ("b.py", google), ("d.py", private)]
    chosen = pick_docstring_examples(files, "google")
    assert chosen == (
        google.rsplit("\n    return x", 1)[0],
        summary_only.rsplit("\n    return x", 1)[0],
    )
    assert pick_docstring_examples(files, "numpy")[0].startswith("def c(x):")


def test_test_example_is_a_short_module_with_tests() -> None:
    one = "def test_a():\n    assert 1\n"
    two = "import x\n\n\ndef test_a():\n    assert x\n\n\ndef test_b():\n    assert x\n"
    assert pick_test_example([("t1.py", one), ("t2.py", two), ("conf.py", "x = 1\n")]) == (
        "t2.py",
        two,
    )
    assert pick_test_example([("bad.py", "def (")]) is None


# --- reading answers --------------------------------------------------------------------------


def _done(text: str, reason: str = "stop", tokens: int = 10) -> Completion:
    return Completion(text, reason, tokens)  # type: ignore[arg-type]


def test_docstring_answers_are_dedented_and_checked() -> None:
    answer = "Sum the prices.\n\n        Args:\n            prices: The prices.\n        "
    assert parse_docstring(_done(answer)) == Success(
        "Sum the prices.\n\nArgs:\n    prices: The prices."
    )
    assert parse_docstring(_done("\n    Summary on the second line.\n    ")) == Success(
        "Summary on the second line."
    )
    assert parse_docstring(_done("Tabs.\n\n\tArgs:\n\t\tx: y.\n\t")) == Success(
        "Tabs.\n\nArgs:\n    x: y."
    )


def test_malformed_docstring_answers_are_rejected_with_their_reason() -> None:
    assert parse_docstring(_done("never closed", "length", 24)) == Failure(
        "the model did not close the docstring within 24 tokens"
    )
    # Cut off after a finished summary paragraph: the summary stands, the rest is dropped.
    rambling = "Merge the dicts, later keys winning.\n\n    Args:\n        dicts: the dicts, in"
    assert parse_docstring(_done(rambling, "length", 24)) == Success(
        "Merge the dicts, later keys winning."
    )
    assert parse_docstring(_done("Merge the dicts,\n    later keys", "length", 24)) == Failure(
        "the model did not close the docstring within 24 tokens"
    )
    assert parse_docstring(_done("   \n  ")) == Failure("the model wrote an empty docstring")
    assert parse_docstring(_done("}}} ...")) == Failure(
        "the docstring's first line says nothing: '}}} ...'"
    )
    assert parse_docstring(_done("Bell\x07.")) == Failure("the docstring holds control characters")


@given(
    st.lists(
        st.text(
            alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")),
            max_size=30,
        )
        .map(str.strip)
        .filter(lambda line: '"' not in line),
        min_size=1,
        max_size=6,
    ).filter(lambda lines: any(ch.isalpha() for ch in lines[0])),
    st.sampled_from(["", "    ", "        "]),
)
def test_docstring_completion_is_what_parse_reads_back(lines: list[str], indent: str) -> None:
    text = "\n".join(lines).strip("\n")
    expected = "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")
    answer = docstring_completion(text, indent)
    assert answer.endswith('"""')
    parsed = parse_docstring(_done(answer[: -len('"""')]))
    if "\n" in expected and expected.split("\n", 1)[1].strip():
        # Common leading spaces of the later lines are the file's indentation, not the text's.
        assert isinstance(parsed, Success)
        assert parsed.value.split("\n")[0] == expected.split("\n")[0].strip()
    else:
        assert parsed == Success(expected.split("\n")[0].strip())


def test_test_and_refactor_answers() -> None:
    target = _target("far_away")
    assert parse_tests(_done("def test_x():\n    assert True\n")) == Success(
        "def test_x():\n    assert True\n"
    )
    assert parse_tests(_done("x = (")) == Failure(
        "the code does not parse: '(' was never closed (line 1)"
    )
    assert parse_tests(_done("def helper():\n    pass\n")).reason.startswith(
        "the code defines no test"
    )  # type: ignore[union-attr]
    assert parse_tests(_done("def test_x(): pass", "length", 9)) == Failure(
        "the model did not finish the code within 9 tokens, and no test was complete before the cut"
    )
    assert parse_refactor(_done("def far_away(x):\n    return x * 1\n"), target) == Success(
        "def far_away(x):\n    return x * 1\n"
    )
    assert parse_refactor(_done("def other(x):\n    return x\n"), target) == Failure(
        "the code does not define function `far_away`"
    )


def test_templates_split_after_their_cue_line_and_join_back_unchanged() -> None:
    for task in ("docs", "tests", "refactor"):
        request, answer_start = template_parts(task)  # type: ignore[arg-type]
        assert request.template + answer_start.template == template(task).template  # type: ignore[arg-type]
        assert request.template.splitlines()[-1].startswith("# ")
    assert template_parts("docs")[1].template == '$header\n$indent"""'
    assert template_parts("tests")[1].template.startswith("```python")


def test_a_chat_frame_wraps_the_request_and_opens_the_answer() -> None:
    frame = ChatFrame("<s>user\n", "</s>\n<s>assistant\n")
    target = _target("Cart.total")
    plain = build_prompt("docs", target, RunContext(), words, 10_000)
    chat = build_prompt("docs", target, RunContext(), words, 10_000, frame=frame)
    assert isinstance(plain, Success) and isinstance(chat, Success)
    request, _, answer_start = plain.value.text.rpartition("with its docstring:\n")
    assert chat.value.text == (
        frame.head + request + "with its docstring:" + frame.tail + answer_start
    )
    assert (plain.value.format, chat.value.format) == ("completion", "chat")
    # The frame's tokens count against the budget: a budget that fits the plain prompt exactly
    # leaves the chat prompt to cut context.
    squeezed = build_prompt("docs", target, RunContext(), words, plain.value.tokens, frame=frame)
    assert isinstance(squeezed, Success)
    assert squeezed.value.tokens <= plain.value.tokens and squeezed.value.cut


def test_frames_formats_and_trained_prompt_records_are_read_strictly() -> None:
    assert frame_from_rendered(f"a{PLACEHOLDER}b") == ChatFrame("a", "b")
    assert frame_from_rendered("a template that dropped the message") is None
    assert frame_from_rendered(f"{PLACEHOLDER}{PLACEHOLDER}") is None
    assert ChatFrame.from_dict(ChatFrame("a", "b").to_dict()) == ChatFrame("a", "b")
    assert ChatFrame.from_dict({"head": 1, "tail": "b"}) is None
    assert resolve_format("auto", None) == "completion"
    assert resolve_format("auto", ChatFrame("a", "b")) == "chat"
    assert resolve_format("chat", None) == "chat"  # the engine refuses it with its reason
    record = TrainedPrompt("chat", 896)
    assert trained_prompt_of({"prompt": record.to_dict()}) == record
    assert trained_prompt_of({}) is None  # adapters trained before the record existed
    assert trained_prompt_of({"prompt": {"format": "jinja", "context_tokens": 9}}) is None
    assert trained_prompt_of({"prompt": {"format": "chat", "context_tokens": 0}}) is None


def test_a_docstring_copied_from_the_prompt_is_refused() -> None:
    target = _target("Cart.total")
    built = build_prompt("docs", target, RunContext(), words, 10_000)
    assert isinstance(built, Success)
    prompt = built.value.text + "\n# Return the price of all the items in the cart, taxed.\n"
    for copy in (
        "Return the price of all the items in the cart, taxed.",  # word for word
        "Return the price of all items in the cart.",  # a word or two changed
    ):
        refused = parse_answer("docs", _done(copy + "\n    "), target, prompt)
        assert isinstance(refused, Failure), copy
        assert "repeats a line of the prompt" in refused.reason
        # Without the prompt there is nothing to compare with.
        assert isinstance(parse_answer("docs", _done(copy), target), Success)
    # A summary of the same shape that says something else is kept.
    written = _done("Return the total of the items, taxed.\n    ")
    assert isinstance(parse_answer("docs", written, target, prompt), Success)
    # Under COPY_WORDS words a summary may well recur honestly ("Round a price." is an example).
    assert "Round a price." in prompt
    assert isinstance(parse_answer("docs", _done("Round a price."), target, prompt), Success)
    # The target's own code is not another definition: restating it is for other gates to judge.
    code_line = "        return Decimal(sum(self.items)) * Decimal(1 + tax)"
    assert code_line in prompt
    own = _done("Return Decimal sum of self items times Decimal 1 plus tax.")
    assert isinstance(parse_answer("docs", own, target, prompt), Success)


def test_a_docstring_with_doctest_examples_is_refused_and_examples_are_shown_last() -> None:
    target = _target("Cart.total")
    answer = _done("Return the total.\n\n    >>> Cart([1]).total()\n    1.2\n    ")
    refused = parse_answer("docs", answer, target, "")
    assert isinstance(refused, Failure) and "doctest examples" in refused.reason
    assert isinstance(parse_answer("docs", _done("Return the total, taxed."), target), Success)
    # A docstring example with doctests is shown only when no other one is at hand.
    plain = 'def a(x):\n    """Do a with x."""\n    return x\n'
    shown = 'def b(x):\n    """Do b.\n\n    >>> b(1)\n    1\n    """\n    return x\n'
    assert pick_docstring_examples([("b.py", shown), ("a.py", plain)], "plain", limit=1) == (
        plain.rsplit("\n    return x", 1)[0],
    )
    only = pick_docstring_examples([("b.py", shown)], "plain", limit=1)
    assert only == (shown.rsplit("\n    return x", 1)[0],)
