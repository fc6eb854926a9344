"""bench.quality's docs figures say why an answer never reached the gates, not only "answer"."""

from __future__ import annotations

from bench.quality_docs import answer_kind, gate, rejections
from codegen_bot.adapters.engines.base import Candidate
from codegen_bot.adapters.engines.completion import Completion
from codegen_bot.adapters.prompts.parse import parse_answer
from codegen_bot.refactor.gates.lint import RuffGate
from codegen_bot.refactor.results import Failure
from codegen_bot.refactor.targets import find_definitions

SOURCE = '''\
def thousands_separator(locale=None):
    """Return the thousands separator for a locale, default to comma."""
    return {"de": "."}.get(locale, ",")


def area(radius):
    return 3.14159 * radius**2


def scale(numbers, factor=2):
    return [n * factor for n in numbers]


def clamp(value, low, high):
    return max(low, min(value, high))
'''

PROMPT = SOURCE + "\n# The same function, with its docstring:\n"


def _candidate(name: str, text: str, finish: str = "stop") -> Candidate:
    target = next(t for t in find_definitions("numbers.py", SOURCE) if t.name == name)
    parsed = parse_answer("docs", Completion(text, finish, 48), target, PROMPT)
    if isinstance(parsed, Failure):
        return Candidate(target, "docs", None, "model", parsed.reason)
    return Candidate(target, "docs", parsed.value, "model")


def test_each_refusal_keeps_its_reason_and_the_table_breaks_answer_down() -> None:
    groups = [
        [_candidate("area", "Return the area of a circle of the given", finish="length")],
        [_candidate("scale", "Return the thousands separator for the given locale.\n")],
        [
            _candidate("clamp", "   \n"),  # empty, then a sample that ran out of tokens
            _candidate("clamp", "Limit `value` to the range", finish="length"),
        ],
    ]
    with RuffGate({}) as ruff:
        figures = gate("base", groups, ruff)
    row = figures.row([])  # not scored: nothing passed
    assert row["rejected_by"] == {"answer": 3}
    # Per target, the reason shown (the last candidate's); per candidate, every one's.
    assert row["answer_reasons"] == {"unclosed": 2, "copied from the prompt": 1}
    assert row["candidate_reasons"] == {"unclosed": 2, "copied from the prompt": 1, "empty": 1}
    assert rejections(row) == "answer 3 (unclosed 2, copied from the prompt 1)"
    # Each target's answer is kept to read: the parser's refusals left no text.
    assert [a["target"] for a in row["answers"]] == [
        "numbers.py::area",
        "numbers.py::scale",
        "numbers.py::clamp",
    ]
    assert [a["accepted"] for a in row["answers"]] == [False] * 3


def test_the_rouge_l_beside_the_heuristic_counts_only_targets_both_answered() -> None:
    model = [
        [_candidate("area", "Return the surface of a circle of radius `radius`.\n")],
        [_candidate("scale", "Multiply each number by `factor`.\n")],
    ]
    heuristic = [
        [_candidate("area", "   \n")],  # refused: no text
        [_candidate("scale", "Return `numbers`, each multiplied by `factor`.\n")],
    ]
    with RuffGate({}) as ruff:
        mine, its = gate("base", model, ruff), gate("heuristic", heuristic, ruff)
    mine.rouge, its.rouge = [0.5, 0.25], [0.0, 0.75]
    assert mine.row([], heuristic=its)["with_heuristic"] == {
        "n": 1,
        "rouge_l": 0.25,
        "heuristic": 0.75,
    }
    assert mine.answered == 2 and its.answered == 1


def test_reasons_are_named_by_kind_and_unknown_ones_kept_without_particulars() -> None:
    assert answer_kind("the model did not close the docstring within 48 tokens") == "unclosed"
    assert answer_kind("none") == "nothing proposed"
    assert answer_kind("the model has no chat template") == "no chat template"
    assert (
        answer_kind("budget of 512 tokens left no room: the target")
        == "budget of N tokens left no room"
    )
    assert rejections({"rejected_by": {"facts": 2}}) == "facts 2"
