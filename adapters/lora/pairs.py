"""A mined row as the model meets it: the engine's own prompt, and the completion to learn.

The prompt comes from `adapters.prompts.build.build_prompt`, the function the engine calls at
review time, on the row's file as the engine would read it and the dataset's context; the
completion is what the model must write after that prompt for the engine's parser to return the
row's answer: a docstring's lines and closing quotes (docs), a test module and the closing code
fence (tests), the rewritten definition and the fence (refactor). Every pair is checked by
parsing its completion back the way the engine will; a row that does not survive is skipped
with its reason, never bent to fit.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from textwrap import dedent

from codegen_bot.adapters.engines.chat import ChatFrame
from codegen_bot.adapters.engines.completion import Completion, cut_at_stop
from codegen_bot.adapters.engines.prompted import prompt_budget
from codegen_bot.adapters.lora.dataset_context import DatasetContext
from codegen_bot.adapters.lora.mining.records import Row
from codegen_bot.adapters.prompts.build import STOPS, build_prompt
from codegen_bot.adapters.prompts.code_context import file_definitions
from codegen_bot.adapters.prompts.parse import docstring_completion, parse_answer
from codegen_bot.refactor.results import Failure, Success
from codegen_bot.refactor.targets import Target

CountTokens = Callable[[str], int]


@dataclass(frozen=True)
class Pair:
    """One row's prompt and completion, and the target the prompt is about."""

    row: Row
    target: Target
    prompt: str
    #: What the model writes after `prompt`, the task's stop string included.
    completion: str
    #: What the engine's parser makes of the completion (the docstring, the module, the code).
    answer: str


def find_target(row: Row) -> Target | None:
    """The definition `row.symbol` in `row.source` (the one whose code is the row's input)."""
    found = [t for t in file_definitions(row.path, row.source) if t.qualname == row.symbol]
    exact = [t for t in found if t.code == row.input]
    chosen = exact or found
    return chosen[0] if chosen else None


def _bound_names(node: ast.Import | ast.ImportFrom) -> list[tuple[ast.alias, str]]:
    if isinstance(node, ast.Import):
        return [(a, a.asname or a.name.split(".")[0]) for a in node.names]
    return [(a, a.asname or a.name) for a in node.names]


def used_imports(imports: str, code: str) -> list[str]:
    """The import statements of `imports` that `code` needs, narrowed to the names it uses."""
    try:
        statements = ast.parse(imports).body
        tree = ast.parse(dedent(code))
    except SyntaxError:
        return []
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    future, kept = [], []
    for node in statements:
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            future.append(ast.unparse(node))  # first in a module, or it does not compile
            continue
        names = [alias for alias, bound in _bound_names(node) if bound in used or bound == "*"]
        if names:
            narrowed = (
                ast.Import(names=names)
                if isinstance(node, ast.Import)
                else ast.ImportFrom(module=node.module, names=names, level=node.level)
            )
            kept.append(ast.unparse(narrowed))
    return future + kept


def module_for_test(row: Row) -> str:
    """A runnable test module for a tests row: the imports its test uses, then the test.

    A test that was a method of a test class is put back in a class named after the function.
    """
    test = row.output.rstrip("\n") + "\n"
    if test[:1].isspace():
        name = row.symbol.rsplit(".", 1)[-1]
        camel = "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)
        test = f"class Test{camel}:\n" + test
    imports = used_imports(row.context, test)
    return ("\n".join(imports) + "\n\n\n" if imports else "") + test


def completion_for(row: Row, indent: str) -> str:
    """What the model writes after the prompt for `row`, up to and including the stop string."""
    if row.task == "docs":
        return docstring_completion(row.output, indent)
    if row.task == "tests":
        return module_for_test(row) + STOPS["tests"][0]
    return dedent(row.output).strip("\n") + "\n" + STOPS["refactor"][0]


def make_pair(
    row: Row,
    context: DatasetContext,
    count_tokens: CountTokens,
    max_context: int | None,
    frame: ChatFrame | None = None,
) -> Success[Pair] | Failure:
    """The pair for `row`, or why the row cannot be one (the reason names what failed).

    The prompt is in the completion format, or in the chat `frame` when one is given.
    """
    if not row.source:
        return Failure("the row has no source file (mined by an older codegen)")
    if any(stop in row.output for stop in STOPS[row.task]):
        return Failure("the answer holds the task's stop string")
    target = find_target(row)
    if target is None:
        return Failure(f"`{row.symbol}` is not defined in the row's source")
    if row.task == "docs" and target.has_docstring:
        return Failure(f"`{row.symbol}` still has a docstring in the row's source")
    run_context = context.run_context(row)
    budget = prompt_budget(run_context, row.task, max_context)
    built = build_prompt(row.task, target, run_context, count_tokens, budget, frame=frame)
    if isinstance(built, Failure):
        return built
    prompt = built.value
    completion = completion_for(row, prompt.indent)
    # Read it back as the engine will: cut at the stop string, then the task's parser.
    text, stopped = cut_at_stop(completion, prompt.stop)
    parsed = parse_answer(row.task, Completion(text, "stop" if stopped else "length", 0), target)
    if isinstance(parsed, Failure):
        return Failure(f"the completion does not parse back: {parsed.reason}")
    if row.task == "docs" and parsed.value != row.output:
        return Failure("the docstring does not survive the engine's parser unchanged")
    return Success(Pair(row, target, prompt.text, completion, parsed.value))
