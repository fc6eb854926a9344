"""A small JSON-over-HTTP client for OpenAI-compatible servers: timeouts and retries, stdlib only.

Retried: connection failures, timeouts, 408, 409, 429 and 5xx answers, with exponential backoff.
Not retried: other 4xx answers (the request itself is wrong; sending it again changes nothing).
A completion request has no side effect on the server, so sending it twice is harmless.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_RETRY_STATUSES = {408, 409, 429}


@dataclass(frozen=True)
class ClientConfig:
    """Where the server is and how patiently to talk to it."""

    #: `http://host:port` or `http://host:port/v1`.
    base_url: str
    api_key: str | None = None
    #: Seconds for one HTTP exchange; a batch of long completions can take minutes on a busy server.
    timeout_s: float = 300.0
    retries: int = 3
    backoff_s: float = 0.5
    #: Requests in flight at once, so one run cannot flood a server that others share.
    max_concurrency: int = 4
    #: Prompts sent in one request (the server batches them together).
    batch_prompts: int = 16


class ApiCallError(Exception):
    """A call failed for good: after retries, or with an answer that retrying cannot change."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def _error_message(error: urllib.error.HTTPError) -> str:
    """The server's own explanation from an error body, OpenAI-shaped or not."""
    try:
        raw = error.read()
    except OSError:
        raw = b""
    try:
        data = json.loads(raw)
        message = data.get("error", {}).get("message") if isinstance(data, dict) else None
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        message = None
    text = message or raw.decode("utf-8", errors="replace").strip()[:300] or error.reason
    return f"HTTP {error.code}: {text}"


class OpenAIClient:
    """GET and POST JSON to one server."""

    def __init__(self, config: ClientConfig, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self._sleep = sleep

    def url(self, path: str) -> str:
        """The full URL of an API path such as `/v1/models`."""
        base = self.config.base_url.rstrip("/").removesuffix("/v1")
        return f"{base}{path}"

    def get(self, path: str) -> Any:
        """GET `path` and return its JSON."""
        return self._call("GET", path, None)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        """POST `body` as JSON to `path` and return the answer's JSON."""
        return self._call("POST", path, json.dumps(body).encode("utf-8"))

    def _call(self, method: str, path: str, data: bytes | None) -> Any:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        last = "no attempt made"
        for attempt in range(self.config.retries + 1):
            if attempt:
                self._sleep(self.config.backoff_s * 2 ** (attempt - 1))
            request = urllib.request.Request(
                self.url(path), data=data, headers=headers, method=method
            )
            try:
                with urllib.request.urlopen(request, timeout=self.config.timeout_s) as response:
                    raw = response.read()
            except urllib.error.HTTPError as error:
                last = _error_message(error)
                if error.code in _RETRY_STATUSES or error.code >= 500:
                    continue
                raise ApiCallError(last, error.code) from error
            except (
                urllib.error.URLError,
                TimeoutError,
                ConnectionError,
                http.client.HTTPException,
            ) as error:
                last = str(getattr(error, "reason", None) or error) or type(error).__name__
                continue
            try:
                return json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                raise ApiCallError(f"the answer to {method} {path} is not JSON: {error}") from error
        tries = self.config.retries + 1
        raise ApiCallError(
            f"{method} {self.url(path)} failed {tries} time{'s' * (tries > 1)}: {last}"
        )
