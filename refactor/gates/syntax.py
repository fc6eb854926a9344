"""Gate 1: the edited file parses with LibCST and compiles to bytecode."""

from __future__ import annotations

import libcst as cst

from codegen_bot.refactor.gates.verdict import Verdict, timed


def check_syntax(path: str, source: str) -> Verdict:
    """Pass when `source` parses with LibCST and Python compiles it."""

    def check() -> str | None:
        """Why the source does not parse or compile, or None."""
        try:
            cst.parse_module(source)
        except cst.ParserSyntaxError as error:
            return f"does not parse: {error.message} (line {error.raw_line})"
        try:
            compile(source, path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as error:
            return f"does not compile: {error}"
        return None

    return timed("syntax", check)
