"""Prompts per task: templates in `<task>.txt`, filled with context that fits a token budget.

May import adapters/engines (task and target types) and refactor/.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from string import Template

from codegen_bot.adapters.engines.base import Task


@cache
def template(task: Task) -> Template:
    """The prompt template of `task`, read from this package's `<task>.txt`."""
    text = resources.files(__package__).joinpath(f"{task}.txt").read_text(encoding="utf-8")
    return Template(text)


@cache
def template_parts(task: Task) -> tuple[Template, Template]:
    """`task`'s template as (request, answer start): split after its last `# ` cue line.

    The request is what a chat format puts in the user's message; the answer start (a header
    and opening quotes, or a code fence) begins the model's turn in either format.
    """
    text = template(task).template
    cue = text.rfind("\n# ") + 1
    end = text.index("\n", cue) + 1
    return Template(text[:end]), Template(text[end:])
