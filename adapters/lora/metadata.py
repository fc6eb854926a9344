"""The metadata saved beside every adapter: its task, what it was trained on, how well it did.

Training writes it (`AdapterMetadata.save`), engines read it (`AdapterMetadata.load`) to name
the adapter and its version in every proposal and to refuse an adapter trained on another base
model. The file is JSON with a `format` number, so later fields can be added without breaking
old adapters.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from codegen_bot.adapters.engines.base import TASKS, Task

METADATA_FILE = "codegen-adapter.json"
METADATA_FORMAT = 1


class MetadataError(ValueError):
    """An adapter's metadata file is missing, not JSON, or lacks a field; the message says which."""


@dataclass(frozen=True)
class AdapterMetadata:
    """Who an adapter is: task, version, base model, training data, date and metrics."""

    task: Task
    version: str
    #: The base model's name (hub id or folder name) when the adapter was trained.
    base_model: str
    #: `adapters.engines.hf.loading.model_fingerprint` of that base model; "" when unknown.
    base_fingerprint: str = ""
    #: When training finished, ISO 8601 in UTC.
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    #: A hash of the training examples, so two adapters trained on the same data are recognised.
    data_hash: str = ""
    metrics: Mapping[str, float] = field(default_factory=dict)
    notes: str = ""
    #: What it was trained on: the dataset's folder, repository and head, row and token counts.
    data: Mapping[str, Any] = field(default_factory=dict)
    #: How it was trained: `adapters.lora.settings.TrainSettings` as JSON, and the run's figures.
    hyperparameters: Mapping[str, Any] = field(default_factory=dict)
    format: int = METADATA_FORMAT

    @property
    def label(self) -> str:
        """`docs@3`: how reports and comments name the adapter."""
        return f"{self.task}@{self.version}"

    def to_dict(self) -> dict[str, Any]:
        """The metadata as its JSON object."""
        data = asdict(self)
        data["metrics"] = dict(self.metrics)
        data["data"] = dict(self.data)
        data["hyperparameters"] = dict(self.hyperparameters)
        return data

    def to_json(self) -> str:
        """The metadata as indented JSON text."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "metadata") -> AdapterMetadata:
        """Read metadata back; raises MetadataError naming the field that is missing or wrong."""
        if not isinstance(data, Mapping):
            raise MetadataError(f"{where}: expected a JSON object")
        fmt = data.get("format", METADATA_FORMAT)
        if not isinstance(fmt, int) or fmt > METADATA_FORMAT:
            raise MetadataError(f"{where}: format {fmt!r} is newer than this codegen understands")
        task = data.get("task")
        if task not in TASKS:
            raise MetadataError(f"{where}: `task` must be one of {', '.join(TASKS)}, not {task!r}")
        values: dict[str, Any] = {"task": task, "format": fmt}
        for key in ("version", "base_model", "base_fingerprint", "created", "data_hash", "notes"):
            if key not in data:
                if key in ("version", "base_model"):
                    raise MetadataError(f"{where}: `{key}` is missing")
                continue
            if not isinstance(data[key], str):
                raise MetadataError(f"{where}: `{key}` must be a string, not {data[key]!r}")
            values[key] = data[key]
        metrics = data.get("metrics", {})
        if not isinstance(metrics, Mapping) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in metrics.values()
        ):
            raise MetadataError(f"{where}: `metrics` must map names to numbers")
        values["metrics"] = {str(k): float(v) for k, v in metrics.items()}
        for key in ("data", "hyperparameters"):
            table = data.get(key, {})
            if not isinstance(table, Mapping):
                raise MetadataError(f"{where}: `{key}` must be a JSON object")
            values[key] = dict(table)
        return cls(**values)

    @classmethod
    def from_json(cls, text: str, where: str = "metadata") -> AdapterMetadata:
        """Parse metadata from JSON text."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise MetadataError(f"{where}: not valid JSON: {error}") from error
        return cls.from_dict(data, where)

    def save(self, folder: str | Path) -> Path:
        """Write `codegen-adapter.json` into the adapter's folder and return its path."""
        path = Path(folder) / METADATA_FILE
        partial = path.with_name(METADATA_FILE + ".partial")
        partial.write_text(self.to_json(), encoding="utf-8")
        os.replace(partial, path)  # readers never see half a file (eval rewrites it in place)
        return path

    @classmethod
    def load(cls, folder: str | Path) -> AdapterMetadata:
        """Read `codegen-adapter.json` from an adapter's folder."""
        path = Path(folder) / METADATA_FILE
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise MetadataError(f"{path}: cannot read: {error.strerror}") from error
        return cls.from_json(text, str(path))
