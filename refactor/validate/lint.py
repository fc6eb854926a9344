"""Gate 2: ruff, with the repository's own configuration, finds no violation the edit added."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from ruff.__main__ import find_ruff_bin  # the wheel's own locator

from refactor.validate.verdict import Verdict, timed

Finding = tuple[
    str, str
]  # (rule code, message): line numbers move with an edit, so they are left out


def ruff_binary() -> str:
    """Return the path of the ruff executable that ships with the `ruff` package."""
    return find_ruff_bin()


class RuffGate:
    """Runs ruff on files laid out in a scratch folder next to the repository's config files.

    The reviewed repository is never touched: its configuration (`pyproject.toml`, `ruff.toml`,
    `.ruff.toml` and other `.toml` files at head) is copied into the scratch folder, and each
    file is checked there under its own relative path so that per-file settings apply.
    """

    def __init__(self, config_files: Mapping[str, str], timeout: float = 60.0) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="codegen-ruff-"))
        self._timeout = timeout
        self._binary = ruff_binary()
        self._before: dict[tuple[str, str], Counter[Finding] | str] = {}
        for relative, text in config_files.items():
            target = self._folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")

    def close(self) -> None:
        """Remove the scratch folder."""
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> RuffGate:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def findings(self, path: str, source: str) -> Counter[Finding] | str:
        """Return ruff's findings for `source` checked as `path`, or an error message."""
        target = self._folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.encode("utf-8"))
        try:
            completed = subprocess.run(
                [
                    self._binary,
                    "check",
                    "--no-cache",
                    "--quiet",
                    "--output-format=json",
                    "--exit-zero",
                    str(target.relative_to(self._folder)),
                ],
                cwd=self._folder,
                capture_output=True,
                text=True,
                timeout=self._timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return f"ruff took longer than {self._timeout:.0f}s"
        finally:
            target.unlink(missing_ok=True)
        if completed.returncode != 0:
            message = (completed.stderr.strip().splitlines() or ["no output"])[-1]
            return f"ruff could not run: {message}"
        return Counter(
            (item.get("code") or "syntax-error", item["message"])
            for item in json.loads(completed.stdout or "[]")
        )

    def check(self, path: str, before: str, after: str) -> Verdict:
        """Pass when ruff finds nothing in `after` that it did not already find in `before`."""

        def run() -> str | None:
            key = (path, before)
            if key not in self._before:
                self._before[key] = self.findings(path, before)
            old = self._before[key]
            new = self.findings(path, after)
            if isinstance(old, str):
                return old
            if isinstance(new, str):
                return new
            added = new - old
            if not added:
                return None
            listed = "; ".join(f"{code} {message}" for code, message in sorted(added))
            return f"ruff reports new violations: {listed}"

        return timed("ruff", run)
