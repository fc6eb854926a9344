"""`codegen nightly` end to end: real git repositories, real ruff, real pytest and coverage in the
sandbox; the heuristic engine, and stub engines whose rewrites break behaviour on purpose."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from codegen_bot.adapters.engines.base import Candidate, EngineIdentity, Task
from codegen_bot.bot.cli.main import main
from codegen_bot.bot.nightly.night import NightlyRequest, nightly
from codegen_bot.bot.nightly.pull_body import (
    drop_closed,
    is_closed,
    keys_in_body,
    pr_body,
    pr_title,
)
from codegen_bot.bot.report import Proposal, Report
from codegen_bot.bot.tasks.refactor.task import CLOSED_REASON, proposal_key
from codegen_bot.refactor.targets import Target
from tests.conftest import GitRepo, ruff_check

NIGHT = datetime.date(2024, 5, 1)
PYPROJECT = """\
[project]
name = "shop"
version = "0.1.0"

[tool.ruff.lint]
select = ["E", "F", "I"]

[tool.codegen.nightly]
extra_rules = ["UP", "SIM", "C4", "PIE", "RET", "PERF102", "RUF015", "F401", "F541"]
"""
MONEY = '''\
"""Money helpers."""

from typing import List
import json


def total(items: List[int]) -> int:
    result = 0
    for item in items:
        result += item
    return result


def squares(n):
    return [i * i for i in range(0, n)]


def uncovered(n):
    return [i for i in range(0, n)]


def plain(x):
    return x + 1


class Till:
    def sign(self, x):
        if x > 0:
            return 1
        else:
            return -1
'''
MONEY_TESTS = """\
from shop.money import Till, plain, squares, total


def test_total():
    assert total([1, 2, 3]) == 6


def test_squares():
    assert squares(3) == [0, 1, 4]


def test_plain():
    assert plain(1) == 2


def test_sign():
    assert Till().sign(3) == 1
"""
SHOP = {
    "pyproject.toml": PYPROJECT,
    "shop/__init__.py": "",
    "shop/money.py": MONEY,
    "tests/test_money.py": MONEY_TESTS,
    ".github/scripts/tool.py": "def tool(x):\n    return [i for i in range(0, x)]\n",
}


@dataclass
class Night:
    """One nightly run of the shop repository, as the CLI wrote it."""

    repo: GitRepo
    report: Report
    data: dict
    body: str
    unchanged: bool


@pytest.fixture(scope="module")
def shop_night(tmp_path_factory: pytest.TempPathFactory) -> Night:
    root = tmp_path_factory.mktemp("shop")
    repo = GitRepo(root)
    repo.commit(SHOP, "base")
    before = repo.snapshot()
    out, body = root / "report.json", root / "body.md"
    code = main(["nightly", "--repo", str(repo.path), "--date", "2024-05-01", "--format", "json",
                 "--out", str(out), "--pr-body", str(body), "-q"])  # fmt: skip
    assert code == 0
    data = json.loads(out.read_text())
    return Night(repo, Report.from_dict(data), data, body.read_text(), repo.snapshot() == before)


def _by_symbol(report: Report) -> dict[str, Proposal]:
    return {p.symbol: p for p in report.proposals}


FINAL_MONEY = (
    MONEY.replace("from typing import List\n", "")
    .replace("List[int]", "list[int]")
    .replace("range(0, n)]\n\n\ndef uncovered", "range(n)]\n\n\ndef uncovered")
)


def test_only_covered_changes_that_pass_the_suite_are_accepted(shop_night: Night, tmp_path) -> None:
    report, repo = shop_night.report, shop_night.repo
    assert shop_night.unchanged, "the nightly run changed the repository"
    assert (
        report.tasks == ("refactor",) and report.base == report.head == repo.repo.head.commit.hexsha
    )
    proposals = _by_symbol(report)
    # plain() has nothing to refactor; .github/ is never looked at.
    assert set(proposals) == {"total", "squares", "uncovered", "Till.sign"}
    assert {p.symbol for p in report.accepted} == {"total", "squares"}
    assert proposals["uncovered"].reason == "not covered by tests"
    assert proposals["Till.sign"].reason == "not covered by tests: changed line(s) 31 never run"
    assert [f.path for f in report.files] == ["shop/__init__.py", "shop/money.py"]

    total = proposals["total"]
    assert [g.gate for g in total.gates] == [
        "syntax",
        "ruff",
        "coverage",
        "covering-tests",
        "suite",
    ]
    assert total.metrics["rules"] == "ruff UP006 (added by nightly.extra_rules)"
    assert total.metrics["what"] == "Use `list` instead of `List` for type annotation"
    assert total.metrics["covering_tests"] == ["tests/test_money.py::test_total"]
    assert total.metrics["imports_removed"] == ["typing.List"]
    old = "".join(MONEY.splitlines(keepends=True)[6:11])
    assert total.metrics["key"] == proposal_key("shop/money.py", "total", old, total.text)
    assert total.suggestion is not None and (total.suggestion.start, total.suggestion.end) == (
        7,
        11,
    )
    assert total.text == total.suggestion.text == old.replace("List", "list")
    assert proposals["squares"].metrics["rules"] == "ruff PIE808 (added by nightly.extra_rules)"

    # The final file: both changes, the import only they used gone, the unused json kept.
    assert report.final_files == {"shop/money.py": FINAL_MONEY}
    assert any("the suite ran 2 times" in note for note in report.notes)
    # Each patch applies to the base with git; the final file passes ruff and the real suite.
    for proposal in report.accepted:
        (tmp_path / "p.diff").write_text(proposal.patch)
        subprocess.run(["git", "apply", "--check", str(tmp_path / "p.diff")], cwd=repo.path,
                       check=True)  # fmt: skip
    (repo.path / "shop/money.py").write_text(FINAL_MONEY)
    try:
        # The json import was unused before: still the one finding, nothing new.
        linted = ruff_check(repo.path, "shop/money.py").stdout
        assert "Found 1 error." in linted and "F401 [*] `json` imported but unused" in linted
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                             cwd=repo.path, capture_output=True, text=True, check=False)  # fmt: skip
        assert run.returncode == 0 and "4 passed" in run.stdout, run.stdout
    finally:
        repo.git("checkout", "--", "shop/money.py")
    assert Report.from_dict(report.to_dict()).to_dict() == shop_night.data


def test_the_pull_request_text_lists_each_change_and_its_keys(shop_night: Night) -> None:
    report, body = shop_night.report, shop_night.body
    assert body == pr_body(report) == pr_body(Report.from_dict(report.to_dict()))
    assert pr_title(report) == "codegen: nightly refactoring (2 changes in 1 file)"
    assert (
        "| `shop/money.py` | `total` | ``Use `list` instead of `List` for type annotation (removes "
        "the now unused import typing.List)`` | `ruff UP006 (added by nightly.extra_rules)` |"
        " `tests/test_money.py::test_total` |"
    ) in body
    assert "| `shop/money.py` | `squares` | `` Unnecessary `start` argument in `range` `` |" in body
    assert "- `shop/money.py` · `uncovered`" in body
    assert keys_in_body(body) == {p.metrics["key"] for p in report.accepted}


def test_a_closed_change_is_dropped_and_the_file_rebuilt(shop_night: Night) -> None:
    report = shop_night.report
    total_key = _by_symbol(report)["total"].metrics["key"]
    kept = drop_closed(report, {total_key}, lambda path: MONEY if path == "shop/money.py" else None)
    proposals = _by_symbol(kept)
    assert is_closed(proposals["total"], {total_key})
    assert proposals["total"].status == "rejected" and proposals["total"].reason == CLOSED_REASON
    assert [p.symbol for p in kept.accepted] == ["squares"]
    # Without total's change, List is still used: the import stays.
    assert kept.final_files == {"shop/money.py": MONEY.replace("range(0, n)]\n\n\ndef uncovered",
                                                                "range(n)]\n\n\ndef uncovered", 1)}  # fmt: skip
    assert drop_closed(report, {"0" * 16}, lambda path: None) is report


def test_a_closed_pull_requests_changes_are_not_proposed_again(
    shop_night: Night, run_cli, tmp_path
) -> None:
    closed = tmp_path / "closed-body.md"
    closed.write_text(shop_night.body)  # what a maintainer closed without merging
    out = tmp_path / "again.json"
    result = run_cli("nightly", "--repo", str(shop_night.repo.path), "--date", "2024-05-01",
                     "--closed-keys", str(closed), "--format", "json", "--out", str(out))  # fmt: skip
    assert result.code == 0, result.err
    report = Report.from_dict(json.loads(out.read_text()))
    proposals = _by_symbol(report)
    assert report.accepted == [] and report.final_files == {}
    assert proposals["total"].reason == proposals["squares"].reason == CLOSED_REASON
    assert proposals["uncovered"].reason == "not covered by tests"
    # Only the baseline ran: no covered change was left to prove.
    assert "running the suite with" not in result.err
    assert any("no change was covered" in note for note in report.notes)


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
    proposals = _by_symbol(report)
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
    proposals = _by_symbol(report)
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


def test_the_action_runs_the_nightly_job_on_workflow_dispatch(
    make_repo, run_cli, monkeypatch, tmp_path
) -> None:
    repo = make_repo()
    repo.commit(SHOP | {"pyproject.toml": PYPROJECT + "max_proposals = 1\n"})
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"ref": "refs/heads/main", "inputs": {}}))
    for name, value in {"GITHUB_EVENT_NAME": "workflow_dispatch", "GITHUB_EVENT_PATH": str(event),
                        "GITHUB_REPOSITORY": "o/shop"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    out = tmp_path / "nightly.json"
    result = run_cli("action", "--repo", str(repo.path), "--no-publish", "--report", str(out))
    assert result.code == 0, result.err
    assert "workflow_dispatch: nightly job for o/shop" in result.err
    assert "1 of 4 refactorings passed every gate" in result.err
    report = Report.from_dict(json.loads(out.read_text()))
    proposals = _by_symbol(report)
    assert [p.symbol for p in report.accepted] == ["total"]
    assert proposals["squares"].reason == (
        "over the limit of 1 changes per night (nightly.max_proposals)"
    )
    assert set(report.final_files) == {"shop/money.py"}


def test_a_night_whose_baseline_came_from_the_cache_says_so_not_the_cached_seconds(
    make_repo, monkeypatch, tmp_path
) -> None:
    monkeypatch.setenv("CODEGEN_CACHE_DIR", str(tmp_path / "cache"))
    repo = make_repo()
    repo.commit(SHOP, "base")
    notes = []
    for number in (1, 2):
        out = tmp_path / f"night{number}.json"
        code = main(["nightly", "--repo", str(repo.path), "--date", "2024-05-01", "--format",
                     "json", "--out", str(out), "-q"])  # fmt: skip
        assert code == 0
        report = Report.from_dict(json.loads(out.read_text()))
        notes.append(next(n for n in report.notes if n.startswith("the suite ran")))
    first, second = notes
    assert first.startswith("the suite ran 2 times: once at base under coverage ("), first
    # The second night ran the suite only with the changes: its coverage at base was cached.
    assert second.startswith("the suite ran once: suite with 2 changes ("), second
    assert "its coverage at base came from the cache of an earlier run on the same tree" in second
    assert " s here; measured in " in second and "once at base" not in second
