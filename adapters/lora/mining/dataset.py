"""From mined rows to a dataset: secret hygiene, deduplication, a held-out split by file."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from codegen_bot.adapters.lora.mining.hygiene import has_secret, is_secret_file
from codegen_bot.adapters.lora.mining.records import Row

TASK_FILES = ("docs", "tests", "refactor")


def path_bucket(path: str) -> int:
    """A file's place (0-99) in the held-out order: a hash of its path, stable across runs."""
    return int(hashlib.sha256(path.encode()).hexdigest()[:8], 16) % 100


def clean(rows: Iterable[Row]) -> tuple[list[Row], Counter[str]]:
    """Drop rows from secret files and rows holding secrets; keep one of each duplicate pair.

    Among duplicates (same task, input and output) the highest weight wins, so a pair that was
    also an accepted suggestion keeps its weight. Returns the rows and the counts of what was
    dropped and why.
    """
    dropped: Counter[str] = Counter()
    best: dict[tuple[str, str, str], Row] = {}
    for row in rows:
        if is_secret_file(row.path):
            dropped["secret file"] += 1
            continue
        if has_secret(row.input) or has_secret(row.output) or has_secret(row.context):
            dropped["secret-like string"] += 1
            continue
        key = (row.task, row.input, row.output)
        if key in best:
            dropped["duplicate"] += 1
            if row.weight <= best[key].weight:
                continue
        best[key] = row
    return list(best.values()), dropped


def split_by_file(rows: list[Row], eval_percent: int = 10) -> list[Row]:
    """Mark rows `eval` for about `eval_percent`% of files, by a hash of the path.

    A file's rows never straddle the split, so evaluation never sees a function trained on.
    The guarantee holds per task, since each task trains its own adapter: a task whose rows come
    from two files or more has at least one of them held out and at least one kept (a project
    whose held-out file holds only refactor rows still gets held-out docs and tests rows).
    """
    held = {p for p in {row.path for row in rows} if path_bucket(p) < eval_percent}
    chosen = {}
    for task in TASK_FILES:
        paths = sorted({row.path for row in rows if row.task == task})
        mine = held & set(paths)
        if len(paths) >= 2 and not mine:
            mine = {min(paths, key=path_bucket)}
        if len(paths) >= 2 and mine == set(paths):
            mine.discard(max(paths, key=path_bucket))
        chosen[task] = mine
    return [
        replace(row, split="eval" if row.path in chosen.get(row.task, held) else "train")
        for row in rows
    ]


def write(
    rows: list[Row], out: Path, about: dict[str, Any], dropped: Counter[str]
) -> dict[str, Any]:
    """Write one JSONL file per task and `manifest.json` (counts, hashes); return the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {**about, "created": datetime.now(UTC).isoformat(timespec="seconds")}
    manifest["tasks"] = {}
    for task in TASK_FILES:
        chosen = sorted(
            (r for r in rows if r.task == task),
            key=lambda r: (r.path, r.symbol, r.commit, r.origin),
        )
        text = "".join(
            json.dumps(r.to_dict(), ensure_ascii=False, sort_keys=True) + "\n" for r in chosen
        )
        (out / f"{task}.jsonl").write_text(text, encoding="utf-8")
        manifest["tasks"][task] = {
            "file": f"{task}.jsonl",
            "sha256": hashlib.sha256(text.encode()).hexdigest(),
            "rows": len(chosen),
            "train": sum(r.split == "train" for r in chosen),
            "eval": sum(r.split == "eval" for r in chosen),
            "files": len({r.path for r in chosen}),
            "origins": dict(Counter(r.origin for r in chosen)),
        }
    manifest["dropped"] = dict(dropped)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def read(path: Path) -> list[Row]:
    """Read the rows of one task's JSONL file."""
    return [
        Row.from_dict(json.loads(line))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line
    ]
