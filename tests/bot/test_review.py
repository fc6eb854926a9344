"""`codegen review` end to end on real git repositories: proven docstrings, clean skips, no writes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import HANG_GUARD, ruff_check

PYPROJECT = """\
[tool.ruff.lint]
select = ["E", "F", "W", "D"]
ignore = ["D100", "D104"]

[tool.ruff.lint.pydocstyle]
convention = "google"
"""

BASE_MODULE = '''\
"""Inventory."""


def count(items: list[str]) -> int:
    """Return how many items there are.

    Args:
        items (list[str]): The items.

    Returns:
        int: Their number.
    """
    return len(items)
'''

HEAD_MODULE = (
    BASE_MODULE
    + '''

def reserve(stock: dict[str, int], sku: str, quantity: int = 1) -> int:
    if stock.get(sku, 0) < quantity:
        raise LookupError("not enough stock")
    stock[sku] -= quantity
    return stock[sku]


def iter_low(stock: dict[str, int], threshold: int = 3):
    for sku, left in stock.items():
        if left < threshold:
            yield sku


class Warehouse:
    """Stock by SKU."""

    def restock(self, sku: str, quantity: int) -> None:
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        self.stock[sku] = self.stock.get(sku, 0) + quantity
'''
)


@pytest.fixture
def reviewed(make_repo):
    repo = make_repo()
    base = repo.commit(
        {"pyproject.toml": PYPROJECT, "inventory/__init__.py": "", "inventory/core.py": BASE_MODULE}
    )
    head = repo.commit(
        {"inventory/core.py": HEAD_MODULE, "inventory/broken.py": "def half(x):\n    return x /\n"}
    )
    return repo, base, head


def test_three_proven_docstrings_and_a_clear_skip(reviewed, run_cli, tmp_path: Path) -> None:
    repo, base, _ = reviewed
    before = repo.snapshot()
    result = run_cli("review", "--repo", str(repo.path), "--base", base, "--format", "json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["version"] == 1
    accepted = [p for p in report["proposals"] if p["status"] == "accepted"]
    assert sorted(p["symbol"] for p in accepted) == ["Warehouse.restock", "iter_low", "reserve"]
    assert {p["kind"] for p in accepted} == {"function", "method"}
    for proposal in accepted:
        assert [g["gate"] for g in proposal["gates"]] == ["syntax", "ruff", "docstring-only"]
        assert all(g["passed"] for g in proposal["gates"])
        assert proposal["engine"] == "heuristic" and proposal["reason"] is None
        assert set(proposal["timings"]) >= {"propose", "edit", "gates"}
    broken = next(f for f in report["files"] if f["path"] == "inventory/broken.py")
    assert broken["status"] == "skipped"
    assert broken["reason"] == "does not parse: invalid syntax (line 2)"
    assert repo.snapshot() == before, "codegen review wrote to the repository"

    # Each accepted patch applies on its own to a clone at head; all of them together leave
    # `ruff check` (with the repository's pydocstyle rules) and compileall clean.
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo.path), str(clone)], check=True)
    (clone / "inventory" / "broken.py").unlink()
    assert ruff_check(clone, "inventory").returncode == 1  # the three missing docstrings
    for proposal in accepted:
        patch = tmp_path / f"{proposal['symbol']}.patch"
        patch.write_text(proposal["patch"])
        subprocess.run(["git", "apply", "--check", str(patch)], cwd=clone, check=True)
    for proposal in accepted:
        subprocess.run(
            ["git", "apply", str(tmp_path / f"{proposal['symbol']}.patch")], cwd=clone, check=True
        )
    lint = ruff_check(clone, "inventory")
    assert lint.returncode == 0, lint.stdout
    compiled = subprocess.run([sys.executable, "-m", "compileall", "-q", "inventory"], cwd=clone)
    assert compiled.returncode == 0


def test_suggestion_replaces_lines_to_give_the_patched_file(reviewed, run_cli) -> None:
    repo, base, _ = reviewed
    report = json.loads(
        run_cli("review", "--repo", str(repo.path), "--base", base, "--format", "json").out
    )
    lines = HEAD_MODULE.splitlines(keepends=True)
    for proposal in (p for p in report["proposals"] if p["status"] == "accepted"):
        s = proposal["suggestion"]
        patched = (
            "".join(lines[: s["start_line"] - 1]) + s["text"] + "".join(lines[s["end_line"] :])
        )
        assert proposal["text"].splitlines()[0] in patched
        assert patched.count('"""') == HEAD_MODULE.count('"""') + 2


def test_markdown_report_to_a_file(reviewed, run_cli, tmp_path: Path) -> None:
    repo, base, _ = reviewed
    out = tmp_path / "report.md"
    result = run_cli("review", "--repo", str(repo.path), "--base", base, "--out", str(out), "-q")
    assert result.code == 0 and result.out == "" and result.err == ""
    text = out.read_text()
    assert "**3 accepted**" in text
    assert "`inventory/broken.py`: does not parse" in text
    assert "```diff" in text


def test_progress_goes_to_stderr(reviewed, run_cli) -> None:
    repo, base, _ = reviewed
    result = run_cli("review", "--repo", str(repo.path), "--base", base)
    assert "codegen: docs: 3 of 3 passed the gates" in result.err
    assert "codegen:" not in result.out


def test_bad_files_each_get_a_reason(make_repo, run_cli) -> None:
    repo = make_repo()
    base = repo.commit(
        {"a.py": "x = 1\n", "old_name.py": "def f():\n    return 1\n", "gone.py": "y = 2\n"}
    )
    head = repo.commit(
        {
            "latin.py": "# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n".encode("latin-1"),
            "undeclared.py": "name = 'caf\xe9'\n".encode("latin-1"),
            "huge.py": "x = 1\n" * 200_000,
            "blob.py": b"\x00\x01\x02binary",
            "notes.txt": "hello\n",
            "gone.py": None,
            "old_name.py": None,
            "new_name.py": "def f():\n    return 1\n",
        }
    )
    report = json.loads(
        run_cli(
            "review", "--repo", str(repo.path), "--base", base, "--head", head, "--format", "json"
        ).out
    )
    reasons = {f["path"]: f["reason"] for f in report["files"]}
    assert reasons["latin.py"] is None  # decoded as Python does: by its coding declaration
    assert reasons["undeclared.py"].startswith("not UTF-8 text")
    assert reasons["huge.py"].startswith("larger than 500000 bytes")
    assert reasons["blob.py"] == "binary file"
    assert reasons["notes.txt"] == "not a Python file"
    assert reasons["gone.py"] == "deleted"
    assert reasons["new_name.py"] is None  # a pure rename: reviewed, nothing touched
    assert report["proposals"] == []


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--base", "no-such-rev"], "unknown revision 'no-such-rev'"),
        (["--base", "HEAD", "--tasks", "lint"], "unknown task 'lint'"),
        (["--base", "HEAD", "--engine", "gpt"], "unknown engine 'gpt'"),
        (
            ["--base", "HEAD", "--config", "/nonexistent/.codegen.toml"],
            "cannot read the configuration file",
        ),
    ],
)
def test_misuse_is_one_line_and_exit_2(make_repo, run_cli, args: list[str], needle: str) -> None:
    repo = make_repo()
    repo.commit({"a.py": "x = 1\n"})
    result = run_cli("review", "--repo", str(repo.path), *args)
    assert result.code == 2
    assert needle in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert "Traceback" not in result.err


def test_not_a_git_repository(tmp_path: Path, run_cli) -> None:
    result = run_cli("review", "--repo", str(tmp_path), "--base", "HEAD")
    assert result.code == 2 and "not a git repository" in result.err


def test_bad_config_names_the_key_and_file(make_repo, run_cli) -> None:
    repo = make_repo()
    base = repo.commit({"a.py": "x = 1\n", ".codegen.toml": "[docs]\nstlye = 'google'\n"})
    result = run_cli("review", "--repo", str(repo.path), "--base", base)
    assert result.code == 2
    assert ".codegen.toml: unknown key `tool.codegen.docs.stlye`" in result.err


def test_base_equal_to_head(make_repo, run_cli) -> None:
    repo = make_repo()
    repo.commit({"a.py": "x = 1\n"})
    result = run_cli("review", "--repo", str(repo.path), "--base", "HEAD", "--format", "json")
    assert result.code == 0
    assert json.loads(result.out)["notes"] == [
        "base and head are the same commit: nothing to review"
    ]


def test_uncommitted_changes_are_not_reviewed_nor_touched(reviewed, run_cli) -> None:
    repo, base, _ = reviewed
    dirty = repo.path / "inventory" / "core.py"
    dirty.write_text(HEAD_MODULE + "\n\ndef uncommitted(x):\n    return x\n")
    before = repo.snapshot()
    report = json.loads(
        run_cli("review", "--repo", str(repo.path), "--base", base, "--format", "json").out
    )
    assert "uncommitted" not in {p["symbol"] for p in report["proposals"]}
    assert repo.snapshot() == before


def test_max_suggestions_caps_accepted(make_repo, run_cli) -> None:
    repo = make_repo()
    base = repo.commit({".codegen.toml": "max_suggestions = 1\n", "m.py": "x = 1\n"})
    repo.commit({"m.py": "x = 1\n\n\ndef a(y):\n    return y\n\n\ndef b(z):\n    return z\n"})
    report = json.loads(
        run_cli("review", "--repo", str(repo.path), "--base", base, "--format", "json").out
    )
    statuses = [(p["symbol"], p["status"]) for p in report["proposals"]]
    assert statuses == [("a", "accepted"), ("b", "rejected")]
    assert "max_suggestions" in report["proposals"][1]["reason"]


def test_console_script_runs_the_demo() -> None:
    codegen = Path(sys.executable).parent / "codegen"
    result = subprocess.run(
        [str(codegen), "demo"], capture_output=True, text=True, timeout=HANG_GUARD
    )
    assert result.returncode == 0, result.stderr
    assert "# codegen report" in result.stdout
    assert "accepted" in result.stdout and "`shop/broken.py`: does not parse" in result.stdout
    usage = subprocess.run([str(codegen), "review"], capture_output=True, text=True)
    assert usage.returncode == 2 and "--base" in usage.stderr
