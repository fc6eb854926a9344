"""ruff over new files in a worktree: its findings, and formatting them the repository's way.

New test files are judged inside the repository's worktree so that ruff reads its configuration
and recognises its first-party imports.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path

from codegen_bot.refactor.gates.lint import ruff_binary


def ruff_new_files(
    root: Path, paths: Sequence[str], timeout: float = 120.0
) -> dict[str, list[str]] | str:
    """Ruff's findings for files already in the worktree `root`, with its configuration.

    Run in the worktree itself so that first-party imports are recognised as such. Returns
    `path -> ["CODE message", ...]`, or why ruff could not run.
    """
    if not paths:
        return {}
    try:
        completed = subprocess.run(
            [
                ruff_binary(),
                "check",
                "--no-cache",
                "--force-exclude",
                "--output-format=json",
                "--exit-zero",
                *paths,
            ],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"ruff took longer than {timeout:.0f}s"
    if completed.returncode != 0:
        return "ruff could not run: " + (completed.stderr.strip().splitlines() or ["no output"])[-1]
    found: dict[str, list[str]] = {path: [] for path in paths}
    for item in json.loads(completed.stdout or "[]"):
        relative = str(Path(item["filename"]).resolve().relative_to(root.resolve()))
        found.setdefault(relative, []).append(
            f"{item.get('code') or 'syntax-error'} {item['message']}"
        )
    return found


def format_files(root: Path, paths: Sequence[str], timeout: float = 120.0) -> None:
    """Sort imports and format files in the worktree the way its own settings say.

    `ruff check --fix` applies ruff's safe fixes for the rules the repository selects (an unused
    import a model left in; never the unsafe ones, whatever the configuration says), then
    `--select I` its isort settings (sections, first-party packages, `as` imports), then
    `ruff format` its formatter settings (black's style where none are set). A file ruff cannot
    handle is left as it is: the gates after this judge it.
    """
    if not paths:
        return
    safe_fixes = ["check", "--fix", "--no-unsafe-fixes", "--exit-zero"]
    isort = ["check", "--select", "I", "--fix", "--no-unsafe-fixes", "--exit-zero"]
    for command in (safe_fixes, isort, ["format"]):
        try:
            subprocess.run(
                [ruff_binary(), *command, "--no-cache", "--force-exclude", "--quiet", *paths],
                cwd=root,
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return
