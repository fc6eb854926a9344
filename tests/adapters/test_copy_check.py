"""The copy check compares normalised words: a reworded prompt line is still a copy.

The prompt below is shaped like the one SmolLM2 answered in issue 14's runs: another
definition's docstring is shown as an example, and the model wrote it again, reworded, for
`fractional`.
"""

from __future__ import annotations

from codegen_bot.adapters.engines.base import RunContext
from codegen_bot.adapters.engines.completion import Completion
from codegen_bot.adapters.prompts.build import build_prompt
from codegen_bot.adapters.prompts.parse import copied_from_prompt, parse_answer
from codegen_bot.refactor.results import Failure, Success
from codegen_bot.refactor.targets import find_definitions

SOURCE = '''\
"""Numbers for humans."""


def thousands_separator(locale=None):
    """Return the thousands separator for a locale, default to comma.

    Args:
        locale: The locale to read, the active one when None.
    """
    return _SEPARATORS.get(locale, ",")


def fractional(value):
    whole = int(value)
    numerator = round((value - whole) * 8)
    return f"{whole} {numerator}/8"


def intcomma(value, locale=None):
    separator = thousands_separator(locale)
    return f"{value:,}".replace(",", separator)
'''

EXAMPLE = "Return the thousands separator for a locale, default to comma."


def _prompt_and_target(name: str):
    target = next(t for t in find_definitions("numbers.py", SOURCE) if t.name == name)
    built = build_prompt("docs", target, RunContext(), lambda text: len(text.split()), 10_000)
    assert isinstance(built, Success)
    assert EXAMPLE in built.value.text  # the neighbour's docstring is in the prompt
    return built.value.text, target


def _answer(summary: str) -> Completion:
    return Completion(text=summary + "\n    ", finish_reason="stop", tokens=12)


def test_a_paraphrase_of_a_prompt_line_is_refused() -> None:
    prompt, target = _prompt_and_target("fractional")
    for paraphrase in (
        "Returns the thousands separator for the specified locale.",  # SmolLM2's, issue 14
        "Return thousands separators of the given locale, defaulting to a comma.",
    ):
        refused = parse_answer("docs", _answer(paraphrase), target, prompt)
        assert isinstance(refused, Failure), paraphrase
        assert "repeats a line of the prompt" in refused.reason


def test_an_original_summary_sharing_a_few_words_is_kept() -> None:
    prompt, target = _prompt_and_target("fractional")
    # "return", "separator" and "locale" are shared, in order, but not 60% of either line.
    original = "Return the value as a whole number and eighths, no separator, whatever the locale."
    assert isinstance(parse_answer("docs", _answer(original), target, prompt), Success)
    assert isinstance(
        parse_answer("docs", _answer("Write `value` as a whole and eighths."), target, prompt),
        Success,
    )


def test_words_of_the_target_own_code_do_not_make_a_copy() -> None:
    # `intcomma` calls `thousands_separator(locale)`: naming what it uses is no copy of the
    # neighbour's docstring, even though the words are the same.
    prompt, target = _prompt_and_target("intcomma")
    summary = "Return `value` with the thousands separator for a locale."
    assert not copied_from_prompt(summary, prompt, target.code)
    assert copied_from_prompt(summary, prompt, "")  # without the own code, it would be one
