"""Fill a task's template with the context that fits the token budget, cutting far code first.

What a prompt always holds: the instruction and the target's code (a class too long for the
budget is shown as its outline, method bodies elided). What it holds when room is left, in this
order of priority: the enclosing class's own lines; one example of the repository's docstrings
(docs) or one of its test modules (tests); the module's imports; a second docstring example;
then the other definitions of the file, nearest first. To fit, pieces are dropped whole from the
end of that list (the farthest definition first), so a prompt never holds half a function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from codegen_bot.adapters.engines.base import RunContext, Task
from codegen_bot.adapters.engines.chat import ChatFrame, Resolved
from codegen_bot.adapters.prompts import template_parts
from codegen_bot.adapters.prompts.code_context import (
    class_header,
    definitions_of,
    header_and_indent,
    module_imports,
    module_name,
    neighbours,
    outline,
)
from codegen_bot.adapters.prompts.few_shot import pick_docstring_examples
from codegen_bot.refactor.results import Failure, Success
from codegen_bot.refactor.targets import Target

CountTokens = Callable[[str], int]

#: Where a model's answer ends, per task: the docstring's closing quotes, or the code fence.
STOPS: dict[Task, tuple[str, ...]] = {"docs": ('"""',), "tests": ("```",), "refactor": ("```",)}

_STYLE_NAMES = {
    "google": "Google",
    "numpy": "NumPy",
    "sphinx": "Sphinx (reST field list)",
    "plain": "plain prose (no sections)",
}


@dataclass(frozen=True)
class Prompt:
    """A filled prompt, its size in tokens, and what was left out to fit the budget."""

    task: Task
    text: str
    tokens: int
    stop: tuple[str, ...]
    #: The docstring's indentation in the file (docs), which a model's answer is written at.
    indent: str
    cut: tuple[str, ...] = ()
    #: `completion`, or `chat` (in the model's chat template).
    format: Resolved = "completion"


@dataclass(frozen=True)
class _Chunk:
    section: str  # "examples", "test", "imports" or "around"
    line: int  # where it sits in the file (or its rank in its section), to render in order
    text: str
    label: str  # how `Prompt.cut` names it when it is left out


def _headings(target: Target, context: RunContext) -> dict[str, str]:
    path = target.path
    test_path = context.test_example[0] if context.test_example else ""
    return {
        "examples": "# Docstrings from this repository:\n",
        "test": f"# A test module of this repository, {test_path}:\n",
        "imports": f"# Imports of {path}:\n",
        "around": f"# Code around it in {path}:\n",
    }


def _chunks(task: Task, target: Target, context: RunContext) -> list[_Chunk]:
    """Every optional piece of context, in order of priority (kept first)."""
    definitions = definitions_of(target)
    chunks: list[_Chunk] = []
    owner = class_header(target, definitions)
    if owner:
        line = min(
            (d.start for d in definitions if d.qualname == ".".join(target.enclosing_classes)),
            default=0,
        )
        chunks.append(_Chunk("around", line, owner, "the enclosing class"))
    examples: tuple[str, ...] = ()
    if task == "docs":
        own = pick_docstring_examples([(target.path, target.source)], context.style)
        examples = tuple(dict.fromkeys((*own, *context.docstring_examples)))[:2]
    if examples:
        chunks.append(_Chunk("examples", 0, examples[0], "docstring example 1"))
    if task == "tests" and context.test_example:
        chunks.append(_Chunk("test", 0, context.test_example[1].rstrip("\n"), "the test example"))
    imports = module_imports(target.source)
    if imports:
        chunks.append(_Chunk("imports", 0, imports, "the imports"))
    if len(examples) > 1:
        chunks.append(_Chunk("examples", 1, examples[1], "docstring example 2"))
    for neighbour in neighbours(target, definitions):
        first = neighbour.code.splitlines()[0].strip() if neighbour.code else ""
        label = f"line {neighbour.start}: {first}"
        chunks.append(_Chunk("around", neighbour.start, neighbour.code, label))
    return chunks


def _render(
    task: Task,
    target: Target,
    context: RunContext,
    code: str,
    chosen: list[_Chunk],
    *,
    frame: ChatFrame | None = None,
) -> str:
    header, indent = header_and_indent(target)
    headings = _headings(target, context)
    sections = []
    for section in ("examples", "test", "imports", "around"):
        pieces = sorted((c for c in chosen if c.section == section), key=lambda c: c.line)
        if pieces:
            sections.append("\n" + headings[section] + "\n\n".join(p.text for p in pieces) + "\n")
    values = dict(
        kind=target.kind,
        qualname=target.qualname,
        path=target.path,
        module=module_name(target.path),
        name=target.name,
        style=_STYLE_NAMES[context.style],
        sections="".join(sections),
        code=code.rstrip("\n"),
        header=header,
        indent=indent,
    )
    request, answer_start = (part.substitute(values) for part in template_parts(task))
    if frame is None:
        return request + answer_start
    return frame.wrap(request, answer_start)


def build_prompt(
    task: Task,
    target: Target,
    context: RunContext,
    count_tokens: CountTokens,
    budget: int,
    *,
    frame: ChatFrame | None = None,
) -> Success[Prompt] | Failure:
    """Build the prompt for `target` in `budget` tokens; fail when the target alone is too long.

    With a chat `frame` the prompt is in the model's chat template (see `prompts.chat`), and
    its tokens, template included, are what the budget counts.
    """
    _, indent = header_and_indent(target)
    code = target.code
    base = count_tokens(_render(task, target, context, code, [], frame=frame))
    if base > budget and target.kind == "class":
        code = outline(target.code)
        base = count_tokens(_render(task, target, context, code, [], frame=frame))
    if base > budget:
        return Failure(
            f"the {target.kind} alone needs {base} prompt tokens, more than the budget of {budget}"
        )
    # Start from everything, then drop from the end of the priority list (the farthest
    # definition first) until the sum of the pieces fits.
    headings = _headings(target, context)
    chosen = _chunks(task, target, context)
    costs = {id(c): count_tokens(c.text + "\n\n") for c in chosen}
    sections = {c.section: count_tokens(headings[c.section]) for c in chosen}

    def size(chunks: list[_Chunk]) -> int:
        """Tokens of a prompt of `chunks`: the base, the chunks and their sections' headers."""
        used = {c.section for c in chunks}
        return base + sum(costs[id(c)] for c in chunks) + sum(sections[s] for s in used)

    cut: list[str] = []
    while chosen and size(chosen) > budget:
        cut.append(chosen.pop().label)
    text = _render(task, target, context, code, chosen, frame=frame)
    tokens = count_tokens(text)
    # Pieces counted apart can tokenize a little differently joined: drop more until it fits.
    while tokens > budget and chosen:
        cut.append(chosen.pop().label)
        text = _render(task, target, context, code, chosen, frame=frame)
        tokens = count_tokens(text)
    if code != target.code:
        cut.append("method bodies of the class (outline shown)")
    fmt: Resolved = "completion" if frame is None else "chat"
    return Success(Prompt(task, text, tokens, STOPS[task], indent, tuple(cut), fmt))
