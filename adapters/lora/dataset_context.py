"""What a dataset keeps of its repository at head, so training builds the engine's own prompts.

At review time the engine's prompts show the repository's docstring examples, one of its test
modules and its engine settings (`bot.tasks.run_context.run_context`), and the gates read its ruff
configuration. `codegen adapters mine` records all of it in `context.json` beside the rows;
training and evaluation rebuild each row's `RunContext` from it, without the repository.

One rule keeps the prompts honest: at review time the answer does not exist yet. A docstring
example that is the row's own function (at any version), or a test example holding the row's
own test, is taken out before the prompt is built, exactly as the engine would not have seen it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codegen_bot.adapters.engines.base import RunContext, TokenBudgets
from codegen_bot.adapters.lora.mining.records import Row
from codegen_bot.refactor.docstrings.style import Style

CONTEXT_FILE = "context.json"
#: A prompt shows two docstring examples; one more is kept so that one can be left out.
PROMPT_EXAMPLES = 2
KEPT_EXAMPLES = PROMPT_EXAMPLES + 1


def folder_of(path: str) -> str:
    """`pkg/sub/mod.py` → `pkg/sub`; a top-level file's folder is ``""``."""
    return path.rsplit("/", 1)[0] if "/" in path else ""


def _defines(snippet: str, name: str) -> bool:
    return (
        re.search(rf"^\s*(async\s+def|def|class)\s+{re.escape(name)}\b", snippet, re.M) is not None
    )


def cut_test(module: str, test: str) -> str:
    """`module` without the text of `test` (a method's removal leaves `pass` behind it)."""
    if test not in module:
        return module
    indent = test[: len(test) - len(test.lstrip(" \t"))]
    return module.replace(test, f"{indent}pass\n" if indent else "", 1)


@dataclass(frozen=True)
class DatasetContext:
    """The repository's prompt context and gate configuration at the mined head."""

    style: Style = "google"
    context_tokens: int = 2048
    max_new_tokens: TokenBudgets = field(default_factory=TokenBudgets)
    #: `(path, text)` of the test module prompts show, as `run_context` picks it.
    test_example: tuple[str, str] | None = None
    #: Per folder of the changed file: docstring examples, best first (`KEPT_EXAMPLES` of them).
    docstring_examples: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: The repository's configuration files (ruff's settings among them), path → text.
    config_files: Mapping[str, str] = field(default_factory=dict)

    def run_context(self, row: Row) -> RunContext:
        """The context the engine would have had for `row`'s target, before its answer existed."""
        name = row.symbol.rsplit(".", 1)[-1]
        examples = [
            snippet
            for snippet in self.docstring_examples.get(folder_of(row.path), ())
            if not _defines(snippet, name) and (row.task != "docs" or row.output not in snippet)
        ]
        test_example = self.test_example
        if test_example is not None and row.task == "tests":
            test_example = (test_example[0], cut_test(test_example[1], row.output))
        return self.for_examples(tuple(examples[:PROMPT_EXAMPLES]), test_example)

    def for_examples(
        self, examples: tuple[str, ...], test_example: tuple[str, str] | None
    ) -> RunContext:
        """A greedy, single-sample `RunContext` with these examples and the dataset's budgets."""
        return RunContext(
            style=self.style,
            docstring_examples=examples,
            test_example=test_example,
            samples=1,
            context_tokens=self.context_tokens,
            max_new_tokens=self.max_new_tokens,
        )

    def to_dict(self) -> dict[str, Any]:
        """The context as the JSON object `context.json` holds."""
        return {
            "style": self.style,
            "context_tokens": self.context_tokens,
            "max_new_tokens": {
                task: self.max_new_tokens.of(task) for task in ("docs", "tests", "refactor")
            },
            "test_example": list(self.test_example) if self.test_example else None,
            "docstring_examples": {k: list(v) for k, v in sorted(self.docstring_examples.items())},
            "config_files": dict(sorted(self.config_files.items())),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DatasetContext:
        """Read the context back (missing keys take their defaults)."""
        budgets = data.get("max_new_tokens") or {}
        example = data.get("test_example")
        return cls(
            style=data.get("style", "google"),
            context_tokens=int(data.get("context_tokens", 2048)),
            max_new_tokens=TokenBudgets(**{k: int(v) for k, v in budgets.items()}),
            test_example=(str(example[0]), str(example[1])) if example else None,
            docstring_examples={
                str(k): tuple(v) for k, v in (data.get("docstring_examples") or {}).items()
            },
            config_files=dict(data.get("config_files") or {}),
        )

    def save(self, folder: Path) -> Path:
        """Write `context.json` into the dataset folder; return its path."""
        path = folder / CONTEXT_FILE
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, folder: Path) -> DatasetContext:
        """Read `context.json` from a dataset folder; raises ValueError when absent or broken."""
        path = folder / CONTEXT_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise ValueError(
                f"{path}: cannot read ({error.strerror}); mine the dataset again with this "
                "version of codegen (`codegen adapters mine`)"
            ) from error
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}: not valid JSON: {error}") from error
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a JSON object")
        return cls.from_dict(data)
