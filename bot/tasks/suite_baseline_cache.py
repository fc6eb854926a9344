"""The suite's baseline run, kept between runs on the same tree and settings.

A baseline (one run of the repository's suite under coverage) depends only on the files of the
commit, the settings that govern the run and the files measured. It is kept in the runner's
cache folder (`CODEGEN_CACHE_DIR`; no cache when unset), keyed by the commit's tree and those
settings, and file by file: a later run (another candidate, another night on the same commit)
that measures files already measured runs nothing; one that needs more files runs the suite for
those only and adds them.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from codegen_bot.refactor.sandbox.runner import RunResult, TestOutcome
from codegen_bot.refactor.testing.coverage_data import coverage_summary, read_coverage

_FORMAT = 2


@dataclass(frozen=True)
class BaselineCache:
    """One cache entry's place: the folder and the key of this tree and these settings."""

    folder: Path
    key: str

    @property
    def path(self) -> Path:
        """The entry's file."""
        return self.folder / "baselines" / f"{self.key}.json"

    def load(self) -> RunResult | None:
        """The kept result, or None (none kept, or unreadable)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if data.get("format") != _FORMAT:
            return None
        return _from_json(data)

    def generated(self) -> dict[str, str]:
        """The files the project's build made for this tree (path: text), kept with its result."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        found = data.get("generated") if data.get("format") == _FORMAT else None
        if not isinstance(found, dict):
            return {}
        return {str(k): v for k, v in found.items() if isinstance(v, str)}

    def store(self, result: RunResult, generated: Mapping[str, str] | None = None) -> None:
        """Keep a completed result (written whole, then renamed into place).

        `generated`: the files the tree needed besides the commit's for this result (None:
        those kept before stay).
        """
        if not result.completed:
            return
        files = self.generated() if generated is None else dict(generated)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        scratch = self.path.with_suffix(f".{os.getpid()}.tmp")
        scratch.write_text(json.dumps({**_to_json(result), "generated": files}), encoding="utf-8")
        scratch.replace(self.path)


def baseline_cache(
    environ: Mapping[str, str], tree: str, settings: Mapping[str, Any]
) -> BaselineCache | None:
    """The cache entry for `tree` (a git tree id) and `settings`; None when no folder is set."""
    folder = environ.get("CODEGEN_CACHE_DIR", "").strip()
    if not folder:
        return None
    text = json.dumps({"tree": tree, "settings": settings, "format": _FORMAT}, sort_keys=True)
    return BaselineCache(Path(folder), hashlib.sha256(text.encode()).hexdigest()[:32])


def run_settings(
    pytest_args: Sequence[str], python: str, isolation: str, suite_timeout: float, version: str
) -> dict[str, Any]:
    """The settings a baseline depends on besides the tree, for the cache key."""
    return {
        "pytest_args": list(pytest_args),
        "python": python,
        "isolation": isolation,
        "suite_timeout": suite_timeout,
        "codegen": version,
    }


def missing(cached: RunResult | None, cover: Sequence[str]) -> list[str]:
    """The files of `cover` the kept result did not measure."""
    if cached is None:
        return list(cover)
    return [path for path in cover if path not in cached.coverage]


def merged(cached: RunResult, fresh: RunResult) -> RunResult:
    """The kept result with the files a fresh run measured added."""
    return replace(cached, coverage={**cached.coverage, **fresh.coverage})


def _to_json(result: RunResult) -> dict[str, Any]:
    return {
        "format": _FORMAT,
        "exit_code": result.exit_code,
        "outcomes": {
            nodeid: [[r.outcome, r.seconds, r.message, r.timeout, r.cpu_seconds] for r in runs]
            for nodeid, runs in result.outcomes.items()
        },
        "collect_errors": result.collect_errors,
        "collected": list(result.collected),
        "coverage": coverage_summary(result.coverage),
        "output": result.output,
        "seconds": result.seconds,
    }


def _from_json(data: dict[str, Any]) -> RunResult:
    return RunResult(
        completed=True,
        exit_code=data["exit_code"],
        outcomes={
            nodeid: tuple(TestOutcome(*run) for run in runs)
            for nodeid, runs in data["outcomes"].items()
        },
        collect_errors=dict(data["collect_errors"]),
        collected=tuple(data["collected"]),
        coverage=read_coverage(data["coverage"], ""),
        output=data["output"],
        seconds=data["seconds"],
    )
