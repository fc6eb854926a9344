"""The heuristic engine: docstrings derived exactly from the code, no model needed."""

from __future__ import annotations

import ast
import time
from collections.abc import Mapping, Sequence

from codegen_bot.adapters.engines.base import Candidate, EngineIdentity, RunContext, Task
from codegen_bot.adapters.engines.heuristic.claims import class_claims, function_claims
from codegen_bot.adapters.engines.heuristic.render import RENDERERS, without_types
from codegen_bot.adapters.engines.heuristic.ruff_rewrites import ruff_candidates
from codegen_bot.adapters.engines.heuristic.testgen import build_test_modules
from codegen_bot.refactor.docstrings.style import Style
from codegen_bot.refactor.docstrings.words import new_words
from codegen_bot.refactor.edits.ruff_fix import SAFE_EXTRA_RULES
from codegen_bot.refactor.targets import Target
from codegen_bot.refactor.testing.target_facts import TestTarget


def _find_node(tree: ast.Module, target: Target) -> ast.AST | None:
    """The AST node of `target`: the definition named like it that starts on its `def` line."""
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and node.name == target.name
            and node.lineno == target.def_line
        ):
            return node
    return None


def _signature(node: ast.AST) -> str:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
        return f"({ast.unparse(node.args)}){returns}"
    return ""


class HeuristicEngine:
    """Proposes docstrings built from facts in the code, in the repository's convention."""

    def __init__(
        self,
        style: Style = "google",
        arg_types: bool = True,
        ruff_config: Mapping[str, str] | None = None,
        refactor_rules: Sequence[str] | None = None,
    ) -> None:
        self.style = style
        self.arg_types = arg_types
        self._ruff_config = dict(ruff_config or {})
        self._refactor_rules = tuple(SAFE_EXTRA_RULES if refactor_rules is None else refactor_rules)
        self._extra_label = (
            "added by codegen's safe extra rules"
            if refactor_rules is None
            else "added by nightly.extra_rules"
        )
        self._identity = EngineIdentity("heuristic")

    @property
    def identity(self) -> EngineIdentity:
        """The heuristic engine has no model and no adapter."""
        return self._identity

    def propose(
        self, task: Task, targets: Sequence[Target], context: RunContext | None = None
    ) -> list[Candidate]:
        """Docstrings for `docs`, test modules for `tests`, ruff fixes for `refactor`.

        The heuristic needs no examples: `context` is accepted for the common interface only.
        """
        if task == "refactor":
            return ruff_candidates(
                targets,
                self._ruff_config,
                self._identity,
                self._refactor_rules,
                self._extra_label,
            )
        if task == "tests":
            return [candidate for target in targets for candidate in self._tests(target)]
        if task != "docs":
            return [
                Candidate(t, task, None, self._identity, f"the heuristic engine does not do {task}")
                for t in targets
            ]
        trees: dict[str, ast.Module | None] = {}
        return [self._docstring(target, trees) for target in targets]

    def _tests(self, target: Target) -> list[Candidate]:
        """Test modules built from the facts gathered in the sandbox, best first."""
        started = time.perf_counter()
        if not isinstance(target, TestTarget):
            return [
                Candidate(
                    target, "tests", None, self._identity, "no test facts were gathered for it"
                )
            ]
        modules = build_test_modules(target)
        seconds = time.perf_counter() - started
        if not modules:
            why = (
                "; ".join(target.notes)
                or "no call with literal arguments, doctest or annotation to build on"
            )
            return [
                Candidate(target, "tests", None, self._identity, f"nothing to test from: {why}")
            ]
        return [
            Candidate(target, "tests", text, self._identity, seconds=seconds) for text, _ in modules
        ]

    def _docstring(self, target: Target, trees: dict[str, ast.Module | None]) -> Candidate:
        started = time.perf_counter()
        # Keyed by the text, not the path: targets of one path may come from different
        # versions of the file (mined rows, each without its own docstring).
        if target.source not in trees:
            try:
                trees[target.source] = ast.parse(target.source)
            except SyntaxError:
                trees[target.source] = None
        tree = trees[target.source]
        node = _find_node(tree, target) if tree is not None else None
        if node is None:
            return Candidate(target, "docs", None, self._identity, "the definition was not found")
        if isinstance(node, ast.ClassDef):
            parts = class_claims(node)
        else:
            assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            parts = function_claims(node, target.source)
        if parts is None:
            # "Return the area." restates the name: a maintainer should not be asked to apply it.
            return Candidate(
                target,
                "docs",
                None,
                self._identity,
                "nothing the code shows beyond the name (what it yields, returns or raises)",
            )
        if not self.arg_types:
            parts = without_types(parts)
        text = RENDERERS[self.style](parts)
        if not new_words(text, node.name, _signature(node)):
            # `is_paid` → "Return True if `self.paid`." restates the name in code.
            return Candidate(
                target, "docs", None, self._identity, "the code says no more than the name"
            )
        return Candidate(
            target, "docs", text, self._identity, seconds=time.perf_counter() - started
        )
