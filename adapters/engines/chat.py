"""Prompt formats: a plain completion prompt, or the same prompt in the model's chat template.

A task's template (`<task>.txt`) ends with a cue line ("# The same function, with its
docstring:") and the start of the answer (the definition's header and the opening quotes, or a
code fence). In the `completion` format the model continues that text as it is. In the `chat`
format everything up to the cue line is the user's message, the model's chat template wraps it,
and the assistant's turn begins with the same start of the answer, so the answer is parsed, cut
at the same stop strings and learned by adapters exactly as in the completion format.

A chat template is Jinja code run by the tokenizer; what codegen keeps of it is a `ChatFrame`:
the text before and after one user message (rendered once with a placeholder), plain strings
that `codegen serve` can hand to the `openai` engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

#: `auto` is `chat` when the model has a chat template, else `completion`.
PromptFormat = Literal["auto", "completion", "chat"]
Resolved = Literal["completion", "chat"]
FORMATS: tuple[PromptFormat, ...] = ("auto", "completion", "chat")
#: What a chat template is rendered with to find where the user's message goes.
PLACEHOLDER = "\x00codegen-user-message\x00"


@dataclass(frozen=True)
class ChatFrame:
    """A chat template around one user message: `head` + message + `tail` (the assistant's cue)."""

    head: str
    tail: str

    def wrap(self, message: str, answer_start: str) -> str:
        """The chat prompt holding `message`, with the assistant's turn begun by `answer_start`."""
        return self.head + message.strip() + self.tail + answer_start

    def to_dict(self) -> dict[str, str]:
        """The frame as JSON (`codegen serve` lists it with each model)."""
        return {"head": self.head, "tail": self.tail}

    @classmethod
    def from_dict(cls, data: Any) -> ChatFrame | None:
        """Read a frame back; None when `data` is not one."""
        if not isinstance(data, Mapping):
            return None
        head, tail = data.get("head"), data.get("tail")
        if not isinstance(head, str) or not isinstance(tail, str):
            return None
        return cls(head, tail)


def frame_from_rendered(rendered: str) -> ChatFrame | None:
    """The frame of a template rendered around `PLACEHOLDER`; None when it lost the placeholder."""
    head, found, tail = rendered.partition(PLACEHOLDER)
    if not found or PLACEHOLDER in tail:
        return None
    return ChatFrame(head, tail)


def resolve_format(wanted: PromptFormat, frame: ChatFrame | None) -> Resolved:
    """The format a prompt is built in: `auto` is chat exactly when the model has a template."""
    if wanted == "auto":
        return "chat" if frame is not None else "completion"
    return wanted


@dataclass(frozen=True)
class TrainedPrompt:
    """How an adapter's training prompts were built, so that inference builds the same ones.

    Saved in the adapter's metadata (`hyperparameters["prompt"]`); an engine running the adapter
    builds its prompts in this format and within this many tokens.
    """

    format: Resolved
    context_tokens: int

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON."""
        return {"format": self.format, "context_tokens": self.context_tokens}

    @classmethod
    def from_dict(cls, data: Any) -> TrainedPrompt | None:
        """Read a record back; None when `data` is not one (adapters trained before it existed)."""
        if not isinstance(data, Mapping):
            return None
        fmt, tokens = data.get("format"), data.get("context_tokens")
        if fmt not in ("completion", "chat") or not isinstance(tokens, int) or tokens < 1:
            return None
        return cls(fmt, tokens)


def chat_frame_of(tokenizer: Any) -> ChatFrame | None:
    """The frame of a transformers tokenizer's chat template; None when it has no template.

    The template is rendered by the tokenizer itself (`apply_chat_template`), around a
    placeholder message, with the assistant's turn opened.
    """
    if not getattr(tokenizer, "chat_template", None):
        return None
    try:
        rendered = tokenizer.apply_chat_template(
            [{"role": "user", "content": PLACEHOLDER}], tokenize=False, add_generation_prompt=True
        )
    except (ValueError, TypeError, KeyError) as error:  # a template that cannot take one message
        raise ValueError(f"the model's chat template cannot be rendered: {error}") from error
    return frame_from_rendered(rendered) if isinstance(rendered, str) else None


def trained_prompt_of(hyperparameters: Mapping[str, Any]) -> TrainedPrompt | None:
    """The prompt record in an adapter's metadata (`hyperparameters["prompt"]`), if any."""
    return TrainedPrompt.from_dict(hyperparameters.get("prompt"))
