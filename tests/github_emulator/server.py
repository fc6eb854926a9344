"""A real HTTP server on 127.0.0.1 speaking GitHub's REST API (the bot's part of it) and its faults.

Every exchange is logged (request and response, the token left out) for the conformance test;
faults are injected by request index or by method and path: secondary rate limits with
`retry-after`, primary ones with `x-ratelimit-reset`, 502s, connections reset, slow answers. A
502 or reset can strike *after* the request was carried out, as on the real GitHub, so a lost
answer does not mean a lost write.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit

from tests.github_emulator import git_routes, graphql
from tests.github_emulator.routes import ROUTES, Request, Response, error
from tests.github_emulator.state import State

FaultKind = Literal[
    "rate_limit",
    "rate_limit_429",
    "primary_rate_limit",
    "secondary_no_header",
    "bad_gateway",
    "reset",
    "slow",
    "graphql_rate_limited",
    "forbidden",
]
RESET_EPOCH = 1_900_000_000  # x-ratelimit-reset the emulator announces


@dataclass
class Fault:
    """One injected failure: on request number `at` (0-based), or on requests of method/path."""

    kind: FaultKind
    at: int | None = None
    method: str | None = None
    path: str | None = None  # a regular expression searched in the path
    times: int = 1
    after: bool = True  # 502/reset: carry the request out first, then lose the answer
    seconds: float = 7.0  # retry-after for rate limits; the delay for `slow`

    def matches(self, index: int, method: str, path: str) -> bool:
        """Whether this fault strikes request `index`."""
        if self.times <= 0:
            return False
        if self.at is not None and self.at != index:
            return False
        if self.method is not None and self.method != method:
            return False
        return self.path is None or re.search(self.path, path) is not None


@dataclass
class Exchange:
    """One request and what the emulator answered (status None: the connection was reset)."""

    index: int
    method: str
    path: str
    query: dict[str, str]
    request_body: Any
    request_headers: dict[str, str]
    status: int | None = None
    response_body: Any = None
    response_headers: dict[str, str] = field(default_factory=dict)
    fault: str | None = None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # One send per answer, no Nagle: otherwise delayed ACKs cost ~40 ms a request on loopback.
    disable_nagle_algorithm = True
    wbufsize = 1 << 16
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the exchange log is the record."""

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

    def finish(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # the connection was reset on purpose
            super().finish()

    def _handle(self) -> None:
        emulator = self.server.emulator
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = None
        headers = {k: v for k, v in self.headers.items() if k.lower() != "authorization"}
        exchange = emulator.begin(
            self.command, split.path, dict(parse_qsl(split.query)), body, headers
        )
        fault = emulator.take_fault(exchange)
        slow = fault is not None and fault.kind == "slow"
        # A rate limit refuses the request before doing it; a 502 or a reset may strike either side.
        if (
            fault is not None
            and not slow
            and (not fault.after or fault.kind not in ("bad_gateway", "reset"))
        ):
            self._fail(exchange, fault)
            return
        response = emulator.respond(exchange, self.headers.get("Authorization", ""))
        if slow:  # the work is done; only the answer is late (the client may have given up)
            exchange.fault = "slow"
            time.sleep(fault.seconds)
        elif fault is not None:
            self._fail(exchange, fault)
            return
        with contextlib.suppress(OSError):
            self._send(exchange, response)

    def _fail(self, exchange: Exchange, fault: Fault) -> None:
        exchange.fault = fault.kind
        if fault.kind == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            self.server.emulator.finish(exchange)
            return
        if fault.kind == "bad_gateway":
            response = Response(502, {"message": "Server Error"})
        elif fault.kind == "forbidden":  # a token without the permission the call needs
            response = error(403, "Resource not accessible by integration")
        elif fault.kind == "graphql_rate_limited":  # GraphQL says so in a 200 answer's errors
            message = "API rate limit already exceeded for installation ID 1."
            response = Response(200, {"errors": [{"type": "RATE_LIMITED", "message": message}]})
            response.headers = {
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": str(int(time.time() + fault.seconds)),
                "x-ratelimit-resource": "graphql",
            }
        elif fault.kind == "primary_rate_limit":
            response = error(
                403,
                "API rate limit exceeded for installation ID 1.",
                doc="/overview/rate-limits-for-the-rest-api",
            )
            reset = int(time.time() + fault.seconds)
            response.headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}
        else:
            status = 429 if fault.kind == "rate_limit_429" else 403
            response = error(
                status,
                "You have exceeded a secondary rate limit."
                " Please wait a few minutes before you try again.",
                doc="/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
            )
            if fault.kind != "secondary_no_header":
                response.headers = {"retry-after": str(int(fault.seconds))}
        self._send(exchange, response)

    def _send(self, exchange: Exchange, response: Response) -> None:
        emulator = self.server.emulator
        body, headers = emulator.render(exchange, response)
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(response.status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        exchange.status, exchange.response_body, exchange.response_headers = (
            response.status,
            body,
            headers,
        )
        emulator.finish(exchange)


#: GitHub's limit on the text of a comment, review, review comment or pull request body.
MAX_BODY = 65_536
_BODY_TOO_LONG = f"Body is too long (maximum is {MAX_BODY} characters)"


def _body_too_long(exchange: Exchange) -> Response | None:
    """GitHub's 422 for a write whose body (or one review comment's body) is over the limit."""
    if exchange.method not in ("POST", "PATCH") or not isinstance(exchange.request_body, dict):
        return None
    texts = [exchange.request_body.get("body")]
    comments = exchange.request_body.get("comments")
    if isinstance(comments, list):
        texts += [c.get("body") for c in comments if isinstance(c, dict)]
    if not any(isinstance(text, str) and len(text) > MAX_BODY for text in texts):
        return None
    resource = (
        "PullRequestReview"
        if exchange.path.endswith("/reviews")
        else "PullRequest"
        if "/pulls" in exchange.path
        else "IssueComment"
    )
    problem = {"resource": resource, "code": "custom", "field": "body", "message": _BODY_TOO_LONG}
    response = error(422, "Validation Failed")
    response.body.update(errors=[problem], status="422")
    return response


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    emulator: Emulator

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Connections the emulator resets on purpose are not errors worth a traceback."""


class Emulator:
    """The emulated GitHub API, served from a thread: `with Emulator() as github: ...`."""

    def __init__(self, state: State | None = None) -> None:
        self.state = state or State()
        self.faults: list[Fault] = []
        self.log: list[Exchange] = []
        self._count = 0
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.emulator = self
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    def __enter__(self) -> Emulator:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def inject(self, *faults: Fault) -> None:
        """Add faults; each strikes its `times` matching requests, then is spent."""
        self.faults.extend(faults)

    @property
    def requests(self) -> int:
        """How many requests have arrived so far."""
        return self._count

    # --- used by the handler ------------------------------------------------------------------

    def begin(
        self, method: str, path: str, query: dict[str, str], body: Any, headers: dict[str, str]
    ) -> Exchange:
        with self._lock:
            exchange = Exchange(self._count, method, path, query, body, headers)
            self._count += 1
            return exchange

    def take_fault(self, exchange: Exchange) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(exchange.index, exchange.method, exchange.path):
                    fault.times -= 1
                    return fault
        return None

    def finish(self, exchange: Exchange) -> None:
        with self._lock:
            self.log.append(exchange)

    def respond(self, exchange: Exchange, authorization: str) -> Response:
        """Carry the request out against the state and return GitHub's answer."""
        state = self.state
        if authorization not in (f"token {state.token}", f"Bearer {state.token}"):
            return error(401, "Bad credentials")
        with state.lock:
            state.follow_branches()  # a branch moved (by the API or a push): its pulls follow
            graphql_query = exchange.method == "POST" and exchange.path == "/graphql"
            if state.read_only and exchange.method != "GET" and not graphql_query:
                return error(403, "Resource not accessible by integration")
            if graphql_query:
                body = exchange.request_body or {}
                return Response(
                    200, graphql.answer(state, body.get("query", ""), body.get("variables") or {})
                )
            too_long = _body_too_long(exchange)
            if too_long is not None:
                return too_long
            for method, pattern, handler in (*ROUTES, *git_routes.ROUTES):
                match = pattern.match(exchange.path)
                if match and method == exchange.method:
                    params = match.groupdict()
                    if (params.pop("owner"), params.pop("repo")) != (state.owner, state.name):
                        return error(404, "Not Found")
                    request = Request(
                        state,
                        self.url,
                        state.bot,
                        exchange.method,
                        exchange.path,
                        exchange.query,
                        exchange.request_body,
                        params,
                    )
                    return handler(request)
        return error(404, "Not Found")

    def render(self, exchange: Exchange, response: Response) -> tuple[Any, dict[str, str]]:
        """The body (one page of it, for lists) and GitHub's headers, `Link` included."""
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": str(max(0, 4999 - exchange.index)),
            "x-ratelimit-reset": str(RESET_EPOCH),
            "x-ratelimit-used": str(exchange.index + 1),
            "x-ratelimit-resource": "core",
            "x-github-request-id": f"EMU:{exchange.index}",
            **response.headers,
        }
        if response.items is None:
            return response.body, headers
        per_page = max(1, min(int(exchange.query.get("per_page", 30)), self.state.page_cap))
        page = max(1, int(exchange.query.get("page", 1)))
        last = max(1, -(-len(response.items) // per_page))
        links = []
        for rel, number in (("prev", page - 1), ("next", page + 1), ("last", last), ("first", 1)):
            if (rel in ("prev", "first") and page > 1) or (rel in ("next", "last") and page < last):
                query = urlencode({**exchange.query, "per_page": per_page, "page": number})
                links.append(f'<{self.url}{exchange.path}?{query}>; rel="{rel}"')
        if links:
            headers["Link"] = ", ".join(links)
        return response.items[(page - 1) * per_page : page * per_page], headers
