"""Lines are counted as git counts them: a form feed or U+2028 never shifts a suggestion.

`str.splitlines` breaks at a form feed, a vertical tab, U+001C to U+001E, U+0085, U+2028 and U+2029;
git breaks only at `\\n`. Every suggestion, applied as GitHub applies it (its lines replace
`start..end` of the head file), must give what `git apply` of the patch gives, and both must parse.
"""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codegen_bot.adapters.engines.heuristic import HeuristicEngine
from codegen_bot.refactor.edits.insert_docstring import insert_docstring
from codegen_bot.refactor.patches import git_lines, line_replacement, unified_diff
from codegen_bot.refactor.results import Success
from codegen_bot.refactor.targets import find_definitions

ODD = ["\f", "\v", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]

FUNCTION = "def scale(xs, factor):\n    return [x * factor for x in xs]\n"


def _git_apply(tmp: Path, before: str, patch: str) -> str:
    subprocess.run(["git", "init", "-q", str(tmp)], check=True)
    (tmp / "m.py").write_bytes(before.encode())
    (tmp / "change.patch").write_bytes(patch.encode())
    subprocess.run(["git", "apply", "--check", "change.patch"], cwd=tmp, check=True)
    subprocess.run(["git", "apply", "change.patch"], cwd=tmp, check=True)
    return (tmp / "m.py").read_bytes().decode()


def _as_github_applies(before: str, start: int, end: int, text: str) -> str:
    lines = git_lines(before)
    return "".join(lines[: start - 1]) + text + "".join(lines[end:])


# Places where Python allows the odd characters: a comment, a string, whitespace (form feed).
line_kinds = st.sampled_from(["comment", "string", "feed", "plain"])


@st.composite
def modules(draw: st.DrawFn) -> str:
    lines = []
    for kind in draw(st.lists(line_kinds, min_size=1, max_size=6)):
        odd = draw(st.sampled_from(ODD))
        if kind == "comment":
            lines.append(f"# a{odd}b\n")
        elif kind == "string":
            lines.append(f"NOTE = 'x{odd}y'\n")
        elif kind == "feed":
            lines.append("\f\n")
        else:
            lines.append("x = 1\n")
    head, tail = draw(st.integers(0, len(lines))), draw(st.booleans())
    body = (
        "".join(lines[:head]) + "\n\n" + FUNCTION + ("\n\n" + "".join(lines[head:]) if tail else "")
    )
    return body


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(source=modules())
def test_a_suggestion_applied_like_github_equals_git_apply(source: str, tmp_path_factory) -> None:
    ast.parse(source)
    [target] = [t for t in find_definitions("m.py", source) if t.name == "scale"]
    # The target's span is the function's, counted in git's lines.
    assert git_lines(source)[target.def_line - 1].startswith("def scale(")
    [candidate] = HeuristicEngine("google").propose("docs", [target])
    assert candidate.text is not None
    edited = insert_docstring(source, target.def_line, target.name, candidate.text)
    assert isinstance(edited, Success)
    replacement = line_replacement(source, edited.value)
    assert replacement is not None
    suggested = _as_github_applies(source, replacement.start, replacement.end, replacement.text)
    applied = _git_apply(
        tmp_path_factory.mktemp("repo"), source, unified_diff("m.py", source, edited.value)
    )
    assert suggested == applied == edited.value
    ast.parse(applied)


def test_git_lines_break_only_at_line_feeds() -> None:
    assert git_lines("a\fb\u2028c\r\nd\n") == ["a\fb\u2028c\r\n", "d\n"]
    assert git_lines("a\nb") == ["a\n", "b"]
    assert git_lines("") == []
