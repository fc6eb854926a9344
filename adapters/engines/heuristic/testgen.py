"""Test modules from facts: example tests from observed calls, property tests from Hypothesis.

Nothing here runs code: the calls were run in the sandbox beforehand and their results are
in the `TestTarget`; the property test was written there by Hypothesis's ghostwriter. This
module only assembles a module in the repository's style (pytest or unittest), with sorted
imports and docstrings, so that the repository's ruff has nothing to say.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass, field

from codegen_bot.refactor.targets import snake_case
from codegen_bot.refactor.testing.target_facts import ObservedExample, TestTarget

_MAX_ASSERTIONS = 12


@dataclass
class Module:
    """A test module under construction: imports by section, and top-level blocks."""

    first_party: str
    imports: dict[str, set[str]] = field(
        default_factory=lambda: {"std": set(), "third": set(), "first": set()}
    )
    blocks: list[str] = field(default_factory=list)

    def add_import(self, statement: str) -> None:
        """File an import statement under its isort section."""
        match = re.match(r"(?:from|import)\s+([\w.]+)", statement)
        top = match.group(1).split(".")[0] if match else ""
        section = (
            "first"
            if top == self.first_party
            else "std"
            if top in sys.stdlib_module_names
            else "third"
        )
        self.imports[section].add(statement)

    def render(self, docstring: str) -> str:
        """The module's text: docstring, import sections, blocks two lines apart."""
        sections = []
        for name in ("std", "third", "first"):
            found = self.imports[name]
            if found:
                ordered = sorted(s for s in found if s.startswith("import ")) + sorted(
                    (s for s in found if s.startswith("from ")),
                    key=lambda s: s.split(" import ")[0],
                )
                sections.append("\n".join(ordered))
        head = f'"""{docstring}"""\n\n' + "\n\n".join(sections)
        return head + "\n\n\n" + "\n\n\n".join(block.strip("\n") for block in self.blocks) + "\n"


def _names_sorted(names: set[str]) -> str:
    """Imported names in isort's order: CONSTANTS, Classes, then functions."""

    def kind(name: str) -> tuple[int, str]:
        if name.isupper() and len(name) > 1:
            return (0, name)
        return (1 if name[:1].isupper() else 2, name)

    return ", ".join(sorted(names, key=kind))


def _assertion(call: str, value: str, style: str, uses: set[str]) -> str:
    """One line asserting that `call` gives `value` (pytest `assert` or `self.assert...`)."""
    node = ast.parse(call, mode="eval").body
    if isinstance(node, ast.Compare) and value in ("True", "False"):
        # A doctest's `f(x) == y` that held: assert it as it stands (or its negation).
        if style == "unittest":
            return f"self.assert{value}({call})"
        return f"assert {call}" if value == "True" else f"assert not ({call})"
    if not isinstance(node, ast.Call | ast.Name | ast.Attribute | ast.Subscript | ast.Constant):
        call = f"({call})"
    approximate = _is_fractional(value)
    if style == "unittest":
        if value in ("None", "True", "False"):
            return f"self.assertIs({call}, {value})"
        if approximate:
            return f"self.assertAlmostEqual({call}, {value})"
        return f"self.assertEqual({call}, {value})"
    if value in ("None", "True", "False"):
        return f"assert {call} is {value}"
    if approximate:
        uses.add("pytest")
        return f"assert {call} == pytest.approx({value})"
    return f"assert {call} == {value}"


def _is_fractional(value: str) -> bool:
    try:
        parsed = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return False
    return isinstance(parsed, float) and not parsed.is_integer()


def _on_instance(example: ObservedExample, style: str, uses: set[str]) -> list[str]:
    """A fresh instance, the call (its value asserted unless None), then the state it left."""
    instance = example.instance
    assert instance is not None and example.returns is not None  # `example_blocks` picks these
    lines = [f"{instance.receiver} = {instance.constructor}"]
    if example.returns == "None":
        lines.append(example.call)
    else:
        lines.append(_assertion(example.call, example.returns, style, uses))
    if example.state is not None:
        state = f"{instance.observer}({instance.receiver})"
        lines.append(_assertion(state, example.state, style, uses))
    return lines


def _raising(
    raising: list[ObservedExample], unittest: bool, names: set[str], uses: set[str]
) -> list[str]:
    """`with pytest.raises(E):` (or `self.assertRaises`) around each call; names to import."""
    lines = []
    for example in raising:
        exception = example.raises or "Exception"
        if "." in exception:
            exception = exception.rsplit(".", 1)[1]
            names.add(exception)
        opener = f"self.assertRaises({exception})" if unittest else f"pytest.raises({exception})"
        if not unittest:
            uses.add("pytest")
        if example.instance is not None:
            lines.append(f"{example.instance.receiver} = {example.instance.constructor}")
        lines += [f"with {opener}:", f"    {example.call}"]
    return lines


def example_blocks(target: TestTarget, module: Module) -> bool:
    """Add the example tests of `target` to `module`; False when there is nothing to assert."""
    observed = [e for e in target.examples if e.returns is not None]
    returning = [e for e in observed if e.instance is None][:_MAX_ASSERTIONS]
    on_instances = [e for e in observed if e.instance is not None][:_MAX_ASSERTIONS]
    raising = [e for e in target.examples if e.raises][:_MAX_ASSERTIONS]
    if not returning and not on_instances and not raising:
        return False
    head = target.qualname.split(".")[0]
    names = {head}
    stem = snake_case(target.qualname.replace(".", "_"))
    unittest = target.conventions.style == "unittest"
    style = "unittest" if unittest else "pytest"
    uses: set[str] = set()
    tests: list[tuple[str, str, list[str]]] = []
    if returning:
        lines = [_assertion(e.call, e.returns or "", style, uses) for e in returning]
        tests.append(("returns", "Return values observed when these calls ran.", lines))
    if on_instances:
        lines = []
        for example in on_instances:  # a blank line between instances
            lines += [*([""] if lines else []), *_on_instance(example, style, uses)]
        doc = "Values and state of fresh instances observed when these calls ran."
        tests.append(("on_instances", doc, lines))
    if raising:
        lines = _raising(raising, unittest, names, uses)
        tests.append(("raises", "Exceptions observed when these calls ran.", lines))
    imported: dict[str, set[str]] = {}
    for example in [*returning, *on_instances, *raising]:
        for source, name in example.imports:
            if not source:
                names.add(name)
            elif name:
                imported.setdefault(source, set()).add(name)
            else:
                module.add_import(f"import {source}")
    for source, found in imported.items():
        module.add_import(f"from {source} import {_names_sorted(found)}")
    module.add_import(f"from {target.module} import {_names_sorted(names)}")
    if "pytest" in uses:
        module.add_import("import pytest")
    if unittest:
        module.add_import("import unittest")
        methods = []
        for suffix, doc, lines in tests:
            body = "\n".join(f"        {line}" if line else "" for line in lines)
            methods.append(f'    def test_{suffix}(self) -> None:\n        """{doc}"""\n{body}')
        title = "".join(part[:1].upper() + part[1:] for part in target.qualname.split("."))
        module.blocks.append(
            f"class Test{title}Examples(unittest.TestCase):\n"
            '    """Calls observed in the sandbox, and what they did."""\n\n' + "\n\n".join(methods)
        )
    else:
        for suffix, doc, lines in tests:
            body = "\n".join(f"    {line}" if line else "" for line in lines)
            module.blocks.append(f'def test_{stem}_{suffix}() -> None:\n    """{doc}"""\n{body}')
    return True


def property_blocks(target: TestTarget, module: Module) -> bool:
    """Add the ghostwriter's property tests of `target` to `module`, with docstrings."""
    text = target.property_test
    if not text:
        return False
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return False
    lines = text.splitlines()
    body_start = 0
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            module.add_import(ast.unparse(node))
            body_start = node.end_lineno or body_start
    insertions: list[tuple[int, str]] = []
    for walked in ast.walk(tree):
        if (
            isinstance(walked, ast.FunctionDef)
            and walked.name.startswith("test")
            and ast.get_docstring(walked) is None
        ):
            first = walked.body[0]
            indent = " " * first.col_offset
            # Short, so that it fits any line length at any indentation ghostwriter uses.
            insertions.append(
                (first.lineno - 1, f'{indent}"""Property from Hypothesis\'s ghostwriter."""')
            )
    for index, docstring in sorted(insertions, reverse=True):
        lines.insert(index, docstring)
    shift = sum(1 for index, _ in insertions if index < body_start)
    body = "\n".join(
        line for line in lines[body_start + shift :] if not line.startswith("# TODO")
    ).strip("\n")
    module.blocks.append(body)
    return True


def build_test_modules(target: TestTarget) -> list[tuple[str, str]]:
    """The candidate modules for `target`, best first: examples and properties, then each alone.

    Returns `(text, what)` pairs; empty when neither examples nor a property test exist.
    """
    first_party = target.module.split(".")[0]
    doc = f"Tests for `{target.qualname}` in `{target.module}`, written by codegen."
    found: list[tuple[str, str]] = []
    for parts in (("examples", "properties"), ("examples",), ("properties",)):
        module = Module(first_party)
        made = [
            example_blocks(target, module)
            if part == "examples"
            else property_blocks(target, module)
            for part in parts
        ]
        if all(made):
            text = module.render(doc)
            if text not in (t for t, _ in found):
                found.append((text, " and ".join(parts)))
    return found
