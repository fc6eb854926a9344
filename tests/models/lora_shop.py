"""A small shop repository to mine and train adapters on: four modules, alike in their ways.

Each module has two documented functions and a test module calling both, so that the mined
docs and tests rows follow templates a tiny model can pick up in a few dozen steps, and the
held-out module (split by file) asks for the same docstrings of functions with other names.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from codegen_bot.bot.cli.main import main
from tests.conftest import GitRepo

NAMES = ("cart", "tax", "ship", "stock")

PYPROJECT = """\
[tool.ruff.lint]
select = ["E", "F", "W", "D400"]

[tool.codegen.engine]
context_tokens = 900

[tool.codegen.engine.max_new_tokens]
docs = 128
tests = 128
"""

STEPS = 30

#: The flags every training run of these tests uses: small, fast, and enough to learn.
TRAIN_FLAGS = (
    "--device",
    "cpu",
    "--seq-len",
    "1024",
    "--batch-size",
    "2",
    "--micro-batch",
    "2",
    "--learning-rate",
    "5e-3",
    "--warmup-steps",
    "2",
    "--log-every",
    "5",
    "--dropout",
    "0.1",
)


def module(name: str) -> str:
    """One shop module: two documented functions."""
    return f'''"""The {name}."""


def total_{name}(prices: list[float]) -> float:
    """Return the sum of the prices.

    Args:
        prices: The item prices.

    Returns:
        The sum.
    """
    return sum(prices)


def scale_{name}(value: float, factor: float) -> float:
    """Multiply a value by a factor.

    Args:
        value: The value.
        factor: How much to scale it.

    Returns:
        The scaled value.
    """
    return value * factor
'''


def tests_of(name: str) -> str:
    """The module's tests: one per function."""
    return f"""from shop.{name} import (
    scale_{name},
    total_{name},
)


def test_total_{name}():
    assert total_{name}([1.0, 2.0]) == 3.0


def test_scale_{name}():
    assert scale_{name}(2.0, 3.0) == 6.0
"""


def make_shop(root: Path) -> GitRepo:
    """The shop repository, committed once, in `root`."""
    repo = GitRepo(root)
    files = {"pyproject.toml": PYPROJECT, "shop/__init__.py": '"""Shop."""\n'}
    for name in NAMES:
        files[f"shop/{name}.py"] = module(name)
        files[f"tests/test_{name}.py"] = tests_of(name)
    repo.commit(files, "Add the shop")
    return repo


def train_args(model: Path, data: Path, out: Path, *extra: str) -> list[str]:
    """`codegen adapters train` of the docs adapter with the tests' settings, and `extra`."""
    return [
        "adapters",
        "train",
        "--task",
        "docs",
        "--base",
        str(model),
        "--data",
        str(data),
        "--out",
        str(out),
        "--steps",
        str(STEPS),
        *TRAIN_FLAGS,
        *extra,
    ]


def cli(*args: str) -> tuple[int, str, str]:
    """Run `codegen ARGS` in this process (outside any test's capture); code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()
