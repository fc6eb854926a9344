"""Nightly within the project's own rules: a narrow ruff selection, and files that are not
the project's code (docs configuration, build scripts, examples) left alone.

Real git repositories, real ruff, real pytest and coverage in the sandbox, the heuristic engine.
"""

from __future__ import annotations

from codegen_bot.adapters.engines.registry import RunOptions
from codegen_bot.bot.config import config_from_files
from codegen_bot.bot.nightly.night import NightlyRequest, nightly
from codegen_bot.bot.nightly.pull_body import pr_body
from tests.bot.nightly_shop import NIGHT
from tests.conftest import GitRepo

NARROW = """\
[project]
name = "shop"
version = "0.1.0"

[tool.ruff.lint]
select = ["E4", "E7", "E9", "F"]
"""
# `sign` drops an `else` after `return` under RET505, `total` would use `list` under UP006:
# rules this project never chose. `tidy`'s f-string without placeholders is F541, which it did.
MONEY = '''\
"""Money helpers."""

from typing import List


def total(items: List[int]) -> int:
    return sum(items)


def sign(x):
    if x > 0:
        return 1
    else:
        return -1


def tidy(name):
    return f"name" + name
'''
MONEY_TESTS = """\
from shop.money import sign, tidy, total


def test_total():
    assert total([1, 2]) == 3


def test_sign():
    assert sign(3) == 1 and sign(-3) == -1


def test_tidy():
    assert tidy("x") == "namex"
"""
NOT_CODE = "import os\n\n\ndef helper(x):\n    return f'x' + str(x)\n"


def _engine(options: RunOptions):
    from codegen_bot.adapters.engines.heuristic import HeuristicEngine

    return HeuristicEngine(ruff_config=options.ruff_config, refactor_rules=options.refactor_rules)


def _night(tmp_path, files: dict[str, str]):
    repo = GitRepo(tmp_path / "repo")
    repo.commit(files, "base")
    return nightly(NightlyRequest(str(repo.path), NIGHT), _engine)


def test_nightly_keeps_to_the_rules_the_project_selects(tmp_path) -> None:
    files = {
        "pyproject.toml": NARROW,
        "shop/__init__.py": "",
        "shop/money.py": MONEY,
        "tests/test_money.py": MONEY_TESTS,
        "docs/conf.py": NOT_CODE,
        "doc/source/conf.py": NOT_CODE,
        "setup.py": NOT_CODE,
        "noxfile.py": NOT_CODE,
        "examples/demo.py": NOT_CODE,
    }
    report = _night(tmp_path, files)
    proposals = {p.symbol: p for p in report.proposals}
    assert set(proposals) == {"tidy"}, {s: p.metrics.get("rules") for s, p in proposals.items()}
    tidy = proposals["tidy"]
    assert tidy.status == "accepted", tidy.reason
    assert tidy.metrics["rules"] == "ruff F541 (selected by the project's ruff configuration)"
    assert "selected by the project's ruff configuration" in pr_body(report)
    looked_at = {f.path for f in report.files}
    assert looked_at.isdisjoint(
        {"docs/conf.py", "doc/source/conf.py", "setup.py", "noxfile.py", "examples/demo.py"}
    ), looked_at
    assert set(report.final_files) == {"shop/money.py"}


def test_rules_the_configuration_adds_are_named_as_added(tmp_path) -> None:
    pyproject = NARROW + '\n[tool.codegen.nightly]\nextra_rules = ["RET505"]\n'
    report = _night(
        tmp_path,
        {
            "pyproject.toml": pyproject,
            "shop/__init__.py": "",
            "shop/money.py": MONEY,
            "tests/test_money.py": MONEY_TESTS,
        },
    )
    rules = {p.symbol: p.metrics["rules"] for p in report.proposals if p.status == "accepted"}
    assert rules == {
        "sign": "ruff RET505 (added by nightly.extra_rules)",
        "tidy": "ruff F541 (selected by the project's ruff configuration)",
    }


def test_a_night_that_finds_nothing_in_the_projects_rules_proposes_nothing(tmp_path) -> None:
    report = _night(
        tmp_path,
        {
            "pyproject.toml": NARROW,
            "shop/__init__.py": "",
            "shop/money.py": MONEY.replace('f"name"', '"name"'),
            "tests/test_money.py": MONEY_TESTS,
        },
    )
    assert not report.proposals and not report.final_files


def test_nightly_adds_no_rule_by_default() -> None:
    rules = config_from_files(None, None).nightly
    assert rules.extra_rules == ()
    assert "docs/**" in rules.exclude and "setup.py" in rules.exclude


def test_a_project_without_ruff_configuration_gets_no_ruff_default_rules(tmp_path) -> None:
    # pycodestyle users: ruff's own defaults (which grow with its versions) are not theirs.
    report = _night(
        tmp_path,
        {
            "pyproject.toml": NARROW.split("[tool.ruff.lint]", maxsplit=1)[0],
            "shop/__init__.py": "",
            "shop/money.py": MONEY,
            "tests/test_money.py": MONEY_TESTS,
        },
    )
    assert not report.proposals and not report.final_files
