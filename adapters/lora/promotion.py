"""Which adapter version a task runs with: an adapter earns its place in `codegen adapters eval`.

Training saves every version; only an eval that shows it beating the base model (and the version
promoted before it) on its held-out rows promotes it. The record is one small JSON file per task,
`ADAPTERS_DIR/<task>/promoted.json`: the version engines use (or null: the base model) and why.
A task without a record (no eval yet) runs its latest version, as before promotion existed.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from codegen_bot.adapters.engines.base import Task

PROMOTION_FILE = "promoted.json"


@dataclass(frozen=True)
class Promotion:
    """The version a task runs with (None: the base model), and why."""

    version: str | None
    why: str


def _score(metrics: Mapping[str, float], suffix: str = "") -> tuple[float, float] | None:
    """(pass rate, ROUGE-L) from eval figures, or None when the eval did not record them."""
    rate = metrics.get(f"eval_pass_rate{suffix}")
    if rate is None:
        return None
    return float(rate), float(metrics.get(f"eval_rouge_l{suffix}", 0.0))


def _describe(score: tuple[float, float]) -> str:
    return f"pass rate {score[0]:.3f}, ROUGE-L {score[1]:.3f}"


def judge(
    label: str,
    version: str,
    metrics: Mapping[str, float],
    current: Promotion | None,
    current_metrics: Mapping[str, float] | None,
) -> Promotion:
    """Promote `version` when its eval beats the base model and the promoted version, else keep.

    Better means a higher gate pass rate, or the same pass rate and a higher ROUGE-L. A tie is
    not better: an adapter costs a load and a merge, so it must earn its place.
    """
    mine = _score(metrics)
    base = _score(metrics, "_base")
    kept = current if current is not None else Promotion(None, "no adapter has beaten the base")
    if mine is None or base is None:
        return Promotion(kept.version, f"{label} has no eval figures; {kept.why}")
    if mine <= base:
        return Promotion(
            kept.version,
            f"{label} held back: {_describe(mine)} does not beat the base model's "
            f"{_describe(base)}; {kept.why}",
        )
    if current is not None and current.version not in (None, version) and current_metrics:
        theirs = _score(current_metrics)
        if theirs is not None and mine <= theirs:
            return Promotion(
                current.version,
                f"{label} held back: {_describe(mine)} does not beat the promoted version "
                f"{current.version}'s {_describe(theirs)}; {current.why}",
            )
    return Promotion(
        version, f"{label} promoted by eval: {_describe(mine)} against the base's {_describe(base)}"
    )


def read_promotion(root: Path, task: Task) -> Promotion | None:
    """The task's promotion record, or None when there is none (or it is unreadable)."""
    path = root / task / PROMOTION_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    version = data.get("version") if isinstance(data, dict) else None
    why = data.get("why", "") if isinstance(data, dict) else ""
    if version is not None and not isinstance(version, str):
        return None
    return Promotion(version, str(why))


def write_promotion(root: Path, task: Task, promotion: Promotion) -> None:
    """Write the task's promotion record atomically."""
    folder = root / task
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"version": promotion.version, "why": promotion.why}, indent=2) + "\n"
    handle, scratch = tempfile.mkstemp(prefix=".promoted-", dir=folder)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.replace(scratch, folder / PROMOTION_FILE)
