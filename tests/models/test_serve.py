"""`codegen serve`: the OpenAI-compatible API over HTTP, and the batcher that groups requests."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from codegen_bot.adapters.engines.completion import (
    Completion,
    CompletionError,
    CompletionRequest,
    CompletionResult,
)
from codegen_bot.adapters.engines.hf.model import LoadedModel
from codegen_bot.adapters.serve.batcher import Batcher, BatcherClosed
from codegen_bot.adapters.serve.server import App, ServerHandle, start_server
from tests.models.conftest import Served

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def server(loaded: LoadedModel) -> Iterator[ServerHandle]:
    """The tiny model served in this process on a free port."""
    handle = start_server(App(loaded), "127.0.0.1", 0)
    yield handle
    handle.close()


def _call(url: str, body: Any = None, method: str | None = None) -> tuple[int, dict[str, Any]]:
    data = (
        None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    )
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_health_and_models(server: ServerHandle, loaded: LoadedModel) -> None:
    status, health = _call(f"{server.url}/health")
    assert status == 200
    assert health["status"] == "ok"
    assert health["models"] == ["docs", "tests", "tiny-qwen2"]
    assert health["fingerprint"] == loaded.fingerprint
    assert health["adapters"]["docs"]["version"] == "1"

    status, models = _call(f"{server.url}/v1/models")
    assert status == 200
    entries = {m["id"]: m for m in models["data"]}
    assert entries["docs"]["parent"] == "tiny-qwen2"
    assert entries["docs"]["codegen"] == {
        "model": loaded.model_label,
        "adapter": "docs@1",
        "chat_frame": None,  # the tiny tokenizer has no chat template
        "trained_prompt": None,  # the suite's adapter was saved without a prompt record
    }
    assert entries["tiny-qwen2"]["parent"] is None
    assert entries["tiny-qwen2"]["max_model_len"] == 2048


def test_completions_follow_the_openai_shape_and_match_the_engine(
    server: ServerHandle, loaded: LoadedModel
) -> None:
    prompts = ["def add(a, b):\n", "class Cart:\n"]
    body = {"model": "tests", "prompt": prompts, "max_tokens": 6, "temperature": 0, "n": 2}
    status, answer = _call(f"{server.url}/v1/completions", body)
    assert status == 200, answer
    assert answer["object"] == "text_completion"
    assert answer["model"] == "tests"
    assert [c["index"] for c in answer["choices"]] == [0, 1, 2, 3]
    direct = loaded.complete("tests", [CompletionRequest(p, 6) for p in prompts])
    expected = [
        c.text for result in direct if not isinstance(result, CompletionError) for c in result
    ]
    texts = [c["text"] for c in answer["choices"]]
    assert texts == [expected[0], expected[0], expected[1], expected[1]]
    assert all(c["finish_reason"] == "length" for c in answer["choices"])
    assert answer["usage"]["completion_tokens"] == 24
    assert answer["usage"]["prompt_tokens"] > 0


def test_logprobs_and_stop(server: ServerHandle) -> None:
    body = {
        "model": "tiny-qwen2",
        "prompt": "x = 1\n",
        "max_tokens": 5,
        "temperature": 0,
        "logprobs": 0,
    }
    status, answer = _call(f"{server.url}/v1/completions", body)
    assert status == 200
    choice = answer["choices"][0]
    assert len(choice["logprobs"]["token_logprobs"]) == 5
    assert all(lp <= 0 for lp in choice["logprobs"]["token_logprobs"])
    stop = choice["text"][2:4]
    status, cut = _call(f"{server.url}/v1/completions", {**body, "stop": stop})
    assert status == 200
    assert cut["choices"][0]["text"] == choice["text"][: choice["text"].index(stop)]
    assert cut["choices"][0]["finish_reason"] == "stop"


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"model": "nope", "prompt": "x"}, 404, "does not exist"),
        ({"model": "docs"}, 400, "`prompt`"),
        ({"model": "docs", "prompt": [1, 2, 3]}, 400, "token ids"),
        ({"model": "docs", "prompt": "x", "stream": True}, 400, "`stream`"),
        ({"model": "docs", "prompt": "x", "max_tokens": 0}, 400, "`max_tokens`"),
        ({"model": "docs", "prompt": "x", "temperature": "hot"}, 400, "`temperature`"),
        ({"model": "docs", "prompt": "x", "n": 99}, 400, "`n`"),
        ({"model": "docs", "prompt": "x", "stop": ["a"] * 9}, 400, "`stop`"),
        ({"model": "docs", "prompt": "x " * 3000, "max_tokens": 4}, 400, "exceeds the model's"),
        (b"{not json", 400, "not JSON"),
        ([1, 2], 400, "JSON object"),
    ],
)
def test_bad_requests_get_openai_errors(
    server: ServerHandle, body: Any, status: int, words: str
) -> None:
    got, answer = _call(f"{server.url}/v1/completions", body)
    assert got == status
    assert words in answer["error"]["message"]


def test_unknown_routes_and_methods(server: ServerHandle) -> None:
    assert _call(f"{server.url}/v2/anything")[0] == 404
    assert _call(f"{server.url}/v1/completions", method="GET")[0] == 405
    assert _call(f"{server.url}/health", {"x": 1})[0] == 405


def test_concurrent_requests_are_all_answered(server: ServerHandle) -> None:
    results: dict[int, tuple[int, dict[str, Any]]] = {}

    def ask(i: int) -> None:
        body = {"model": "docs", "prompt": f"def f{i}(x):\n", "max_tokens": 4, "temperature": 0}
        results[i] = _call(f"{server.url}/v1/completions", body)

    before = _call(f"{server.url}/health")[1]["batches"]
    threads = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    after = _call(f"{server.url}/health")[1]["batches"]
    assert all(status == 200 for status, _ in results.values())
    assert after["requests"] - before["requests"] == 8
    assert 1 <= after["batches"] - before["batches"] <= 8  # fewer when requests met in the queue


def test_the_served_subprocess_answers(served: Served) -> None:
    status, health = _call(f"{served.url}/health")
    assert status == 200
    assert health["device"] == "cpu"


# --- the batcher, with a run function standing in for the model -------------------------------


def test_batcher_groups_waiting_jobs_by_adapter() -> None:
    release = threading.Event()
    calls: list[tuple[str | None, list[str]]] = []

    def run(adapter: str | None, requests: list[CompletionRequest]) -> list[CompletionResult]:
        calls.append((adapter, [r.prompt for r in requests]))
        if len(calls) == 1:
            release.wait(10)  # the first batch is "decoding" while the others queue up
        return [[Completion(f"{adapter}:{r.prompt}", "stop", 1)] for r in requests]

    batcher = Batcher(run, max_rows=8).start()
    answers: dict[str, list[CompletionResult]] = {}

    def submit(adapter: str | None, prompt: str) -> None:
        answers[prompt] = batcher.submit(adapter, [CompletionRequest(prompt, 1)])

    first = threading.Thread(target=submit, args=("docs", "p0"))
    first.start()
    while not calls:
        time.sleep(0.01)
    others = [
        threading.Thread(target=submit, args=(adapter, f"p{i}"))
        for i, adapter in enumerate(["docs", "tests", "docs", "docs"], start=1)
    ]
    for thread in others:
        thread.start()
    while batcher.pending < 4:
        time.sleep(0.01)
    release.set()
    for thread in [first, *others]:
        thread.join()
    batcher.close()

    assert calls[0] == ("docs", ["p0"])
    assert calls[1] == ("docs", ["p1", "p3", "p4"])  # the oldest job's adapter, every such job
    assert calls[2] == ("tests", ["p2"])
    assert answers["p3"][0] == [Completion("docs:p3", "stop", 1)]
    assert batcher.stats.batches == 3 and batcher.stats.largest == 3


def test_batcher_reports_a_failed_batch_to_its_jobs_and_keeps_serving() -> None:
    def run(adapter: str | None, requests: list[CompletionRequest]) -> list[CompletionResult]:
        if requests[0].prompt == "boom":
            raise RuntimeError("out of memory")
        return [[Completion("ok", "stop", 1)] for _ in requests]

    batcher = Batcher(run).start()
    with pytest.raises(RuntimeError, match="out of memory"):
        batcher.submit(None, [CompletionRequest("boom", 1)])
    assert batcher.submit(None, [CompletionRequest("fine", 1)]) == [[Completion("ok", "stop", 1)]]
    batcher.close()
    with pytest.raises(BatcherClosed):
        batcher.submit(None, [CompletionRequest("late", 1)])


def test_serve_command_errors_are_usage_errors(
    run_cli: Any, tiny_models: Any, server: ServerHandle
) -> None:
    missing = run_cli("serve", "--model", "no/such/model")
    assert missing.code == 2 and "is not a folder on this machine" in missing.err
    port = server.url.rsplit(":", 1)[1]
    busy = run_cli("serve", "--model", str(tiny_models.model), "--port", port, "--device", "cpu")
    assert busy.code == 2 and f"cannot listen on 127.0.0.1:{port}" in busy.err
    batch = run_cli("serve", "--model", str(tiny_models.model), "--max-batch", "0")
    assert batch.code == 2 and "--max-batch" in batch.err


def test_an_api_key_guards_every_route_but_health_and_health_lists_no_path(
    loaded: LoadedModel, tiny_models: Any
) -> None:
    handle = start_server(App(loaded, api_key="s3cret"), "127.0.0.1", 0)
    try:
        assert _call(f"{handle.url}/v1/models")[0] == 401
        body = {"model": "docs", "prompt": "def f():\n", "max_tokens": 2}
        assert _call(f"{handle.url}/v1/completions", body)[0] == 401
        request = urllib.request.Request(f"{handle.url}/v1/models")
        request.add_header("Authorization", "Bearer s3cret")
        with urllib.request.urlopen(request, timeout=600) as response:
            models = json.loads(response.read())
        assert {m["id"] for m in models["data"]} == {"docs", "tests", "tiny-qwen2"}
        status, health = _call(f"{handle.url}/health")
        assert status == 200 and health["status"] == "ok"
    finally:
        handle.close()
    shown = json.dumps([health, models])
    for folder in (tiny_models.model, tiny_models.adapters):
        assert str(folder) not in shown
    assert "/" not in json.dumps(health["adapters"])
