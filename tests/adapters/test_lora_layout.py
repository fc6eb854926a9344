"""Adapters on disk: `ADAPTERS_DIR/<task>/<version>/` with peft's files and codegen's metadata."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codegen_bot.adapters.engines.base import EngineError
from codegen_bot.adapters.lora.layout import (
    adapter_folder,
    find_adapter,
    list_adapters,
    version_key,
)
from codegen_bot.adapters.lora.metadata import METADATA_FILE, AdapterMetadata, MetadataError


def _adapter(root: Path, task: str, version: str, metadata: dict | None = None) -> Path:
    folder = root / task / version
    folder.mkdir(parents=True)
    (folder / "adapter_config.json").write_text("{}")
    data = {"task": task, "version": version, "base_model": "m"} if metadata is None else metadata
    (folder / METADATA_FILE).write_text(json.dumps(data))
    return folder


def test_metadata_round_trips_through_json(tmp_path: Path) -> None:
    metadata = AdapterMetadata(
        task="docs",
        version="3",
        base_model="qwen2",
        base_fingerprint="abc",
        data_hash="sha256:1",
        metrics={"exact": 0.5, "passed": 12},
        notes="first",
    )
    metadata.save(tmp_path)
    again = AdapterMetadata.load(tmp_path)
    assert again == metadata
    assert again.label == "docs@3"
    assert json.loads((tmp_path / METADATA_FILE).read_text())["format"] == 1
    assert AdapterMetadata(task="docs", version="1", base_model="m").created.endswith("+00:00")


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"version": "1", "base_model": "m"}, "`task` must be one of"),
        ({"task": "docs", "base_model": "m"}, "`version` is missing"),
        ({"task": "docs", "version": 1, "base_model": "m"}, "`version` must be a string"),
        (
            {"task": "docs", "version": "1", "base_model": "m", "metrics": {"x": "high"}},
            "`metrics`",
        ),
        ({"task": "docs", "version": "1", "base_model": "m", "format": 99}, "newer than"),
        ([1], "expected a JSON object"),
    ],
)
def test_bad_metadata_names_the_field(data: object, words: str) -> None:
    with pytest.raises(MetadataError, match=words):
        AdapterMetadata.from_dict(data, "here")  # type: ignore[arg-type]


def test_unknown_fields_from_a_newer_writer_are_ignored() -> None:
    data = {"task": "tests", "version": "2", "base_model": "m", "future": True}
    assert AdapterMetadata.from_dict(data).label == "tests@2"
    with pytest.raises(MetadataError, match="not valid JSON"):
        AdapterMetadata.from_json("{")


def test_the_latest_version_wins_in_natural_order(tmp_path: Path) -> None:
    for version in ("2", "10", "9"):
        _adapter(tmp_path, "docs", version)
    (tmp_path / "docs" / "11").mkdir()  # still being written: no adapter_config.json yet
    found = find_adapter(tmp_path, "docs")
    assert found is not None
    assert (found.version, found.label, found.path) == ("10", "docs@10", tmp_path / "docs" / "10")
    assert find_adapter(tmp_path, "docs", "2").version == "2"  # type: ignore[union-attr]
    assert find_adapter(tmp_path, "tests") is None
    assert [a.label for a in list_adapters(tmp_path)] == ["docs@2", "docs@9", "docs@10"]
    assert sorted(["v10", "v9", "v1"], key=version_key) == ["v1", "v9", "v10"]
    assert sorted(["2025-06-01", "2025-05-30"], key=version_key) == ["2025-05-30", "2025-06-01"]


def test_layout_errors(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="does not exist"):
        find_adapter(tmp_path / "missing", "docs")
    _adapter(tmp_path, "docs", "1")
    with pytest.raises(EngineError, match=r"no adapter docs/2 in .* \(versions: 1\)"):
        find_adapter(tmp_path, "docs", "2")
    _adapter(tmp_path, "tests", "1", {"task": "docs", "version": "1", "base_model": "m"})
    with pytest.raises(EngineError, match="holds docs@1 by its metadata"):
        find_adapter(tmp_path, "tests")
    (tmp_path / "refactor" / "1").mkdir(parents=True)
    (tmp_path / "refactor" / "1" / "adapter_config.json").write_text("{}")
    with pytest.raises(EngineError, match=r"adapter refactor/1: .*cannot read"):
        find_adapter(tmp_path, "refactor")


def test_adapter_folder_checks_the_version_name(tmp_path: Path) -> None:
    assert adapter_folder(tmp_path, "docs", "2025-06-01") == tmp_path / "docs" / "2025-06-01"
    with pytest.raises(ValueError, match="use letters"):
        adapter_folder(tmp_path, "docs", "../evil")
