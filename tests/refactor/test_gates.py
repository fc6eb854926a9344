"""The docstring gates with real ruff: each rejects what it should and says why."""

from __future__ import annotations

from codegen_bot.refactor.gates.docstring_only import check_docstring_only
from codegen_bot.refactor.gates.lint import RuffGate
from codegen_bot.refactor.gates.syntax import check_syntax

BEFORE = "def f(x):\n    return x\n"
DOCUMENTED = 'def f(x):\n    """Return x."""\n    return x\n'


def test_syntax_gate() -> None:
    assert check_syntax("a.py", DOCUMENTED).passed
    broken = check_syntax("a.py", 'def f(x):\n    """Doc."""\n  return x\n')
    assert not broken.passed and "parse" in (broken.reason or "")
    # LibCST accepts it, the compiler does not: `return` outside a function.
    outside = check_syntax("a.py", "return 1\n")
    assert not outside.passed and "compile" in (outside.reason or "")


def test_docstring_only_gate() -> None:
    assert check_docstring_only(BEFORE, DOCUMENTED).passed
    changed = check_docstring_only(BEFORE, 'def f(x):\n    """Return x."""\n    return x + 1\n')
    assert not changed.passed and "changes code" in (changed.reason or "")
    # A docstring-shaped statement that is not first in the body is code, not a docstring.
    late = check_docstring_only(BEFORE, "def f(x):\n    x\n    return x\n")
    assert not late.passed


def test_ruff_gate_uses_the_repository_config() -> None:
    config = {
        "pyproject.toml": '[tool.ruff]\nline-length = 40\n[tool.ruff.lint]\nselect = ["E501", "D"]\nignore = ["D100", "D203", "D213"]\n'
    }
    with RuffGate(config) as ruff:
        # D103 (missing docstring) goes away: that is not a new violation.
        assert ruff.check("pkg/a.py", BEFORE, DOCUMENTED).passed
        long_line = (
            'def f(x):\n    """Return x, which is a rather long value here."""\n    return x\n'
        )
        verdict = ruff.check("pkg/a.py", BEFORE, long_line)
        assert not verdict.passed
        assert "E501" in (verdict.reason or "")


def test_ruff_gate_ignores_violations_that_were_there_before() -> None:
    with RuffGate({}) as ruff:
        before = "import os\ndef f(x):\n    return x\n"
        after = 'import os\ndef f(x):\n    """Return x."""\n    return x\n'
        assert ruff.check("a.py", before, after).passed  # F401 was there already
        worse = 'import os\nimport sys\ndef f(x):\n    """Return x."""\n    return x\n'
        verdict = ruff.check("a.py", before, worse)
        assert not verdict.passed and "F401" in (verdict.reason or "")


def test_ruff_gate_reports_a_broken_config() -> None:
    with RuffGate({"ruff.toml": "line-length = 'wide'\n"}) as ruff:
        verdict = ruff.check("a.py", BEFORE, DOCUMENTED)
        assert not verdict.passed
        assert "ruff could not run" in (verdict.reason or "")
