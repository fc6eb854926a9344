"""Patches that `git apply` accepts, and suggestions that reproduce the edited file."""

from __future__ import annotations

import subprocess

import pytest

from codegen_bot.refactor.patches import line_replacement, unified_diff

PAIRS = {
    "insertion": ("a\nb\nc\n", "a\nb\nnew\nc\n"),
    "first line": ("a\nb\n", "new\na\nb\n"),
    "no newline at end": ("a\nb", "a\nnew\nb"),
    "crlf": ("a\r\nb\r\n", "a\r\nnew\r\nb\r\n"),
    "replace": ("a\nold\nc\n", "a\nnew\nnewer\nc\n"),
}


@pytest.mark.parametrize("name", list(PAIRS))
def test_git_apply_accepts_the_patch(name: str, make_repo, tmp_path) -> None:
    before, after = PAIRS[name]
    repo = make_repo()
    repo.commit({"f.py": before})
    patch = tmp_path / "p.diff"
    patch.write_bytes(unified_diff("f.py", before, after).encode())
    subprocess.run(["git", "apply", str(patch)], cwd=repo.path, check=True)
    assert (repo.path / "f.py").read_bytes() == after.encode()


@pytest.mark.parametrize("name", list(PAIRS))
def test_replacement_reproduces_the_file(name: str) -> None:
    before, after = PAIRS[name]
    replacement = line_replacement(before, after)
    assert replacement is not None and replacement.start <= replacement.end
    lines = before.splitlines(keepends=True)
    rebuilt = (
        "".join(lines[: replacement.start - 1])
        + replacement.text
        + "".join(lines[replacement.end :])
    )
    assert rebuilt == after


def test_no_change_no_patch() -> None:
    assert unified_diff("f.py", "a\n", "a\n") == ""
    assert line_replacement("a\n", "a\n") is None
