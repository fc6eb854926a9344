"""When to retry and how long to wait: GitHub's rate-limit rules and a capped backoff."""

from __future__ import annotations

import pytest

from codegen_bot.bot.github.retries import Outcome, RetryPolicy, retry_delay

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("status", "headers", "message", "expected"),
    [
        (403, {"Retry-After": "30"}, "You have exceeded a secondary rate limit", 30.0),
        (429, {"retry-after": "5"}, "", 5.0),
        (
            403,
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 100)},
            "API rate limit exceeded",
            101.0,
        ),
        (403, {}, "You have exceeded a secondary rate limit.", 60.0),
        (429, {}, "", 60.0),
        (502, {}, "Server Error", 1.0),
        (None, {}, "ConnectionError", 1.0),
    ],
)
def test_first_wait(status, headers, message, expected) -> None:
    assert retry_delay(Outcome(status, headers, message), 1, NOW) == expected


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (403, "Resource not accessible by integration"),
        (404, "Not Found"),
        (422, "Unprocessable Entity"),
        (401, ""),
    ],
)
def test_final_answers_are_not_retried(status, message) -> None:
    assert retry_delay(Outcome(status, {}, message), 1, NOW) is None


def test_backoff_doubles_up_to_its_cap_and_attempts_run_out() -> None:
    policy = RetryPolicy(attempts=8, backoff=1.0, backoff_cap=10.0)
    waits = [retry_delay(Outcome(503, {}), attempt, NOW, policy) for attempt in range(1, 9)]
    assert waits == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0, None]


def test_a_secondary_limit_without_headers_waits_longer_each_time_and_at_least_a_minute() -> None:
    waits = [retry_delay(Outcome(403, {}, "secondary rate limit"), a, NOW) for a in (1, 2, 3)]
    assert waits == [60.0, 120.0, 180.0]


def test_a_reset_too_far_away_is_not_waited_for() -> None:
    far = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 3600)}
    assert retry_delay(Outcome(403, far, "API rate limit exceeded"), 1, NOW) is None
    assert (
        retry_delay(Outcome(403, {"retry-after": "garbage"}, "secondary rate limit"), 1, NOW)
        == 60.0
    )


def test_which_failures_may_have_written() -> None:
    assert Outcome(502, {}).ambiguous and Outcome(None, {}).ambiguous
    assert not Outcome(403, {"retry-after": "1"}).ambiguous and not Outcome(422, {}).ambiguous
