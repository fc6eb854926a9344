"""Definition rewrites as line replacements, applied together, with the imports they left unused."""

from __future__ import annotations

from codegen_bot.refactor.edits.combine import apply_replacements, combine, definition_replacement
from codegen_bot.refactor.edits.replace_definition import replace_definition
from codegen_bot.refactor.edits.unused_imports import (
    package_of,
    remove_newly_unused,
    unused_imports,
)
from codegen_bot.refactor.patches import Replacement
from codegen_bot.refactor.results import Failure, Success
from codegen_bot.refactor.targets import find_definitions

SOURCE = '''\
"""Helpers."""

from typing import Dict, List
import json  # unused before any change: stays

from .money import rate


def f(x: List[int]) -> List[int]:
    return x


def g(x: List[int]) -> int:
    return len(x)


class Box:
    # the total
    def total(self, d: Dict[str, int]) -> float:
        return sum(d.values()) * rate()
'''


def _targets() -> dict[str, object]:
    return {t.qualname: t for t in find_definitions("shop/helpers.py", SOURCE)}


def _replacement(name: str, new: str) -> Replacement:
    result = definition_replacement(_targets()[name], new)
    assert isinstance(result, Success), result
    return result.value


def test_a_change_alone_keeps_an_import_another_function_still_uses() -> None:
    alone = combine(
        "shop/helpers.py",
        SOURCE,
        [_replacement("f", "def f(x: list[int]) -> list[int]:\n    return x\n")],
    )
    assert isinstance(alone, Success)
    assert alone.value.removed_imports == ()
    assert "from typing import Dict, List\n" in alone.value.text


def test_together_two_changes_leave_the_import_unused_and_it_goes_alone() -> None:
    both = combine(
        "shop/helpers.py",
        SOURCE,
        [
            _replacement("g", "def g(x: list[int]) -> int:\n    return len(x)\n"),
            _replacement("f", "def f(x: list[int]) -> list[int]:\n    return x\n"),
        ],
    )
    assert isinstance(both, Success)
    assert both.value.removed_imports == (("typing", "List", None),)
    assert both.value.text == SOURCE.replace("Dict, List", "Dict").replace("List[int]", "list[int]")
    # The import the repository left unused before (json) is untouched.
    assert "import json  # unused before any change: stays\n" in both.value.text


def test_removing_the_whole_import_line_keeps_the_blank_line_above() -> None:
    source = '"""Doc."""\n\nfrom typing import List\nimport os\n\n\ndef f(x: List[int]) -> str:\n    return os.sep\n'
    target = find_definitions("m.py", source)[0]
    replacement = definition_replacement(target, "def f(x: list[int]) -> str:\n    return os.sep\n")
    assert isinstance(replacement, Success)
    result = combine("m.py", source, [replacement.value])
    assert isinstance(result, Success)
    assert result.value.text == (
        '"""Doc."""\n\nimport os\n\n\ndef f(x: list[int]) -> str:\n    return os.sep\n'
    )


def test_relative_imports_are_resolved_against_the_files_package() -> None:
    assert package_of("shop/helpers.py") == "shop"
    assert package_of("setup.py") == ""
    after = SOURCE.replace("* rate()", "* 2.0").replace("Dict[str, int]", "dict[str, int]")
    assert unused_imports(after, "shop") - unused_imports(SOURCE, "shop") == {
        ("shop.money", "rate", None),
        ("typing", "Dict", None),
    }
    cleaned = remove_newly_unused(SOURCE, after, "shop/helpers.py")
    assert isinstance(cleaned, Success)
    text, removed = cleaned.value
    assert "from .money import rate" not in text and "from typing import List\n" in text
    assert [name for name, _, _ in removed] == ["shop.money", "typing"]


def test_a_method_replacement_is_the_whole_definition_as_placed_in_the_file() -> None:
    new = "def total(self, d: dict[str, int]) -> float:\n    return sum(d.values()) * rate()\n"
    replacement = _replacement("Box.total", new)
    target = _targets()["Box.total"]
    assert (replacement.start, replacement.end) == (target.start, target.end)
    assert replacement.text == "    " + new.replace("\n    ", "\n        ")
    # Applying the replacement is exactly the codemod's edit.
    codemod = replace_definition(SOURCE, target.def_line, "total", new)
    assert apply_replacements(SOURCE, [replacement]) == codemod


def test_overlapping_or_empty_changes_fail() -> None:
    assert isinstance(
        apply_replacements("a\nb\nc\n", [Replacement(1, 2, "x\n"), Replacement(2, 3, "y\n")]),
        Failure,
    )
    same = definition_replacement(
        _targets()["g"], "def g(x: List[int]) -> int:\n    return len(x)\n"
    )
    assert isinstance(same, Failure) and "identical" in same.reason


def test_a_rewrite_already_indented_in_place_gives_the_same_replacement() -> None:
    target = _targets()["Box.total"]
    dedented = "def total(self, d: dict[str, int]) -> float:\n    return sum(d.values()) * rate()\n"
    indented = "    " + dedented.replace("\n    ", "\n        ")
    assert definition_replacement(target, indented) == definition_replacement(target, dedented)
    # Not a definition of that name: refused whichever way it is indented.
    assert isinstance(definition_replacement(target, indented.replace("total", "sum_")), Failure)
