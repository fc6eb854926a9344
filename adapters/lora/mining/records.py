"""What the miners read (commits, file versions) and what they produce (rows)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Origin = Literal["history", "accepted", "tests", "ruff"]


@dataclass(frozen=True)
class FileChange:
    """One Python file in one commit: its text before and after (None when absent)."""

    path: str
    before: str | None
    after: str | None
    patch: str  # zero-context unified diff of the file


@dataclass(frozen=True)
class CommitChange:
    """One commit of the history, with its changed Python files."""

    sha: str
    message: str
    files: tuple[FileChange, ...]


@dataclass(frozen=True)
class Row:
    """One training pair.

    `input` is what the model sees (e.g. a function without its docstring), `output` what it
    should write; `context` holds the module's imports and enclosing class (for tests rows: the
    test module's import statements, which a runnable test module needs). `source` is the whole
    file as the engine's prompt builder would read it at review time (for docs rows, without the
    target's docstring), so that training builds the engine's exact prompt for `symbol`.
    `weight` is higher for suggestions maintainers accepted.
    """

    task: Literal["docs", "tests", "refactor"]
    path: str
    symbol: str
    commit: str
    input: str
    output: str
    origin: Origin
    weight: float = 1.0
    context: str = ""
    split: Literal["train", "eval"] = "train"
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The row as one JSONL line stores it."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Row:
        """Read a row back from its JSONL form."""
        return cls(**data)
