"""Ruff's own fixes for one file, with the repository's configuration plus extra rules."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from codegen_bot.refactor.gates.lint import ruff_binary
from codegen_bot.refactor.results import Failure, Result, Success

#: Rules whose fixes keep behaviour and read as improvements a maintainer would take.
SAFE_EXTRA_RULES = ("UP", "SIM", "C4", "PIE", "RET", "PERF102", "RUF015", "F401", "F541")


@dataclass(frozen=True)
class Fixed:
    """A file after ruff's safe fixes, and which rule fired on which line of the original."""

    text: str
    rules: tuple[tuple[str, int], ...]  # (rule code, line in the original file)
    #: What each fix does, in ruff's words: (rule code, line, message).
    messages: tuple[tuple[str, int, str], ...] = ()
    #: The codes of `rules` that the repository's own configuration selects (without extras).
    configured: frozenset[str] = frozenset()


def has_ruff_config(config_files: Mapping[str, str]) -> bool:
    """Whether the repository configures ruff (a `ruff.toml`, or `[tool.ruff]` in pyproject)."""
    return any(
        path.rsplit("/", 1)[-1] in ("ruff.toml", ".ruff.toml")
        or (path.rsplit("/", 1)[-1] == "pyproject.toml" and "[tool.ruff" in text)
        for path, text in config_files.items()
    )


def ruff_fix(
    path: str,
    source: str,
    config_files: Mapping[str, str],
    extra_rules: Sequence[str] = SAFE_EXTRA_RULES,
    timeout: float = 60.0,
) -> Result[Fixed]:
    """Return `source` after ruff's safe fixes, checked as `path` under the repository's config.

    The file is laid out in a scratch folder beside copies of `config_files`; `extra_rules` are
    added to the configured selection (`--extend-select`). A repository that does not configure
    ruff selected no rule: only `extra_rules` apply to it (none: the source comes back as it
    is), never ruff's defaults. Only safe fixes are applied.
    """
    own = has_ruff_config(config_files)
    if not own and not extra_rules:
        return Success(Fixed(source, ()))
    folder = Path(tempfile.mkdtemp(prefix="codegen-fix-"))
    try:
        for relative, text in config_files.items():
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            (folder / relative).write_text(text, encoding="utf-8")
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.encode("utf-8"))
        command = [ruff_binary(), "check", "--no-cache", "--exit-zero", "--quiet"]
        if not own:
            command.append(f"--select={','.join(extra_rules)}")
        elif extra_rules:
            command.append(f"--extend-select={','.join(extra_rules)}")
        listed = _ruff(command, ["--output-format=json", path], folder, timeout)
        if isinstance(listed, Failure):
            return listed
        fixed = _ruff(command, ["--fix", path], folder, timeout)
        if isinstance(fixed, Failure):
            return fixed
        fixable = [
            item
            for item in json.loads(listed.stdout or "[]")
            if item.get("code") and (item.get("fix") or {}).get("applicability") == "safe"
        ]
        rules = tuple((item["code"], item["location"]["row"]) for item in fixable)
        messages = tuple(
            (item["code"], item["location"]["row"], item.get("message") or "") for item in fixable
        )
        fixed_text = target.read_bytes().decode("utf-8")
        configured = {code for code, _ in rules} if own else set()
        if own and extra_rules and rules:
            # Which of the rules that fired the repository selects itself: list the original
            # again without the extras.
            target.write_bytes(source.encode("utf-8"))
            plain = [c for c in command if not c.startswith("--extend-select")]
            selected = _ruff(plain, ["--output-format=json", path], folder, timeout)
            if isinstance(selected, Failure):
                return selected
            configured = {item.get("code") for item in json.loads(selected.stdout or "[]")}
        return Success(Fixed(fixed_text, rules, messages, frozenset(c for c in configured if c)))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _ruff(
    command: Sequence[str], arguments: Sequence[str], folder: Path, timeout: float
) -> subprocess.CompletedProcess[str] | Failure:
    """One ruff run in `folder`, or why it could not run (its last line of errors)."""
    try:
        completed = subprocess.run(
            [*command, *arguments],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Failure(f"ruff took longer than {timeout:.0f}s")
    if completed.returncode != 0:
        message = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        return Failure(f"ruff could not run: {message}")
    return completed
