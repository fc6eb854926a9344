"""The HTTP edge of `codegen serve`: stdlib `ThreadingHTTPServer`, JSON in and out.

Routes: `GET /health`, `GET /v1/models`, `POST /v1/completions`. Each request runs in its own
thread and waits on the batcher; the model is only ever touched by the batcher's worker.
"""

from __future__ import annotations

import hmac
import json
import sys
import threading
import time
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

from codegen_bot.adapters.engines.base import EngineIdentity, Task
from codegen_bot.adapters.engines.hf.model import LoadedModel
from codegen_bot.adapters.serve.api import (
    ApiError,
    ServedModel,
    completion_body,
    models_body,
    parse_request,
)
from codegen_bot.adapters.serve.batcher import Batcher, BatcherClosed

MAX_BODY_BYTES = 16 << 20


def served_models(model: LoadedModel, created: int) -> list[ServedModel]:
    """The base model under its own name, and one name per adapter: its task (`docs`, `tests`)."""
    base_id = model.name if model.name not in model.adapters else f"{model.name}-base"
    served = [
        ServedModel(
            base_id,
            None,
            EngineIdentity("hf", model.model_label, None),
            model.name,
            None,
            model.max_context,
            created,
            model.chat_frame,
        )
    ]
    for task, ref in model.adapters.items():
        served.append(
            ServedModel(
                task,
                task,
                model.identity(cast(Task, task)),
                ref.label,
                base_id,
                model.max_context,
                created,
                model.chat_frame,
                model.trained_prompt(task),
            )
        )
    return served


def without_paths(described: dict[str, Any]) -> dict[str, Any]:
    """A model's description with every host path left out (no caller needs the runner's layout)."""
    adapters = {
        task: {key: value for key, value in adapter.items() if key != "path"}
        for task, adapter in described.get("adapters", {}).items()
    }
    return {
        **{key: value for key, value in described.items() if key != "path"},
        "adapters": adapters,
    }


class App:
    """The served model, its names and its batcher; answers requests as (status, JSON body).

    With an `api_key`, every route but `/health` wants `Authorization: Bearer <api_key>`.
    """

    def __init__(
        self, model: LoadedModel, max_rows: int | None = None, api_key: str | None = None
    ) -> None:
        self.model = model
        self._api_key = api_key
        self.started = time.time()
        self.models = {m.id: m for m in served_models(model, int(self.started))}
        self.batcher = Batcher(model.complete, max_rows or 2 * model.config.max_batch).start()

    def health(self) -> dict[str, Any]:
        """Liveness and what is loaded: model, adapters, queue, batches so far."""
        return {
            "status": "ok",
            "uptime_s": round(time.time() - self.started, 3),
            "models": sorted(self.models),
            "queue": self.batcher.pending,
            "batches": asdict(self.batcher.stats),
            **without_paths(self.model.describe()),
        }

    def authorized(self, authorization: str | None) -> bool:
        """Whether an `Authorization` header carries the key (always, when there is no key)."""
        if self._api_key is None:
            return True
        given = (authorization or "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), self._api_key.encode())

    def handle(
        self, method: str, path: str, body: bytes, authorization: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Route one request; `authorization` is its `Authorization` header."""
        path = path.split("?", 1)[0].rstrip("/") or "/"
        if path != "/health" and not self.authorized(authorization):
            return _error(ApiError(401, "a valid API key is required", code="invalid_api_key"))
        routes = {"/health": "GET", "/v1/models": "GET", "/v1/completions": "POST"}
        if path not in routes:
            return _error(ApiError(404, f"no route {path}", code="not_found"))
        if method != routes[path]:
            return _error(ApiError(405, f"{path} takes {routes[path]}", code="method_not_allowed"))
        if path == "/health":
            return 200, self.health()
        if path == "/v1/models":
            return 200, models_body(list(self.models.values()))
        try:
            data = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            return _error(ApiError(400, f"the body is not JSON: {error}"))
        parsed = parse_request(data, self.models)
        if isinstance(parsed, ApiError):
            return _error(parsed)
        try:
            results = self.batcher.submit(parsed.model.adapter, list(parsed.requests))
        except BatcherClosed as error:
            return _error(ApiError(503, str(error), type="server_error"))
        except (
            Exception
        ) as error:  # the request's outermost boundary: a 500 with the reason, server lives on
            return _error(ApiError(500, f"{type(error).__name__}: {error}", type="server_error"))
        answer = completion_body(parsed, results, int(time.time()))
        return _error(answer) if isinstance(answer, ApiError) else (200, answer)

    def close(self) -> None:
        """Stop the batcher (waiting requests get 503)."""
        self.batcher.close()


def _error(error: ApiError) -> tuple[int, dict[str, Any]]:
    return error.status, error.to_dict()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    app: App
    verbose: bool


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "codegen-serve"

    def _respond(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _serve(self, method: str) -> None:
        length = self.headers.get("Content-Length")
        body = b""
        if length is not None:
            if not length.isdigit() or int(length) > MAX_BODY_BYTES:
                self.close_connection = True
                self._respond(
                    *_error(ApiError(413, f"the body must be at most {MAX_BODY_BYTES} bytes"))
                )
                return
            body = self.rfile.read(int(length))
        elif method == "POST":
            self.close_connection = True
            self._respond(*_error(ApiError(411, "Content-Length is required")))
            return
        authorization = self.headers.get("Authorization")
        self._respond(*self.server.app.handle(method, self.path, body, authorization))

    def do_GET(self) -> None:
        """Answer a GET."""
        self._serve("GET")

    def do_POST(self) -> None:
        """Answer a POST."""
        self._serve("POST")

    def log_message(self, format: str, *args: Any) -> None:
        """One line per request on stderr when verbose; nothing otherwise."""
        if self.server.verbose:
            print(
                f"codegen serve: {self.address_string()} {format % args}",
                file=sys.stderr,
                flush=True,
            )


class ServerHandle:
    """A running server: its URL, and how to stop it."""

    def __init__(self, server: _Server, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        host, port = cast("tuple[str, int]", server.server_address[:2])
        self.url = f"http://{host}:{port}"

    def close(self) -> None:
        """Stop accepting, finish the batch in flight, release the port."""
        self._server.shutdown()
        self._server.app.close()
        self._server.server_close()
        self._thread.join(timeout=10)


def start_server(
    app: App, host: str = "127.0.0.1", port: int = 8000, verbose: bool = False
) -> ServerHandle:
    """Listen on `host:port` (port 0: any free port) and serve in a background thread."""
    server = _Server((host, port), _Handler)
    server.app = app
    server.verbose = verbose
    thread = threading.Thread(
        target=server.serve_forever, args=(0.1,), name="codegen-serve", daemon=True
    )
    thread.start()
    return ServerHandle(server, thread)
