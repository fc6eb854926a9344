"""`codegen review --tasks tests` for functions that take callables: call sites that pass a
lambda, an operator function or the module's own names become proven tests (real git repository,
real pytest and coverage in the sandbox)."""

from __future__ import annotations

from pathlib import Path

from codegen_bot.bot.tasks.pipeline import ReviewRequest, review
from tests.bot.tests_task_repo import (
    BASE,
    apply_and_run_tests,
    by_symbol,
    heuristic,
    make_tests_repo,
)

TAKING_CALLABLES = """

def keep(predicate, items):
    return [item for item in items if predicate(item)]


def fold(func, values, start=0):
    total = start
    for value in values:
        total = func(total, value)
    return total


def apply_to(func, value):
    return func(value)


def evens(values):
    for value in values:
        if value % 2 == 0:
            yield value
"""

CALLERS = """\
import operator

from shop.money import apply_to, double, evens, fold, keep


def is_short(word):
    return len(word) < 3


EVENS = keep(lambda n: n % 2 == 0, [1, 2, 3, 4])
SHORT = keep(is_short, ["a", "abcd"])
TOTAL = fold(operator.add, [1, 2, 3])
DOUBLED = apply_to(double, 21)
EVEN = list(evens([1, 2, 3, 4]))
"""


def test_functions_taking_callables_get_tests_from_call_sites_that_pass_them(
    make_repo, tmp_path: Path
) -> None:
    repo, base = make_tests_repo(make_repo, BASE + TAKING_CALLABLES, {"shop/use.py": CALLERS})
    report = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), heuristic)
    proposals = by_symbol(report)
    assert {"keep", "fold", "apply_to", "evens"} <= set(proposals)  # is_short of use.py is new too
    for symbol in ("keep", "fold", "apply_to", "evens"):
        proposal = proposals[symbol]
        assert proposal.status == "accepted", (symbol, proposal.reason)
    keep = proposals["keep"].text
    assert "assert keep(lambda n: n % 2 == 0, [1, 2, 3, 4]) == [2, 4]" in keep
    fold = proposals["fold"].text
    # operator.add needs its import
    assert "import operator\n\nfrom shop.money import fold\n" in fold
    assert "assert fold(operator.add, [1, 2, 3]) == 6" in fold
    # double is the module's own: it is imported from there beside the target
    apply_to = proposals["apply_to"].text
    assert "from shop.money import apply_to, double\n" in apply_to
    assert "assert apply_to(double, 21) == 42" in apply_to
    # the generator's call site turned it into a list: that is what the test asserts
    assert "assert list(evens([1, 2, 3, 4])) == [2, 4]" in proposals["evens"].text
    accepted = [p for p in proposals.values() if p.status == "accepted"]
    run = apply_and_run_tests(repo, accepted, tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr


SUFFIX = '''

def suffix(number):
    """Return the English ordinal suffix of `number`.

    >>> suffix(1)
    'st'
    """
    n = abs(int(number))
    if n % 100 in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
'''


def test_a_test_pins_the_functions_own_boundary_values(make_repo) -> None:
    # The doctest runs every line; what it does not pin is 11, 12 and 13: a mutant changing
    # any of them survives it. The test asserts the values there, as observed.
    repo, base = make_tests_repo(make_repo, BASE + SUFFIX, {})
    report = review(ReviewRequest(str(repo.path), base, tasks=("tests",)), heuristic)
    proposal = by_symbol(report)["suffix"]
    assert proposal.status == "accepted", proposal.reason
    for value in ("11", "12", "13"):
        assert f'assert suffix({value}) == "th"' in proposal.text
    assert 'assert suffix(1) == "st"' in proposal.text
    assert 'assert suffix(2) == "nd"' in proposal.text
