"""A small sample repository with a realistic change, for the demo and the tests.

The base commit is a tiny shop package with Google-style docstrings and a ruff configuration;
the change adds undocumented public code of every kind a docstring engine must handle (a
function that raises, a generator, a method, a dataclass), plus code that should be left alone
(a private helper, a dunder, a test) and files that must be skipped (a syntax error, a binary).
"""

from __future__ import annotations

from pathlib import Path

import git

PYPROJECT = """\
[project]
name = "shop"
version = "0.1.0"

[tool.ruff]
line-length = 100

[tool.ruff.lint]
select = ["E", "F", "W", "D"]
ignore = ["D100", "D104"]

[tool.ruff.lint.pydocstyle]
convention = "google"

[tool.ruff.lint.per-file-ignores]
"tests/**" = ["D"]
"""

CART_BASE = '''\
"""Shopping carts."""

from __future__ import annotations


def subtotal(prices: list[float]) -> float:
    """Return the sum of the prices.

    Args:
        prices (list[float]): The item prices.

    Returns:
        float: Their sum.
    """
    return sum(prices)
'''

CART_HEAD = (
    CART_BASE
    + """

def apply_coupon(total: float, percent: int = 10) -> float:
    if not 0 < percent <= 100:
        raise ValueError("percent must be between 1 and 100")
    return round(total * (100 - percent) / 100, 2)


def iter_expensive(prices: list[float], threshold: float = 100.0):
    for price in prices:
        if price >= threshold:
            yield price


class Cart:
    def __init__(self) -> None:
        self.prices: list[float] = []

    def add_item(self, price: float, quantity: int = 1) -> None:
        if quantity < 1:
            raise ValueError("quantity must be positive")
        self.prices.extend([price] * quantity)

    def is_empty(self) -> bool:
        return not self.prices

    def _reset(self) -> None:
        self.prices.clear()
"""
)

MODELS_HEAD = '''\
"""Catalogue records."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    price: float = 0.0
'''

TEST_HEAD = """\
from shop.cart import apply_coupon


def test_apply_coupon():
    assert apply_coupon(50.0, 10) == 45.0
"""

BROKEN_HEAD = "def half(x):\n    return x /\n"


def _commit(repo: git.Repo, files: dict[str, str | bytes], message: str) -> str:
    root = Path(repo.working_tree_dir or ".")
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    repo.index.add(list(files))
    author = git.Actor("Demo Maintainer", "maintainer@example.com")
    return repo.index.commit(message, author=author, committer=author).hexsha


def make_sample_repo(path: Path) -> tuple[str, str]:
    """Create the sample repository at `path`; return the (base, head) commit SHAs."""
    repo = git.Repo.init(path, initial_branch="main")
    base = _commit(
        repo,
        {"pyproject.toml": PYPROJECT, "shop/__init__.py": "", "shop/cart.py": CART_BASE},
        "Add the shop package",
    )
    head = _commit(
        repo,
        {
            "shop/cart.py": CART_HEAD,
            "shop/models.py": MODELS_HEAD,
            "shop/broken.py": BROKEN_HEAD,
            "tests/test_cart.py": TEST_HEAD,
            "docs/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        },
        "Add coupons, a cart class and products",
    )
    return base, head
