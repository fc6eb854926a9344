"""`codegen nightly` with stub engines whose rewrites break behaviour on purpose: the tests
that cover a change catch it, and a failing combination is bisected to its culprits (real git
repositories, real ruff, real pytest and coverage in the sandbox)."""

from __future__ import annotations

from collections.abc import Sequence

from codegen_bot.adapters.engines.base import Candidate, EngineIdentity, Task
from codegen_bot.bot.nightly.night import NightlyRequest, nightly
from codegen_bot.bot.report import Report
from codegen_bot.refactor.targets import Target
from tests.bot.nightly_shop import NIGHT, PYPROJECT, SHOP, by_symbol
from tests.conftest import GitRepo


class RewriteEngine:
    """A stub engine proposing fixed rewrites, by qualified name, as an adapter would."""

    def __init__(self, rewrites: dict[str, str | list[str]]) -> None:
        self.rewrites = {k: [v] if isinstance(v, str) else v for k, v in rewrites.items()}

    @property
    def identity(self) -> EngineIdentity:
        return EngineIdentity("stub", model="tiny", adapter="refactor@1")

    def propose(
        self, task: Task, targets: Sequence[Target], context: object = None
    ) -> list[Candidate]:
        return [
            Candidate(t, task, text, self.identity, note="adapter refactor@1")
            for t in targets
            for text in self.rewrites.get(t.qualname, [])
        ]


def _night(repo: GitRepo, engine: RewriteEngine) -> Report:
    return nightly(NightlyRequest(str(repo.path), NIGHT), lambda options: engine)


def test_a_rewrite_that_breaks_behaviour_is_caught_by_the_tests_that_cover_it(make_repo) -> None:
    repo = make_repo()
    repo.commit(SHOP)
    engine = RewriteEngine(
        {
            "plain": "def plain(x):\n    return x + 2\n",  # wrong
            # The engine's first sample does not parse; its second is the one judged.
            "squares": [
                "def squares(n) return n",
                "def squares(n):\n    return [i**2 for i in range(n)]\n",
            ],
        }
    )
    report = _night(repo, engine)
    proposals = by_symbol(report)
    assert [p.symbol for p in report.accepted] == ["squares"]
    plain = proposals["plain"]
    assert plain.status == "rejected" and plain.suggestion is None and plain.patch == ""
    assert plain.gates[-1].gate == "covering-tests" and not plain.gates[-1].passed
    assert plain.reason.startswith("covering-tests: `tests/test_money.py::test_plain` fails (")
    assert "assert 3 == 2" in plain.reason
    assert report.identity == engine.identity
    assert proposals["squares"].metrics["rules"] == "adapter refactor@1"
    assert proposals["squares"].metrics["what"] == "rewritten (2 lines → 2)"
    assert "return [i**2 for i in range(n)]" in report.final_files["shop/money.py"]
    assert "x + 2" not in report.final_files["shop/money.py"]


CALC = '''\
"""Prices."""


def scale(x):
    return x * 2


def price(x):
    return scale(x) + 1


def other(x):
    return x - 1
'''
PRICES = '''\
"""Formatting."""

from shop import plugins


def fmt(x):
    return plugins.PREFIX + str(x)
'''
COMBINATION = {
    "pyproject.toml": PYPROJECT,
    "shop/__init__.py": "",
    "shop/registry.py": "FORMATS = []\n",
    "shop/plugins.py": 'from shop.registry import FORMATS\n\nPREFIX = "EUR "\nFORMATS.append("euro")\n',
    "shop/calc.py": CALC,
    "shop/prices.py": PRICES,
    "tests/test_calc.py": (
        "from shop.calc import other, price\n\n\ndef test_price():\n    assert price(2) == 5\n\n\n"
        "def test_other():\n    assert other(2) == 1\n"
    ),
    "tests/test_prices.py": 'from shop.prices import fmt\n\n\ndef test_fmt():\n    assert fmt(1) == "EUR 1"\n',
    "tests/test_registry.py": (
        "import shop.prices  # noqa: F401\nfrom shop.registry import FORMATS\n\n\n"
        'def test_the_euro_format_is_registered():\n    assert "euro" in FORMATS\n'
    ),
}


def test_combination_failures_are_bisected_to_their_culprits(make_repo) -> None:
    repo = make_repo()
    repo.commit(COMBINATION)
    engine = RewriteEngine(
        {
            "scale": "def scale(x):\n    return x * 3\n",  # breaks test_price, which covers two
            "price": "def price(x):\n    return 1 + scale(x)\n",
            "other": "def other(x):\n    return -1 + x\n",
            # Fine for its own test, but drops `from shop import plugins` and its side effect.
            "fmt": 'def fmt(x):\n    return "EUR " + str(x)\n',
        }
    )
    report = _night(repo, engine)
    proposals = by_symbol(report)
    assert {p.symbol for p in report.accepted} == {"price", "other"}
    scale, fmt = proposals["scale"], proposals["fmt"]
    assert scale.gates[-1].gate == "covering-tests"
    assert scale.reason.startswith("covering-tests: `tests/test_calc.py::test_price` fails")
    assert "bisection over 4 changes found this one" in scale.reason
    assert fmt.metrics["imports_removed"] == ["shop.plugins"]
    assert fmt.gates[-1].gate == "suite"
    assert fmt.reason.startswith(
        "suite: `tests/test_registry.py::test_the_euro_format_is_registered` fails"
    )
    assert "bisection over 3 changes found this one" in fmt.reason
    assert set(report.final_files) == {"shop/calc.py"}
    assert report.final_files["shop/calc.py"] == CALC.replace(
        "scale(x) + 1", "1 + scale(x)"
    ).replace("x - 1", "-1 + x")
    runs = next(note for note in report.notes if note.startswith("the suite ran"))
    assert "bisect: first 1 changes" in runs and "suite with 2 changes" in runs
