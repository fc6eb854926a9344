"""The OpenAI completions API, sans I/O: check a request's JSON, shape the answer's JSON.

Follows the legacy `/v1/completions` endpoint as OpenAI and vLLM serve it: `prompt` a string or a
list of strings, `n` choices per prompt (choice `i * n + j` is prompt `i`'s `j`-th), `stop` up to
a few strings that end a choice (not included in its text), `finish_reason` "stop" or "length".
Errors are `{"error": {"message", "type", "param", "code"}}` with a 4xx status.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from codegen_bot.adapters.engines.base import EngineIdentity
from codegen_bot.adapters.engines.chat import ChatFrame, TrainedPrompt
from codegen_bot.adapters.engines.completion import (
    Completion,
    CompletionError,
    CompletionRequest,
    CompletionResult,
    Sampling,
)

MAX_PROMPTS = 256
MAX_CHOICES = 16
MAX_STOPS = 8
DEFAULT_MAX_TOKENS = 16  # OpenAI's default; codegen's engines always say how many they want


@dataclass(frozen=True)
class ServedModel:
    """One model name the server answers to: the base model, or the base with one adapter."""

    id: str
    adapter: str | None
    identity: EngineIdentity
    root: str
    parent: str | None
    max_model_len: int | None
    created: int
    #: The model's chat template around one message, for clients that build chat prompts.
    chat_frame: ChatFrame | None = None
    #: How the adapter was prompted in training, so that clients build the same prompts.
    trained_prompt: TrainedPrompt | None = None

    def to_dict(self) -> dict[str, Any]:
        """The `/v1/models` entry: vLLM's shape, plus codegen's identity and prompt format."""
        return {
            "id": self.id,
            "object": "model",
            "created": self.created,
            "owned_by": "codegen",
            "root": self.root,
            "parent": self.parent,
            "max_model_len": self.max_model_len,
            "codegen": {
                "model": self.identity.model,
                "adapter": self.identity.adapter,
                "chat_frame": self.chat_frame.to_dict() if self.chat_frame else None,
                "trained_prompt": self.trained_prompt.to_dict() if self.trained_prompt else None,
            },
        }


@dataclass(frozen=True)
class ApiError:
    """A request the server refuses, with the HTTP status and OpenAI's error fields."""

    status: int
    message: str
    type: str = "invalid_request_error"
    param: str | None = None
    code: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The error body."""
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }


@dataclass(frozen=True)
class ParsedRequest:
    """A checked completions request: which served model, and one `CompletionRequest` per prompt."""

    model: ServedModel
    requests: tuple[CompletionRequest, ...]
    logprobs: bool


def models_body(models: Sequence[ServedModel]) -> dict[str, Any]:
    """The `/v1/models` answer."""
    return {"object": "list", "data": [m.to_dict() for m in models]}


def _number(
    body: Mapping[str, Any], key: str, default: float, low: float, high: float
) -> float | ApiError:
    value = body.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        return ApiError(
            400, f"`{key}` must be a number from {low} to {high}, not {value!r}", param=key
        )
    return float(value)


def _integer(
    body: Mapping[str, Any], key: str, default: int, low: int, high: int
) -> int | ApiError:
    value = body.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return ApiError(
            400, f"`{key}` must be an integer from {low} to {high}, not {value!r}", param=key
        )
    return value


def _prompts(value: Any) -> list[str] | ApiError:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(p, str) for p in value):
        if len(value) > MAX_PROMPTS:
            return ApiError(400, f"at most {MAX_PROMPTS} prompts per request", param="prompt")
        return list(value)
    if isinstance(value, list) and value and all(isinstance(p, int | list) for p in value):
        return ApiError(400, "prompts as token ids are not supported; send text", param="prompt")
    return ApiError(400, "`prompt` must be a string or a non-empty list of strings", param="prompt")


def _stops(value: Any) -> tuple[str, ...] | ApiError:
    if value is None:
        return ()
    stops = [value] if isinstance(value, str) else value
    if (
        not isinstance(stops, list)
        or not all(isinstance(s, str) and s for s in stops)
        or len(stops) > MAX_STOPS
    ):
        return ApiError(
            400, f"`stop` must be a non-empty string or up to {MAX_STOPS} of them", param="stop"
        )
    return tuple(stops)


def parse_request(body: Any, models: Mapping[str, ServedModel]) -> ParsedRequest | ApiError:
    """Check a `/v1/completions` body against what this server offers."""
    if not isinstance(body, dict):
        return ApiError(400, "the body must be a JSON object")
    for key in ("stream", "echo"):
        if body.get(key):
            return ApiError(400, f"`{key}` is not supported by codegen serve", param=key)
    if body.get("suffix"):
        return ApiError(400, "`suffix` is not supported by codegen serve", param="suffix")
    name = body.get("model")
    if not isinstance(name, str) or name not in models:
        offered = ", ".join(sorted(models))
        return ApiError(
            404,
            f"the model {name!r} does not exist (models: {offered})",
            param="model",
            code="model_not_found",
        )
    model = models[name]
    prompts = _prompts(body.get("prompt"))
    if isinstance(prompts, ApiError):
        return prompts
    max_tokens = _integer(body, "max_tokens", DEFAULT_MAX_TOKENS, 1, model.max_model_len or 1 << 20)
    if isinstance(max_tokens, ApiError):
        return max_tokens
    n = _integer(body, "n", 1, 1, MAX_CHOICES)
    if isinstance(n, ApiError):
        return n
    temperature = _number(body, "temperature", 1.0, 0.0, 2.0)
    if isinstance(temperature, ApiError):
        return temperature
    top_p = _number(body, "top_p", 1.0, 0.0, 1.0)
    if isinstance(top_p, ApiError):
        return top_p
    if top_p == 0.0:
        return ApiError(400, "`top_p` must be above 0", param="top_p")
    stop = _stops(body.get("stop"))
    if isinstance(stop, ApiError):
        return stop
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        return ApiError(400, f"`seed` must be an integer, not {seed!r}", param="seed")
    sampling = Sampling(temperature=temperature, top_p=top_p, seed=seed)
    requests = tuple(CompletionRequest(p, max_tokens, stop, n, sampling) for p in prompts)
    return ParsedRequest(model, requests, body.get("logprobs") is not None)


def _choice(index: int, completion: Completion, logprobs: bool) -> dict[str, Any]:
    return {
        "index": index,
        "text": completion.text,
        "finish_reason": completion.finish_reason,
        "logprobs": {
            "tokens": None,
            "token_logprobs": list(completion.token_logprobs),
            "top_logprobs": None,
            "text_offset": None,
        }
        if logprobs
        else None,
    }


def completion_body(
    parsed: ParsedRequest, results: Sequence[CompletionResult], created: int
) -> dict[str, Any] | ApiError:
    """The `/v1/completions` answer, or the first request's error when one could not be decoded."""
    choices: list[dict[str, Any]] = []
    for i, (request, result) in enumerate(zip(parsed.requests, results, strict=True)):
        if isinstance(result, CompletionError):
            return ApiError(400, f"prompt {i}: {result.reason}", param="prompt")
        if len(result) != request.n:
            return ApiError(
                500,
                f"prompt {i}: {len(result)} completions instead of {request.n}",
                type="server_error",
            )
        choices.extend(_choice(i * request.n + j, c, parsed.logprobs) for j, c in enumerate(result))
    answered = [r for r in results if not isinstance(r, CompletionError)]
    completion_tokens = sum(c.tokens for r in answered for c in r)
    prompt_tokens = sum(r[0].prompt_tokens for r in answered if r)
    identity = parsed.model.identity
    return {
        "id": f"cmpl-{uuid.uuid4().hex}",
        "object": "text_completion",
        "created": created,
        "model": parsed.model.id,
        "system_fingerprint": identity.describe(),
        "choices": choices,
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
