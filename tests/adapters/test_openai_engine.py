"""The openai engine against a scripted OpenAI-compatible server on 127.0.0.1 (no model needed).

The server here stands in for vLLM or any other OpenAI-compatible server: it answers what each
test scripts, and records what it was sent, so retries, batching, bounded concurrency and the
reading of answers are checked over real HTTP. (End to end against `codegen serve` and a real
model: tests/models/test_review_engines.py.)
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from codegen_bot.adapters.engines.base import EngineError
from codegen_bot.adapters.engines.completion import CompletionError, CompletionRequest, Sampling
from codegen_bot.adapters.engines.openai.client import ClientConfig, OpenAIClient
from codegen_bot.adapters.engines.openai.engine import OpenAICompleter

Reply = tuple[int, Any]

VLLM_MODELS = {
    "object": "list",
    "data": [
        {"id": "Qwen/Qwen2.5-Coder-1.5B", "object": "model", "parent": None, "max_model_len": 4096},
        {"id": "docs-lora", "object": "model", "parent": "Qwen/Qwen2.5-Coder-1.5B", "root": "/a"},
    ],
}


class Scripted:
    """A server whose answers a test decides; it records every request body."""

    def __init__(self, answer: Callable[[str, dict[str, Any] | None], Reply]) -> None:
        self.answer = answer
        self.bodies: list[dict[str, Any]] = []
        self.authorizations: list[str] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.lock = threading.Lock()
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                if self.headers.get("Authorization"):
                    scripted.authorizations.append(self.headers["Authorization"])
                with scripted.lock:
                    scripted.in_flight += 1
                    scripted.most_in_flight = max(scripted.most_in_flight, scripted.in_flight)
                    if body is not None:
                        scripted.bodies.append(body)
                try:
                    status, payload = scripted.answer(self.path, body)
                finally:
                    with scripted.lock:
                        scripted.in_flight -= 1
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _reply

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def scripted() -> Iterator[Callable[..., Scripted]]:
    servers: list[Scripted] = []

    def make(answer: Callable[[str, dict[str, Any] | None], Reply]) -> Scripted:
        servers.append(Scripted(answer))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def _echo(path: str, body: dict[str, Any] | None) -> Reply:
    """A well-behaved server: models as vLLM lists them; each choice says which prompt it is."""
    if path == "/v1/models":
        return 200, VLLM_MODELS
    assert body is not None
    choices = [
        {"index": i * body["n"] + j, "text": f"<{p}#{j}>", "finish_reason": "stop"}
        for i, p in enumerate(body["prompt"])
        for j in range(body["n"])
    ]
    return 200, {"object": "text_completion", "choices": choices}


def _completer(url: str, **config: Any) -> OpenAICompleter:
    settings = {"retries": 2, "backoff_s": 0.01, "timeout_s": 5.0, **config}
    return OpenAICompleter(OpenAIClient(ClientConfig(url, **settings)))


def test_vllm_names_map_to_tasks_and_identity(scripted: Callable[..., Scripted]) -> None:
    server = scripted(_echo)
    completer = OpenAICompleter(OpenAIClient(ClientConfig(server.url)), {"docs": "docs-lora"})
    assert completer.summary.model == server.url  # nothing asked before the first use
    assert server.bodies == []
    docs = completer.identity("docs")
    assert (docs.engine, docs.model, docs.adapter) == (
        "openai",
        "Qwen/Qwen2.5-Coder-1.5B",
        "docs-lora",
    )
    tests = completer.identity("tests")  # no adapter named for tests: the only base model
    assert (tests.model, tests.adapter) == ("Qwen/Qwen2.5-Coder-1.5B", None)
    assert completer.max_context == 4096
    assert completer.summary.adapter == "docs-lora"


def test_prompts_are_batched_and_choices_mapped_back(scripted: Callable[..., Scripted]) -> None:
    server = scripted(_echo)
    completer = _completer(server.url, batch_prompts=2)
    sampled = Sampling(temperature=0.7)
    requests = [
        CompletionRequest("a", 8, ('"""',)),
        CompletionRequest("b", 8, ('"""',)),
        CompletionRequest("c", 8, ('"""',)),
        CompletionRequest("a", 8, ('"""',), 2, sampled),
    ]
    results = completer.complete("tests", requests)
    texts = [[c.text for c in r] for r in results if not isinstance(r, CompletionError)]
    assert texts == [["<a#0>"], ["<b#0>"], ["<c#0>"], ["<a#0>", "<a#1>"]]
    sent = sorted((b["prompt"], b["n"], b["temperature"]) for b in server.bodies)
    assert sent == [(["a"], 2, 0.7), (["a", "b"], 1, 0.0), (["c"], 1, 0.0)]
    assert all(
        b["model"] == "Qwen/Qwen2.5-Coder-1.5B" and b["stop"] == ['"""'] for b in server.bodies
    )
    assert [b.get("logprobs") for b in server.bodies if b["n"] == 2] == [0]


def test_server_errors_are_retried_then_succeed(scripted: Callable[..., Scripted]) -> None:
    failures = {"left": 2}

    def flaky(path: str, body: dict[str, Any] | None) -> Reply:
        if path == "/v1/completions" and failures["left"]:
            failures["left"] -= 1
            return 503, {"error": {"message": "warming up"}}
        return _echo(path, body)

    server = scripted(flaky)
    [result] = _completer(server.url).complete("tests", [CompletionRequest("a", 4)])
    assert not isinstance(result, CompletionError)
    assert len(server.bodies) == 3


def test_client_errors_are_not_retried_and_become_rejections(
    scripted: Callable[..., Scripted],
) -> None:
    def refuse(path: str, body: dict[str, Any] | None) -> Reply:
        if path == "/v1/models":
            return 200, VLLM_MODELS
        return 400, {"error": {"message": "prompt is too long"}}

    server = scripted(refuse)
    [result] = _completer(server.url).complete("tests", [CompletionRequest("a", 4)])
    assert isinstance(result, CompletionError)
    assert result.reason == "HTTP 400: prompt is too long"
    assert len(server.bodies) == 1


def test_timeouts_are_retried_and_reported(scripted: Callable[..., Scripted]) -> None:
    def slow(path: str, body: dict[str, Any] | None) -> Reply:
        if path == "/v1/completions":
            time.sleep(0.5)
        return _echo(path, body)

    server = scripted(slow)
    [result] = _completer(server.url, timeout_s=0.1, retries=1).complete(
        "tests", [CompletionRequest("a", 4)]
    )
    assert isinstance(result, CompletionError)
    assert "failed 2 times" in result.reason and "timed out" in result.reason


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({"choices": []}, "wrong number of choices"),
        ({"choices": [{"index": 0}]}, "a choice without text"),
        (
            {"choices": [{"index": 0, "text": "x", "finish_reason": "abort"}]},
            "finish_reason 'abort'",
        ),
        ({"choices": [{"index": 7, "text": "x"}]}, "choice index 7"),
        (b"<html>bad gateway</html>", "not JSON"),
    ],
)
def test_malformed_answers_become_rejections(
    scripted: Callable[..., Scripted], payload: Any, words: str
) -> None:
    server = scripted(
        lambda path, body: (200, VLLM_MODELS) if path == "/v1/models" else (200, payload)
    )
    [result] = _completer(server.url).complete("tests", [CompletionRequest("a", 4)])
    assert isinstance(result, CompletionError)
    assert words in result.reason


def test_concurrency_is_bounded(scripted: Callable[..., Scripted]) -> None:
    def slow(path: str, body: dict[str, Any] | None) -> Reply:
        time.sleep(0.05)
        return _echo(path, body)

    server = scripted(slow)
    requests = [CompletionRequest(f"p{i}", 4) for i in range(12)]
    results = _completer(server.url, batch_prompts=1, max_concurrency=3).complete("tests", requests)
    assert len(results) == 12 and not any(isinstance(r, CompletionError) for r in results)
    assert len(server.bodies) == 12
    assert 1 < server.most_in_flight <= 3


def test_no_server_is_an_engine_error() -> None:
    completer = _completer("http://127.0.0.1:9", retries=1)
    with pytest.raises(EngineError, match=r"cannot list the models of http://127\.0\.0\.1:9"):
        completer.identity("docs")


def test_a_server_without_a_model_for_the_task_is_an_engine_error(
    scripted: Callable[..., Scripted],
) -> None:
    two_bases = {"data": [{"id": "a"}, {"id": "b"}]}
    server = scripted(lambda path, body: (200, two_bases))
    with pytest.raises(EngineError, match="no model named 'docs'"):
        _completer(server.url).identity("docs")
    named = OpenAICompleter(OpenAIClient(ClientConfig(server.url)), {"docs": "c"})
    with pytest.raises(EngineError, match="no model 'c' for docs"):
        named.identity("docs")


def test_client_sends_the_bearer_token_and_accepts_a_v1_url(
    scripted: Callable[..., Scripted],
) -> None:
    server = scripted(_echo)
    client = OpenAIClient(ClientConfig(server.url + "/v1/", api_key="secret"))
    assert client.url("/v1/models") == server.url + "/v1/models"
    assert client.get("/v1/models") == VLLM_MODELS
    assert server.authorizations == ["Bearer secret"]
