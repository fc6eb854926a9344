"""New test files are tidied the repository's way before ruff judges them: safe fixes only."""

from __future__ import annotations

from pathlib import Path

from codegen_bot.refactor.gates.ruff_files import format_files, ruff_new_files

CONFIG = """\
[tool.ruff]
unsafe-fixes = true

[tool.ruff.lint]
select = ["F401", "F841", "I"]
"""

MODEL_TEST = """\
import os
import sys
from shop.cart import total


def test_total():
    unused = total([1])
    assert total([]) == 0
"""


def test_safe_fixes_of_the_repository_rules_apply_and_unsafe_ones_never(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "shop" / "cart.py").write_text("def total(xs):\n    return sum(xs)\n")
    (tmp_path / "tests").mkdir()
    path = "tests/test_cart.py"
    (tmp_path / path).write_text(MODEL_TEST, encoding="utf-8")

    format_files(tmp_path, [path])

    tidied = (tmp_path / path).read_text(encoding="utf-8")
    # The unused imports went (a safe fix); the first-party import got its own section.
    assert "import os" not in tidied and "import sys" not in tidied
    assert "\n\nfrom shop.cart import total\n" in f"\n\n{tidied}"
    # Removing an unused variable may drop a call's effect: unsafe, so the gate still sees it,
    # although the repository's configuration turns unsafe fixes on.
    assert "unused = total([1])" in tidied
    findings = ruff_new_files(tmp_path, [path])
    assert isinstance(findings, dict)
    assert [f.split(" ", 1)[0] for f in findings[path]] == ["F841"]
