"""The shop repository the nightly tests run on: a money module, its tests, a script folder."""

from __future__ import annotations

import datetime

from codegen_bot.bot.report import Proposal, Report

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


def by_symbol(report: Report) -> dict[str, Proposal]:
    """The report's proposals by symbol."""
    return {p.symbol: p for p in report.proposals}
