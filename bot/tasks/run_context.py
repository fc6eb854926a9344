"""What a run tells model engines about the repository: its docstrings, a test, engine settings."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from codegen_bot.adapters.engines.base import RunContext, TokenBudgets
from codegen_bot.adapters.prompts.few_shot import pick_docstring_examples, pick_test_example
from codegen_bot.bot.config import Config
from codegen_bot.bot.workspace.repository import Workspace
from codegen_bot.refactor.docstrings.style import Style
from codegen_bot.refactor.targets import is_test_file

#: Files read for examples: enough to find good ones, few enough to cost well under a second.
_EXAMPLE_FILES = 60
_TEST_FILES = 30
_MAX_BYTES = 200_000


def _texts(
    workspace: Workspace, head: str, paths: Sequence[str], limit: int, max_bytes: int
) -> Iterator[tuple[str, str]]:
    read = 0
    for path in paths:
        if read >= limit:
            return
        blob = workspace.blob(head, path, max_bytes=min(_MAX_BYTES, max_bytes))
        if blob.data is None:
            continue
        try:
            text = blob.data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        read += 1
        yield path, text


def run_context(
    workspace: Workspace,
    head: str,
    style: Style,
    config: Config,
    near: Sequence[str] = (),
    *,
    examples: int = 2,
) -> RunContext:
    """Gather the run's context: docstring examples, a test module, `[tool.codegen.engine]`.

    Examples (`examples` of them, best first) come from files in the folders of `near` (the
    changed files) first.
    """
    paths = sorted(workspace.files(head, ".py"))
    folders = {path.rsplit("/", 1)[0] if "/" in path else "" for path in near}

    def nearness(path: str) -> tuple[int, str]:
        """Sort key: files in the targets' own folders first, then by path."""
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        return (0 if folder in folders else 1, path)

    code = sorted((p for p in paths if not is_test_file(p)), key=nearness)
    tests = [p for p in paths if is_test_file(p) and not p.endswith("conftest.py")]
    engine = config.engine
    budgets = engine.max_new_tokens
    return RunContext(
        style=style,
        docstring_examples=pick_docstring_examples(
            _texts(workspace, head, code, _EXAMPLE_FILES, config.max_file_bytes),
            style,
            limit=examples,
        ),
        test_example=pick_test_example(
            _texts(workspace, head, tests, _TEST_FILES, config.max_file_bytes)
        ),
        samples=engine.samples,
        temperature=engine.temperature,
        context_tokens=engine.context_tokens,
        max_new_tokens=TokenBudgets(budgets.docs, budgets.tests, budgets.refactor),
        prompt_format=engine.prompt_format,
    )
