"""Where adapters live: `ADAPTERS_DIR/<task>/<version>/`, peft's files plus `codegen-adapter.json`.

```
adapters/
  docs/
    1/  adapter_config.json  adapter_model.safetensors  codegen-adapter.json
    2/  ...
  tests/
    1/  ...
```

A version folder counts once peft's `adapter_config.json` is in it (a training run still writing,
or one interrupted with its `checkpoint/` inside, is ignored). Without a pinned version the
latest wins, versions compared naturally (`10` after `9`, `v2` after `v1`, `2025-06-01` after
`2025-05-30`). Engines go one step further (`choose_adapter`): once `codegen adapters eval` has
judged a task's adapters, they run the promoted version (see `adapters.lora.promotion`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from codegen_bot.adapters.engines.base import TASKS, EngineError, Task
from codegen_bot.adapters.lora.metadata import AdapterMetadata, MetadataError
from codegen_bot.adapters.lora.promotion import read_promotion

PEFT_CONFIG = "adapter_config.json"
#: Where a training run keeps its checkpoint inside its version folder, until the adapter is saved.
CHECKPOINT_DIR = "checkpoint"
CHECKPOINT_STATE = "state.pt"


@dataclass(frozen=True)
class AdapterRef:
    """One adapter on disk: its folder and its metadata."""

    task: Task
    version: str
    path: Path
    metadata: AdapterMetadata
    #: Why an engine runs this version: pinned, promoted by eval, or the latest (never judged).
    why: str = ""

    @property
    def label(self) -> str:
        """`docs@3`."""
        return self.metadata.label


def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key comparing the digit runs of a version as numbers: `v10` after `v9`."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part)
        for part in re.findall(r"\d+|[^\d]+", version)
    )


def adapter_folder(root: str | Path, task: Task, version: str) -> Path:
    """The folder an adapter of `task` at `version` is saved in (training writes here)."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", version):
        raise ValueError(f"adapter version {version!r}: use letters, digits, '.', '_' or '-'")
    return Path(root) / task / version


def has_checkpoint(folder: Path) -> bool:
    """Whether an interrupted training run left a checkpoint in this version folder."""
    return (folder / CHECKPOINT_DIR / CHECKPOINT_STATE).is_file()


def _versions(root: Path, task: Task) -> list[str]:
    folder = root / task
    if not folder.is_dir():
        return []
    found = [p.name for p in folder.iterdir() if (p / PEFT_CONFIG).is_file()]
    return sorted(found, key=version_key)


def _read(root: Path, task: Task, version: str) -> AdapterRef:
    path = root / task / version
    try:
        metadata = AdapterMetadata.load(path)
    except MetadataError as error:
        raise EngineError(f"adapter {task}/{version}: {error}") from error
    if metadata.task != task or metadata.version != version:
        raise EngineError(
            f"adapter folder {path} holds {metadata.label} by its metadata; "
            f"it must sit in {task}/{metadata.version}/"
        )
    return AdapterRef(task, version, path, metadata)


def find_adapter(root: str | Path, task: Task, version: str | None = None) -> AdapterRef | None:
    """The adapter for `task` (the pinned `version`, else the latest); None when the task has none.

    Raises EngineError when `root` is missing, the pinned version is absent, or the chosen
    adapter's metadata is unreadable or names another task or version.
    """
    root = Path(root)
    if not root.is_dir():
        raise EngineError(f"adapters directory {root} does not exist")
    versions = _versions(root, task)
    if version is not None:
        if version not in versions:
            have = ", ".join(versions) or "none"
            raise EngineError(f"no adapter {task}/{version} in {root} (versions: {have})")
        return _read(root, task, version)
    if not versions:
        return None
    return _read(root, task, versions[-1])


def choose_adapter(
    root: str | Path, task: Task, pinned: str | None = None
) -> tuple[AdapterRef | None, str]:
    """The adapter an engine runs for `task` (None: the base model) and why.

    A pinned version wins; else the version `codegen adapters eval` promoted (or the base model
    when no version has beaten it); else, for a task never evaluated, the latest version.
    Raises EngineError as `find_adapter` does.
    """
    root = Path(root)
    if pinned is not None:
        ref = find_adapter(root, task, pinned)
        return ref, f"{task}: {ref.label if ref else 'none'} (pinned)"
    if not root.is_dir():
        raise EngineError(f"adapters directory {root} does not exist")
    promotion = read_promotion(root, task)
    if promotion is None:
        ref = find_adapter(root, task)
        if ref is None:
            return None, f"{task}: base model (no adapter)"
        return replace(ref, why="the latest version, not evaluated yet"), (
            f"{task}: {ref.label} (the latest version; not evaluated yet)"
        )
    if promotion.version is None:
        return None, f"{task}: base model ({promotion.why})"
    ref = find_adapter(root, task, promotion.version)
    assert ref is not None  # find_adapter raises for a missing pinned version
    return replace(ref, why=promotion.why), f"{task}: {ref.label} ({promotion.why})"


def list_adapters(root: str | Path) -> list[AdapterRef]:
    """Every complete adapter under `root`, by task then version."""
    root = Path(root)
    if not root.is_dir():
        raise EngineError(f"adapters directory {root} does not exist")
    return [_read(root, task, version) for task in TASKS for version in _versions(root, task)]
