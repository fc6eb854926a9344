"""Every request the bot sends, and every answer of the emulator, checked against GitHub's OpenAPI.

The description is GitHub's own (npm `@octokit/openapi`, installed by `make test`); openapi-core
checks paths, methods, query parameters, request bodies, status codes and response bodies. The
one GraphQL query is outside the REST description; rate-limit and 5xx answers that GitHub's
description leaves undocumented are checked against its `basic-error` schema instead.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator

from tests.github.conftest import ROOT, SECOND_PUSH, PullRequestWorld, npm_fixture
from tests.github_emulator import Exchange, Fault

SPEC = ROOT / "node_modules/@octokit/openapi/generated/api.github.com.json"
HOST = "https://api.github.com"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return json.loads(npm_fixture(SPEC).read_text())


@pytest.fixture(scope="module")
def openapi(spec: dict[str, Any]) -> OpenAPI:
    return OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))


def as_request(exchange: Exchange) -> MockRequest:
    body = None if exchange.request_body is None else json.dumps(exchange.request_body).encode()
    return MockRequest(
        HOST,
        exchange.method,
        one_segment_refs(exchange.path),
        args=exchange.query,
        headers=exchange.request_headers,
        data=body,
    )


def one_segment_refs(path: str) -> str:
    """`.../git/ref/heads/a/b` with the ref as one segment (`heads%2Fa%2Fb`).

    GitHub's description marks the ref parameter `x-multi-segment` (its slashes stay as they
    are, as PyGithub and Octokit send them); openapi-core matches one segment per parameter.
    """
    match = re.match(r"^(/repos/[^/]+/[^/]+/git/refs?/)(.+)$", path)
    return match.group(1) + match.group(2).replace("/", "%2F") if match else path


def as_response(exchange: Exchange) -> MockResponse:
    data = b"" if exchange.response_body is None else json.dumps(exchange.response_body).encode()
    content_type = "application/json" if data else ""
    return MockResponse(data, exchange.status or 0, exchange.response_headers, content_type)


def exercise(world: PullRequestWorld) -> None:
    """Every path the bot can take: review, re-run, push, a 422, commands allowed and refused."""
    world.state.page_cap = 2
    world.state.unplaceable.add(("shop/prices.py", 4))  # a 422, found by probing pending reviews
    assert world.run("pull_request", world.pull_request_event("opened")) == 0
    world.state.unplaceable.clear()
    assert world.run("pull_request", world.pull_request_event("synchronize")) == 0
    world.push(SECOND_PUSH, "discounts")
    assert world.run("pull_request", world.pull_request_event("synchronize")) == 0
    for body, login in (
        ("/codegen docs", "maintainer"),
        ("/codegen docs", "visitor"),
        ("/codegen help", "maintainer"),
    ):
        event, _ = world.comment_event(body, login)
        assert world.run("issue_comment", event) == 0


def mismatches(openapi: OpenAPI, exchanges: list[Exchange]) -> list[str]:
    """Each request or response of `exchanges` that GitHub's description does not allow."""
    problems = []
    for exchange in exchanges:
        request = as_request(exchange)
        for check in (
            lambda request=request: openapi.validate_request(request),
            lambda request=request, exchange=exchange: openapi.validate_response(
                request, as_response(exchange)
            ),
        ):
            try:
                check()
            except Exception as error:
                detail = getattr(error, "__cause__", None) or error
                problems.append(
                    f"{exchange.method} {exchange.path} {exchange.status}: {error} {detail}"
                )
    return problems


def test_every_exchange_matches_githubs_openapi_description(
    world: PullRequestWorld, openapi: OpenAPI
) -> None:
    exercise(world)
    rest = [e for e in world.emulator.log if e.path != "/graphql"]
    seen = {(e.method, e.status) for e in rest}
    assert ("POST", 422) in seen and ("DELETE", 200) in seen and ("PATCH", 200) in seen
    assert any("Link" in e.response_headers for e in rest)
    assert len({(e.method, e.path.split("/")[-1]) for e in rest}) >= 9
    assert mismatches(openapi, rest) == []


def test_branch_and_pull_request_exchanges_match_githubs_openapi_description(
    world: PullRequestWorld, openapi: OpenAPI, tmp_path
) -> None:
    from codegen_bot.bot.publish.branch import history, publish_branch
    from tests.github.test_pulls import BRANCH, change, host, maintainer_push

    world.state.page_cap = 1  # the list of pull requests is paginated
    first = publish_branch(host(world), change(world))  # a 404 branch, tree, commit, ref, pull
    gone = {"tests/test_prices.py": "x = 1\n", "shop/__init__.py": None}
    publish_branch(host(world), change(world, gone))  # update, deleting a file (`sha: null`)
    publish_branch(host(world), change(world, gone))  # unchanged
    maintainer_push(world, tmp_path, {"NOTES.md": "mine\n"})
    assert publish_branch(host(world), change(world)).status == "blocked"  # + one comment
    world.state.close_pull(first.number)
    assert history(host(world), BRANCH).closed
    assert publish_branch(host(world), change(world)).status == "opened"
    past = history(host(world), BRANCH)  # two pull requests, one per page
    assert past.open is not None and [c.number for c in past.closed] == [first.number]
    world.state.pulls[1].head_repo = "contributor/shop"  # a fork's pull request
    assert host(world).pull_request(1).head_repository == "contributor/shop"
    rest = world.emulator.log
    kinds = {
        (e.method, e.path.split("/git/")[-1].split("/")[0] if "/git/" in e.path else e.path)
        for e in rest
    }
    for expected in (
        ("GET", "ref"),
        ("POST", "trees"),
        ("POST", "commits"),
        ("GET", "commits"),
        ("POST", "refs"),
        ("PATCH", "refs"),
    ):
        assert expected in kinds
    assert {("POST", 201), ("PATCH", 200), ("GET", 404)} <= {(e.method, e.status) for e in rest}
    assert any(
        e.method == "GET" and e.path.endswith("/pulls") and "Link" in e.response_headers
        for e in rest
    )
    assert mismatches(openapi, rest) == []


def test_the_conformance_check_catches_a_wrong_shape(
    world: PullRequestWorld, openapi: OpenAPI
) -> None:
    assert world.run("pull_request", world.pull_request_event("opened")) == 0
    [pull] = [e for e in world.emulator.log if e.path == "/repos/octo-org/shop/pulls/1"]
    openapi.validate_response(as_request(pull), as_response(pull))
    del pull.response_body["head"]["sha"]
    with pytest.raises(Exception, match=r"sha|head|[Ii]nvalid"):
        openapi.validate_response(as_request(pull), as_response(pull))
    [post] = [e for e in world.emulator.log if e.method == "POST" and e.path.endswith("/reviews")]
    post.request_body["event"] = "SHOUT"
    with pytest.raises(Exception, match=r"[Ii]nvalid|SHOUT"):
        openapi.validate_request(as_request(post))


def test_fault_answers_have_githubs_error_shape(
    world: PullRequestWorld, spec: dict[str, Any]
) -> None:
    world.emulator.inject(  # one fault on each call of the run, in the order they come
        Fault("rate_limit", path="/files$"),
        Fault("rate_limit_429", path="/issues/1/comments$"),
        Fault("primary_rate_limit", path="/pulls/1/comments$"),
        Fault("secondary_no_header", method="POST", path="/reviews$"),
        Fault("bad_gateway", method="POST", path="/issues/1/comments$"),
    )
    assert world.run("pull_request", world.pull_request_event("opened")) == 0
    faulted = [e for e in world.emulator.log if e.fault]
    assert sorted(e.status for e in faulted) == [403, 403, 403, 429, 502]
    schema = {**spec["components"]["schemas"]["basic-error"], "components": spec["components"]}
    for exchange in faulted:
        OAS30Validator(schema).validate(exchange.response_body)
    retry_after, too_many, primary, no_header, bad_gateway = world.sleeps
    assert retry_after == too_many == 7.0
    assert 6.0 <= primary <= 9.0  # until x-ratelimit-reset, plus a second
    assert no_header >= 60  # a limit that names no wait waits at least a minute
    assert bad_gateway == 1.0  # 5xx: backoff
    assert len(world.state.reviews) == 1 and len(world.state.issue_comments) == 1
