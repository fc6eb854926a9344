"""Read a model's answer: the docstring or the code it wrote, or why the answer is unusable.

Nothing is guessed: an answer that is empty, does not parse or lacks what the task asked for is
rejected with its reason (the report shows it). Two cuts and one addition are made, each
mechanical: a test module cut off at the token budget keeps the top-level statements the model
finished before the one it was writing (each test stands alone, and the gates run them); a
docstring cut off keeps its summary paragraph if a blank line ended it; and a test module that
uses names of the target's file without importing them gets that import (`target_imports`).
`docstring_completion` is the inverse for training: the answer a model should learn to write.
"""

from __future__ import annotations

import ast
import keyword
import re
from textwrap import dedent

from codegen_bot.adapters.engines.base import Task
from codegen_bot.adapters.engines.completion import Completion
from codegen_bot.adapters.prompts.target_imports import with_target_imports
from codegen_bot.refactor.docstrings.examples import has_examples
from codegen_bot.refactor.docstrings.words import stem, stems
from codegen_bot.refactor.results import Failure, Success
from codegen_bot.refactor.rouge import lcs_length, tokens
from codegen_bot.refactor.targets import Target

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _leading_tabs_to_spaces(line: str) -> str:
    stripped = line.lstrip(" \t")
    return line[: len(line) - len(stripped)].replace("\t", "    ") + stripped


def parse_docstring(completion: Completion) -> Success[str] | Failure:
    """The docstring's content from an answer that continues `\"\"\"` (summary first, dedented).

    Cut off at the token budget, only a summary paragraph that a blank line ended is kept.
    """
    text = completion.text
    if completion.finish_reason == "length":
        # Cut off: the summary stands if a blank line ended it before the cut.
        summary = re.match(r"\s*\S.*?\n[ \t]*\n", text, flags=re.DOTALL)
        if summary is None:
            return Failure(
                f"the model did not close the docstring within {completion.tokens} tokens"
            )
        text = summary.group(0)
    if _CONTROL.search(text):
        return Failure("the docstring holds control characters")
    lines = [_leading_tabs_to_spaces(line.rstrip()) for line in text.split("\n")]
    first, rest = lines[0].strip(), dedent("\n".join(lines[1:])).split("\n")
    body = [first, *rest] if first else rest
    while body and not body[0].strip():
        body.pop(0)
    while body and not body[-1].strip():
        body.pop()
    if not body:
        return Failure("the model wrote an empty docstring")
    if not any(ch.isalpha() for ch in body[0]):
        return Failure(f"the docstring's first line says nothing: {body[0]!r}")
    body[0] = body[0].strip()
    return Success("\n".join(body))


def docstring_completion(text: str, indent: str, quotes: str = '"""') -> str:
    """What a model should write after the opening quotes so that `parse_docstring` gives `text`."""
    lines = text.strip("\n").split("\n")
    rest = [f"{indent}{line}" if line.strip() else "" for line in lines[1:]]
    closing = f"\n{indent}{quotes}" if rest else quotes
    return "\n".join([lines[0], *rest]) + closing


def _code(completion: Completion) -> Success[tuple[str, ast.Module]] | Failure:
    if completion.finish_reason == "length":
        return Failure(f"the model did not finish the code within {completion.tokens} tokens")
    return _parsed(completion.text)


def _parsed(text: str) -> Success[tuple[str, ast.Module]] | Failure:
    code = dedent(text).strip("\n")
    if not code.strip():
        return Failure("the model wrote no code")
    try:
        tree = ast.parse(code)
    except SyntaxError as error:
        return Failure(f"the code does not parse: {error.msg} (line {error.lineno})")
    return Success((code + "\n", tree))


def _statement_starts(lines: list[str]) -> list[int]:
    """Lines that begin a top-level statement (a decorated definition at its first decorator)."""
    starts: list[int] = []
    previous = ""
    for index, line in enumerate(lines):
        if not line or line[0].isspace() or line.startswith(("#", ")", "]", "}")):
            continue
        if not previous.startswith("@"):
            starts.append(index)
        previous = line
    return starts


def _has_test(tree: ast.Module) -> bool:
    return any(
        (isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"))
        or (isinstance(node, ast.ClassDef) and node.name.startswith("Test"))
        for node in tree.body
    )


def _finished_part(completion: Completion) -> Success[tuple[str, ast.Module]] | Failure:
    """The top-level statements of a cut-off module before the one being written, if any test."""
    lines = dedent(completion.text).strip("\n").split("\n")
    for start in reversed(_statement_starts(lines)[1:]):
        parsed = _parsed("\n".join(lines[:start]))
        if isinstance(parsed, Success) and _has_test(parsed.value[1]):
            return parsed
    return Failure(
        f"the model did not finish the code within {completion.tokens} tokens, "
        "and no test was complete before the cut"
    )


def parse_tests(completion: Completion) -> Success[str] | Failure:
    """A test module: Python that parses and defines at least one test.

    Cut off at the token budget, it keeps what came before the unfinished last statement.
    """
    if completion.finish_reason == "length":
        parsed = _finished_part(completion)
    else:
        parsed = _parsed(completion.text)
    if isinstance(parsed, Failure):
        return parsed
    code, tree = parsed.value
    if not _has_test(tree):
        return Failure("the code defines no test (no top-level `test_*` function or `Test*` class)")
    return Success(code)


def parse_refactor(completion: Completion, target: Target) -> Success[str] | Failure:
    """The new source of the definition: Python that parses and defines `target`'s name."""
    parsed = _code(completion)
    if isinstance(parsed, Failure):
        return parsed
    code, tree = parsed.value
    kinds = ast.ClassDef if target.kind == "class" else (ast.FunctionDef, ast.AsyncFunctionDef)
    if not any(isinstance(node, kinds) and node.name == target.name for node in tree.body):
        return Failure(f"the code does not define {target.kind} `{target.name}`")
    return Success(code)


#: A summary of this many words or more is compared with the prompt's lines.
COPY_WORDS = 4
#: Copied: the longest common sequence of normalised words covers this share of both, …
COPY_SHARE = 0.6
#: … and holds at least this many words.
COPY_COMMON = 3
# Grammar that a paraphrase changes freely ("for a locale" → "for the specified locale").
_GRAMMAR = frozenset(
    """
    a an the of to for in into on onto by with at as from and or is are be been it its this
    that these those all any each every some specified given provided passed current
    """.split()
)


def _normalised(words: list[str], own: set[str]) -> list[str]:
    """Stems of the words, grammar and the target's own code words left out."""
    kept = (stem(word) for word in words if word not in _GRAMMAR)
    return [word for word in kept if word not in own]


def copied_from_prompt(docstring: str, prompt: str, own_code: str = "") -> bool:
    """Whether the docstring's summary repeats a line of the prompt (not of the target's code).

    A small model shown another definition's docstring as an example often answers with it, or
    with its words reworded ("Returns the thousands separator for the specified locale." for
    "Return the thousands separator for a locale, default to comma."); such an answer may pass
    every gate and still describe another function. Words are compared normalised: lower case,
    stemmed ("returns" is "return"), grammar dropped, and the target's own code words dropped
    too, so that a summary and a neighbour's line that both name what the target itself uses
    (a helper it calls, its parameters) do not count as a copy. Repeating: the longest common
    sequence of those words has at least `COPY_COMMON` words and covers at least `COPY_SHARE`
    of the summary and of the line.
    """
    raw = tokens(docstring.split("\n", 1)[0])
    if len(raw) < COPY_WORDS:
        return False
    own = stems(w for w in re.findall(r"[A-Za-z_]\w*", own_code) if not keyword.iskeyword(w))
    summary = _normalised(raw, own)
    own_lines = set(own_code.splitlines())
    for line in prompt.splitlines():
        if line in own_lines:
            continue
        words = tokens(line)
        if len(words) < COPY_WORDS:
            continue
        normalised = _normalised(words, own)
        common = lcs_length(summary, normalised)
        if (
            common >= COPY_COMMON
            and common >= COPY_SHARE * len(summary)
            and common >= COPY_SHARE * len(normalised)
        ):
            return True
    return False


def parse_answer(
    task: Task, completion: Completion, target: Target, prompt: str = ""
) -> Success[str] | Failure:
    """The usable text of an answer for `task`, or why there is none.

    With the `prompt` it answered, a docstring whose summary is copied from it is refused; so
    is one with doctest examples.
    """
    if task == "docs":
        parsed = parse_docstring(completion)
        if isinstance(parsed, Failure):
            return parsed
        if prompt and copied_from_prompt(parsed.value, prompt, target.code):
            return Failure("the summary repeats a line of the prompt (another definition's)")
        if has_examples(parsed.value):
            # An example's output is a claim about the code that no gate runs.
            return Failure("the docstring holds doctest examples, whose outputs nobody has run")
        return parsed
    if task == "tests":
        parsed = parse_tests(completion)
        if isinstance(parsed, Failure):
            return parsed
        return Success(with_target_imports(parsed.value, target))
    return parse_refactor(completion, target)
