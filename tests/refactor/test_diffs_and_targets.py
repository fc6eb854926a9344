"""Changed lines from real `git diff` output, and the definitions they touch."""

from __future__ import annotations

from codegen_bot.refactor.diffs import changed_lines, parse_hunks
from codegen_bot.refactor.targets import find_definitions, touched_definitions

BASE = """\
import os


def keep(a):
    return a


class Shape:
    sides = 0

    def area(self):
        return 0

    def name(self):
        return "shape"


def gone(b):
    x = 1
    y = 2
    return b
"""

HEAD = """\
import os


def keep(a):
    return a


class Shape:
    sides = 0

    def area(self):
        return 1

    def name(self):
        return "shape"


def gone(b):
    x = 1
    return b


def fresh(c):
    return c
"""


def _diff(repo, base: str, head: str, path: str) -> str:
    return repo.git("diff", "--unified=0", base, head, "--", path)


def test_changed_lines_from_real_git(make_repo) -> None:
    repo = make_repo()
    base = repo.commit({"m.py": BASE})
    head = repo.commit({"m.py": HEAD})
    changes = changed_lines(_diff(repo, base, head, "m.py"))
    assert changes.added == {12, 21, 22, 23, 24}
    # `y = 2` was deleted after line 19 (`x = 1`) of the new file.
    assert changes.deleted_after == {19}


def test_hunk_headers() -> None:
    hunks = parse_hunks("@@ -3 +3,2 @@\n-a\n+b\n+c\n@@ -10,2 +11,0 @@\n-x\n-y\n")
    assert [(h.old_start, h.old_count, h.new_start, h.new_count) for h in hunks] == [
        (3, 1, 3, 2),
        (10, 2, 11, 0),
    ]
    assert list(hunks[1].new_lines) == []


def test_touched_definitions(make_repo) -> None:
    repo = make_repo()
    base = repo.commit({"m.py": BASE})
    head = repo.commit({"m.py": HEAD})
    touched = touched_definitions("m.py", HEAD, changed_lines(_diff(repo, base, head, "m.py")))
    by_name = {t.qualname: t for t in touched}
    # A method changed, not the class around it; a deletion counts; the new function is "added".
    assert set(by_name) == {"Shape.area", "gone", "fresh"}
    assert by_name["fresh"].change == "added"
    assert by_name["Shape.area"].change == "modified"
    assert (by_name["Shape.area"].start, by_name["Shape.area"].end) == (11, 12)
    assert by_name["Shape.area"].kind == "method"


def test_spans_include_decorators_and_header_lines() -> None:
    source = (
        "class A:\n"
        "    @property\n"
        "    def f(\n"
        "        self,\n"
        "    ) -> int:  # note\n"
        "        # comment\n"
        "\n"
        "        return 1\n"
        "\n"
        "    def _g(self): return 2\n"
    )
    targets = {t.qualname: t for t in find_definitions("a.py", source)}
    f = targets["A.f"]
    assert (f.start, f.def_line, f.header_end, f.end) == (2, 3, 5, 8)
    assert f.is_trivial_property
    assert f.is_public and not targets["A._g"].is_public
    assert targets["A._g"].header_end == 10
    assert targets["A"].kind == "class" and targets["A"].end == 10


def test_functions_inside_functions_are_not_targets() -> None:
    source = "def outer():\n    def inner():\n        pass\n    return inner\n"
    assert [t.qualname for t in find_definitions("a.py", source)] == ["outer"]


def test_class_touched_by_its_own_lines_only() -> None:
    source = "class A:\n    x = 1\n\n    def m(self):\n        return 1\n"
    from codegen_bot.refactor.diffs import FileChanges

    only_method = touched_definitions("a.py", source, FileChanges(added=frozenset({5})))
    assert [t.qualname for t in only_method] == ["A.m"]
    attribute = touched_definitions("a.py", source, FileChanges(added=frozenset({2})))
    assert [t.qualname for t in attribute] == ["A"]
