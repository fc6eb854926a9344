"""The coverage gate for rewrites of existing functions, over measured coverage data."""

from __future__ import annotations

from codegen_bot.refactor.gates.behaviour import body_lines, coverage_gate
from codegen_bot.refactor.testing.coverage_data import FileCoverage

# def f(x):          line 10
#     if x:          line 11
#         return 1   line 12
#     return 2       line 13
FILE = FileCoverage(
    statements=frozenset({10, 11, 12, 13, 20}),
    branches=frozenset({(11, 12), (11, 13)}),
    contexts={
        "": (frozenset({10, 20}), frozenset()),  # import time: the def line only
        "tests/test_f.py::test_true": (frozenset({11, 12}), frozenset({(11, 12)})),
        "tests/test_f.py::test_red": (frozenset({11, 13}), frozenset({(11, 13)})),
        "tests/test_g.py::test_g": (frozenset({20}), frozenset()),
    },
)
BODY = body_lines(10, 10, 13)


def test_body_lines_skip_the_signature_except_for_one_liners() -> None:
    assert body_lines(10, 11, 14) == (12, 14)
    assert body_lines(10, 10, 10) == (10, 10)


def test_import_time_alone_does_not_cover_a_function() -> None:
    only_import = FileCoverage(FILE.statements, FILE.branches, {"": FILE.contexts[""]})
    verdict, tests = coverage_gate(only_import, frozenset(), BODY)
    assert not verdict.passed and verdict.reason == "not covered by tests" and tests == ()
    verdict, _ = coverage_gate(None, frozenset(), BODY)
    assert verdict.reason == "not covered by tests"


def test_covering_tests_are_named_and_a_red_one_blocks_the_change() -> None:
    verdict, tests = coverage_gate(FILE, frozenset(), BODY)
    assert verdict.passed and verdict.gate == "coverage"
    assert tests == ("tests/test_f.py::test_red", "tests/test_f.py::test_true")
    verdict, _ = coverage_gate(FILE, frozenset({"tests/test_f.py::test_red"}), BODY)
    assert not verdict.passed
    assert verdict.reason == (
        "tests that cover it already fail before the change: tests/test_f.py::test_red"
    )


def test_every_changed_statement_must_run() -> None:
    true_only = FileCoverage(
        FILE.statements,
        FILE.branches,
        {k: v for k, v in FILE.contexts.items() if not k.endswith("test_red")},
    )
    # Changing lines 12-13 needs line 13 run too: test_true never runs it.
    verdict, tests = coverage_gate(true_only, frozenset(), BODY, changed=(12, 13))
    assert not verdict.passed
    assert verdict.reason == "not covered by tests: changed line(s) 13 never run"
    assert tests == ("tests/test_f.py::test_true",)
    # A change on line 12 only is run; a change of the signature runs at import time.
    assert coverage_gate(true_only, frozenset(), BODY, changed=(12, 12))[0].passed
    assert coverage_gate(true_only, frozenset(), BODY, changed=(10, 10))[0].passed


def test_a_file_coverage_could_not_read_is_said() -> None:
    broken = FileCoverage(frozenset(), frozenset(), {}, "unexpected indent")
    verdict, _ = coverage_gate(broken, frozenset(), BODY)
    assert verdict.reason == "coverage could not measure the file: unexpected indent"
