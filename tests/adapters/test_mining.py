"""`codegen adapters mine` on a real repository with a history made in the test."""

from __future__ import annotations

import hashlib
import json

from codegen_bot.adapters.lora.mining.dataset import read, split_by_file
from codegen_bot.adapters.lora.mining.docs import documented_names, good_docstring
from codegen_bot.adapters.lora.mining.hygiene import has_secret, is_secret_file
from codegen_bot.adapters.lora.mining.records import Row

PRICES = '''\
"""Prices."""


def net_price(gross: float, rate: float = 0.2) -> float:
    """Remove value-added tax from a gross price.

    Args:
        gross: Price including tax.
        rate: The tax rate, as a fraction.

    Returns:
        The price before tax.
    """
    return gross / (1 + rate)


def stale(amount):
    """Convert an amount between currencies at today's rate.

    Args:
        amount: The amount.
        currency: No longer a parameter.
    """
    return amount


def get_total(items):
    """Get total."""
    return sum(items)


def shipping(weight):
    total = 0
    for step in range(int(weight)):
        total = total + 2
    return total
'''

PRICES_REFACTORED = PRICES.replace(
    "    total = 0\n    for step in range(int(weight)):\n        total = total + 2\n    return total\n",
    "    return 2 * int(weight)\n",
)

TESTS = """\
from shop.prices import net_price, shipping


def test_net_price():
    assert round(net_price(120.0), 2) == 100.0


def test_shipping():
    assert shipping(3) == 6
"""

ACCEPTED = (
    PRICES_REFACTORED
    + '''

def discount(price: float, percent: int) -> float:
    """Take a percentage off a price, rounding to cents.

    Args:
        price: The price before the discount.
        percent: How many percent to take off.

    Returns:
        The discounted price.

    Examples:
        >>> discount(10.0, 15)
        8.5
    """
    return round(price * (100 - percent) / 100, 2)
'''
)

SECRETS = '''\
def connect(url):
    """Open a connection to the payment service with the API key."""
    return url + "?key=sk-live-4f8a9b2c7d1e6f3a0b5c8d2e9f1a4b7c"
'''


def test_mine_a_history(make_repo, run_cli, tmp_path) -> None:
    repo = make_repo()
    repo.commit(
        {"shop/__init__.py": "", "shop/prices.py": PRICES, "tests/test_prices.py": TESTS},
        "Add prices",
    )
    refactor = repo.commit({"shop/prices.py": PRICES_REFACTORED}, "Simplify shipping")
    repo.commit({"shop/prices.py": PRICES_REFACTORED.replace("2 *", "3 *")}, "Fix shipping bug")
    accepted = repo.commit(
        {"shop/prices.py": ACCEPTED.replace("2 *", "3 *")}, "Apply suggestions from code review"
    )
    repo.commit({"shop/keys.py": SECRETS, "shop/secrets.py": SECRETS}, "Add payments")

    out = tmp_path / "data"
    result = run_cli("adapters", "mine", "--repo", str(repo.path), "--out", str(out), "-q")
    assert result.code == 0, result.err
    manifest = json.loads((out / "manifest.json").read_text())

    docs = {row.symbol: row for row in read(out / "docs.jsonl")}
    # Good docstrings only: the stale one documents a parameter that does not exist, "Get total."
    # restates the name, and the key-bearing function is dropped for the token in its code.
    assert set(docs) == {"net_price", "discount"}
    assert docs["net_price"].input.startswith("def net_price(gross: float, rate: float = 0.2)")
    assert '"""' not in docs["net_price"].input
    assert docs["net_price"].output.startswith("Remove value-added tax")
    assert docs["discount"].origin == "accepted" and docs["discount"].weight == 3.0
    # The adapter learns what the bot may propose: the docstring without its examples.
    assert docs["discount"].output.endswith("Returns:\n    The discounted price.")
    assert ">>>" not in docs["discount"].output
    assert docs["discount"].commit == accepted

    refactors = [row for row in read(out / "refactor.jsonl") if row.origin == "history"]
    assert [(r.symbol, r.commit) for r in refactors] == [("shipping", refactor)]  # not the bug fix
    assert "return 2 * int(weight)" in refactors[0].output

    tests = {(row.symbol, row.output.split("(")[0]) for row in read(out / "tests.jsonl")}
    assert tests == {("net_price", "def test_net_price"), ("shipping", "def test_shipping")}

    # Each row carries its whole file as the engine would read it at review time: for docs,
    # without the target's docstring (the others stay); for refactors, the file before.
    source = docs["net_price"].source
    assert "def net_price" in source and "Remove value-added tax" not in source
    assert "Convert an amount between currencies" in source
    assert docs["net_price"].input in source
    assert refactors[0].source == PRICES
    for row in read(out / "tests.jsonl"):
        assert row.source == ACCEPTED.replace("2 *", "3 *") and row.input in row.source
        assert row.context == "from shop.prices import net_price, shipping"
    # And the repository's prompt context at head, for training to rebuild the engine's prompts.
    context = json.loads((out / "context.json").read_text())
    assert (
        manifest["context"]["sha256"]
        == hashlib.sha256((out / "context.json").read_bytes()).hexdigest()
    )
    assert context["style"] == "google" and "pyproject.toml" not in context["config_files"]
    assert context["test_example"][0] == "tests/test_prices.py"
    assert any("def net_price" in e for e in context["docstring_examples"]["shop"])

    assert manifest["dropped"]["secret-like string"] >= 1
    assert all(
        row.path != "shop/secrets.py"
        for task in ("docs", "tests", "refactor")
        for row in read(out / f"{task}.jsonl")
    )
    assert manifest["tasks"]["docs"]["rows"] == 2
    for task in ("docs", "tests", "refactor"):
        rows = read(out / f"{task}.jsonl")
        assert manifest["tasks"][task]["train"] + manifest["tasks"][task]["eval"] == len(rows)


def test_split_is_by_file(make_repo, run_cli, tmp_path) -> None:
    repo = make_repo()
    files = {
        f"pkg/mod{i}.py": f'def area_{i}(side: float) -> float:\n    """Compute the area of a square of the given side.\n\n    Args:\n        side: Length of a side.\n    """\n    return side * side\n\n\ndef perimeter_{i}(side: float) -> float:\n    """Compute the perimeter of a square of the given side."""\n    return 4 * side\n'
        for i in range(12)
    }
    repo.commit(files, "Add shapes")
    out = tmp_path / "data"
    assert run_cli("adapters", "mine", "--repo", str(repo.path), "--out", str(out), "-q").code == 0
    rows = read(out / "docs.jsonl")
    split_of = {}
    for row in rows:
        assert split_of.setdefault(row.path, row.split) == row.split  # a file is on one side
    assert {"train", "eval"} <= set(split_of.values())


def test_every_task_holds_out_a_file_even_where_the_hash_picks_another_tasks_file() -> None:
    def bucket(path: str) -> int:
        return int(hashlib.sha256(path.encode()).hexdigest()[:8], 16) % 100

    names = [f"pkg/m{i}.py" for i in range(200)]
    held = next(p for p in names if bucket(p) < 10)  # the hash holds this file out
    kept = [p for p in names if bucket(p) >= 10][:3]

    def row(task: str, path: str) -> Row:
        return Row(task, path, "f", "c0", "def f(): ...", "Doc.", "history")  # type: ignore[arg-type]

    rows = [row("refactor", held), row("refactor", kept[0])]
    rows += [row("docs", p) for p in kept] + [row("tests", kept[0])]
    split = split_by_file(rows)
    by_task = {(r.task, r.path): r.split for r in split}
    assert by_task[("refactor", held)] == "eval"  # the hash's choice stands where it applies
    assert by_task[("refactor", kept[0])] == "train"
    docs = [by_task[("docs", p)] for p in kept]
    assert docs.count("eval") == 1 and docs.count("train") == 2  # docs hold out one file too
    assert by_task[("tests", kept[0])] == "train"  # a task with one file trains on it


def test_since_limits_the_history(make_repo, run_cli, tmp_path) -> None:
    repo = make_repo()
    first = repo.commit({"shop/prices.py": PRICES}, "Add prices")
    repo.commit({"shop/more.py": ACCEPTED.replace("def ", "def x_")}, "More")
    out = tmp_path / "data"
    assert (
        run_cli(
            "adapters", "mine", "--repo", str(repo.path), "--since", first, "--out", str(out), "-q"
        ).code
        == 0
    )
    assert {row.path for row in read(out / "docs.jsonl")} == {"shop/more.py"}
    bad = run_cli(
        "adapters", "mine", "--repo", str(repo.path), "--since", "nope", "--out", str(out)
    )
    assert bad.code == 2 and "unknown revision" in bad.err


def test_docstring_filters() -> None:
    import ast

    node = ast.parse("def f(a, b): pass").body[0]
    assert documented_names("Do.\n\nArgs:\n    a (int): x.\n    b: y.\n") == {"a", "b"}
    assert documented_names("Do.\n\n:param int a: x\n:param b: y\n") == {"a", "b"}
    assert documented_names("Do.\n\nParameters\n----------\na : int\n    x.\n") == {"a"}
    assert good_docstring("f", "Combine the two values into a pair.", node)
    assert not good_docstring("f", "TODO: write this docstring later.", node)
    assert not good_docstring("f", "Combine.\n\nArgs:\n    c: not a parameter.\n", node)


def test_hygiene() -> None:
    assert is_secret_file(".env.production") and is_secret_file("config/secrets.py")
    assert is_secret_file("deploy/server.pem") and not is_secret_file("tokenizer.py")
    assert has_secret('key = "ghp_' + "a" * 36 + '"')
    assert has_secret('k = "Zx8qP2vL9mN4rT7wY1bC5dF3gH6jK0sQ"')  # random-looking literal
    # A long hex literal may be a key as well as a digest: hygiene errs on the side of dropping.
    assert has_secret('digest = "' + "0123456789abcdef" * 4 + '"')
    assert not has_secret("name = 'configuration_loader_for_the_tests'")
