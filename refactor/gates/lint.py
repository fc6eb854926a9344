"""Gate 2: ruff, with the repository's own configuration, finds no violation the edit added."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from ruff.__main__ import find_ruff_bin  # the wheel's own locator

from codegen_bot.refactor.gates.verdict import Verdict

Finding = tuple[str, str]  # (rule, message): line numbers move with an edit, so they are left out
Findings = Counter[Finding] | str  # the findings, or why ruff could not judge


def ruff_binary() -> str:
    """Return the path of the ruff executable that ships with the `ruff` package."""
    return find_ruff_bin()


class RuffGate:
    """Runs ruff on files laid out in a scratch folder beside copies of the repository's config.

    The reviewed repository is never touched. Each file checked gets its own copy of the
    configuration files (`pyproject.toml`, `ruff.toml`, ...) under a numbered root, at its own
    relative path, so per-file settings apply; many files are checked in one ruff run.
    """

    def __init__(self, config_files: Mapping[str, str], timeout: float = 120.0) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="codegen-ruff-"))
        self._config_files = dict(config_files)
        self._timeout = timeout
        self._before: dict[tuple[str, str], Findings] = {}

    def close(self) -> None:
        """Remove the scratch folder."""
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> RuffGate:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def findings(self, files: Sequence[tuple[str, str]]) -> list[Findings]:
        """Ruff's findings for each `(path, source)`, all checked in one ruff run."""
        if not files:
            return []
        batch = Path(tempfile.mkdtemp(dir=self._folder))
        arguments = []
        for index, (path, source) in enumerate(files):
            root = batch / str(index)
            for relative, text in self._config_files.items():
                (root / relative).parent.mkdir(parents=True, exist_ok=True)
                (root / relative).write_text(text, encoding="utf-8")
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_bytes(source.encode("utf-8"))
            arguments.append(f"{index}/{path}")
        try:
            completed = subprocess.run(
                [
                    ruff_binary(),
                    "check",
                    "--no-cache",
                    "--output-format=json",
                    "--exit-zero",
                    *arguments,
                ],
                cwd=batch,
                capture_output=True,
                text=True,
                timeout=self._timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return [f"ruff took longer than {self._timeout:.0f}s"] * len(files)
        finally:
            shutil.rmtree(batch, ignore_errors=True)
        if completed.returncode != 0:
            message = (completed.stderr.strip().splitlines() or ["no output"])[-1]
            return [f"ruff could not run: {message}"] * len(files)
        found: list[Counter[Finding]] = [Counter() for _ in files]
        for item in json.loads(completed.stdout or "[]"):
            index = int(Path(item["filename"]).relative_to(batch).parts[0])
            found[index][(item.get("code") or "syntax-error", item["message"])] += 1
        return list(found)

    def check_many(self, edits: Sequence[tuple[str, str, str]]) -> list[Verdict]:
        """Judge each `(path, before, after)`: pass when ruff finds nothing new in `after`.

        The `before` texts are checked once each and remembered; everything is one ruff run.
        """
        started = time.perf_counter()
        unseen = list({(p, b) for p, b, _ in edits if (p, b) not in self._before})
        results = self.findings(unseen + [(p, a) for p, _, a in edits])
        self._before.update(zip(unseen, results[: len(unseen)], strict=True))
        seconds = (time.perf_counter() - started) / max(len(edits), 1)
        verdicts = []
        for (path, before, _), new in zip(edits, results[len(unseen) :], strict=True):
            reason = _compare(self._before[(path, before)], new)
            verdicts.append(Verdict("ruff", reason is None, reason, seconds))
        return verdicts

    def check(self, path: str, before: str, after: str) -> Verdict:
        """Judge one edit (see `check_many`)."""
        return self.check_many([(path, before, after)])[0]


def _compare(old: Findings, new: Findings) -> str | None:
    """The rejection reason for `new` given `old`, or None when nothing was added."""
    if isinstance(old, str):
        return old
    if isinstance(new, str):
        return new
    added = new - old
    if not added:
        return None
    listed = "; ".join(f"{code} {message}" for code, message in sorted(added))
    return f"ruff reports new violations: {listed}"
