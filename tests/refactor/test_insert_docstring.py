"""The docstring codemod on before/after source pairs: every byte outside the insertion stays."""

from __future__ import annotations

import pytest

from codegen_bot.refactor.edits.insert_docstring import insert_docstring
from codegen_bot.refactor.results import Failure, Skip, Success

DOC = "Do the thing.\n\nArgs:\n    x (int): The x."

CASES = {
    "nested classes and a decorator": (
        "class Outer:\n"
        "    class Inner:\n"
        "        @staticmethod\n"
        "        def run(x):\n"
        "            return x\n",
        4,
        "run",
        "class Outer:\n"
        "    class Inner:\n"
        "        @staticmethod\n"
        "        def run(x):\n"
        '            """Do the thing.\n'
        "\n"
        "            Args:\n"
        "                x (int): The x.\n"
        '            """\n'
        "            return x\n",
    ),
    "comment and blank line after the signature": (
        "def f(x):  # keep me\n    # explain\n\n    return x\n",
        1,
        "f",
        "def f(x):  # keep me\n"
        '    """Do the thing.\n'
        "\n"
        "    Args:\n"
        "        x (int): The x.\n"
        '    """\n'
        "    # explain\n"
        "\n"
        "    return x\n",
    ),
    "multi-line signature": (
        "def f(\n    x: int,\n) -> int:\n    return x\n",
        1,
        "f",
        'def f(\n    x: int,\n) -> int:\n    """Do the thing.\n\n    Args:\n        x (int): The x.\n    """\n'
        "    return x\n",
    ),
    "single-line body": (
        "def f(x): return 1\n",
        1,
        "f",
        'def f(x):\n    """Do the thing.\n\n    Args:\n        x (int): The x.\n    """\n    return 1\n',
    ),
    "async function": (
        "async def f(x):\n    await x\n",
        1,
        "f",
        'async def f(x):\n    """Do the thing.\n\n    Args:\n        x (int): The x.\n    """\n    await x\n',
    ),
    "tabs": (
        "class A:\n\tdef m(self, x):\n\t\treturn x\n",
        2,
        "m",
        'class A:\n\tdef m(self, x):\n\t\t"""Do the thing.\n\n\t\tArgs:\n\t\t\tx (int): The x.\n\t\t"""\n'
        "\t\treturn x\n",
    ),
    "CRLF line endings": (
        "def f(x):\r\n    return x\r\n",
        1,
        "f",
        'def f(x):\r\n    """Do the thing.\r\n\r\n    Args:\r\n        x (int): The x.\r\n    """\r\n'
        "    return x\r\n",
    ),
    "class gets a blank line after its docstring": (
        "class A:\n    x: int\n",
        1,
        "A",
        'class A:\n    """Do the thing.\n\n    Args:\n        x (int): The x.\n    """\n\n    x: int\n',
    ),
    "file's own single-quote docstrings": (
        "'''Module.'''\n\ndef f(x):\n    return x\n",
        3,
        "f",
        "'''Module.'''\n\ndef f(x):\n    '''Do the thing.\n\n    Args:\n        x (int): The x.\n    '''\n"
        "    return x\n",
    ),
    "no newline at end of file": (
        "def f(x):\n    return x",
        1,
        "f",
        'def f(x):\n    """Do the thing.\n\n    Args:\n        x (int): The x.\n    """\n    return x',
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_before_after(name: str) -> None:
    before, line, symbol, expected = CASES[name]
    result = insert_docstring(before, line, symbol, DOC)
    assert isinstance(result, Success), result
    assert result.value == expected


@pytest.mark.parametrize("name", list(CASES))
def test_only_inserts(name: str) -> None:
    """Apart from the docstring, the bytes are the original ones, in order."""
    before, line, symbol, _ = CASES[name]
    after = insert_docstring(before, line, symbol, DOC)
    assert isinstance(after, Success)
    if name == "single-line body":
        return  # the one-line body moves to its own line by design
    # Remove the inserted lines: what remains must be the original text exactly.
    remaining = after.value
    for marker in ('"""Do the thing.', "'''Do the thing."):
        start = remaining.find(marker)
        if start >= 0:
            end = remaining.find(marker[:3], start + 3) + 3
            end = remaining.index("\n", end) + 1
            line_start = remaining.rindex("\n", 0, start) + 1
            remaining = remaining[:line_start] + remaining[end:]
    if name == "class gets a blank line after its docstring":
        remaining = remaining.replace("A:\n\n", "A:\n")
    assert remaining == before


def test_one_line_docstring_needs_no_closing_line() -> None:
    result = insert_docstring("def f():\n    pass\n", 1, "f", "Do nothing.")
    assert result == Success('def f():\n    """Do nothing."""\n    pass\n')


def test_backslash_makes_a_raw_docstring() -> None:
    result = insert_docstring("def f():\n    pass\n", 1, "f", r"Match \d+ digits.")
    assert result == Success('def f():\n    r"""Match \\d+ digits."""\n    pass\n')


def test_existing_docstring_is_a_skip() -> None:
    result = insert_docstring('def f():\n    """Old."""\n', 1, "f", "New.")
    assert isinstance(result, Skip)


@pytest.mark.parametrize(
    ("source", "line", "name", "text", "needle"),
    [
        ("def f(:\n", 1, "f", "Doc.", "does not parse"),
        ("def f():\n    pass\n", 2, "f", "Doc.", "no definition"),
        ("def f():\n    pass\n", 1, "f", 'Has """ inside.', "cannot be quoted"),
        ("def f():\n    pass\n", 1, "f", "   ", "empty"),
    ],
)
def test_failures_are_values(source: str, line: int, name: str, text: str, needle: str) -> None:
    result = insert_docstring(source, line, name, text)
    assert isinstance(result, Failure)
    assert needle in result.reason
