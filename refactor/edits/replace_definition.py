"""Replace one function's definition with a rewritten one, leaving the rest of the file alone."""

from __future__ import annotations

import textwrap

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from codegen_bot.refactor.results import Failure, Result, Success


def _parse_definition(code: str) -> cst.FunctionDef | Failure:
    try:
        module = cst.parse_module(textwrap.dedent(code))
    except cst.ParserSyntaxError as error:
        return Failure(f"the new definition does not parse: {error.message}")
    definitions = [s for s in module.body if isinstance(s, cst.FunctionDef)]
    if len(module.body) != 1 or len(definitions) != 1:
        return Failure("the new code is not exactly one function definition")
    return definitions[0]


class _Replace(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, def_line: int, name: str, new: cst.FunctionDef) -> None:
        super().__init__()
        self.def_line = def_line
        self.name = name
        self.new = new
        self.replaced = False

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        position = self.get_metadata(PositionProvider, original_node)
        if original_node.name.value != self.name or position.start.line != self.def_line:
            return updated_node
        self.replaced = True
        # Keep what sits above the definition (comments, blank lines) exactly as it was.
        return self.new.with_changes(leading_lines=original_node.leading_lines)


def replace_definition(source: str, def_line: int, name: str, new_code: str) -> Result[str]:
    """Return `source` with the function `name` defined on `def_line` replaced by `new_code`.

    `new_code` is the whole new definition (decorators included), at any indentation; it must
    keep the function's name. Fails when either side does not parse or nothing matches.
    """
    new = _parse_definition(new_code)
    if isinstance(new, Failure):
        return new
    if new.name.value != name:
        return Failure(f"the new definition is named {new.name.value!r}, not {name!r}")
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        return Failure(f"the file does not parse: {error.message} (line {error.raw_line})")
    transformer = _Replace(def_line, name, new)
    result = MetadataWrapper(module, unsafe_skip_copy=True).visit(transformer)
    if not transformer.replaced:
        return Failure(f"no function named {name!r} on line {def_line}")
    return Success(result.code)
