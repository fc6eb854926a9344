"""When to retry a GitHub API call, and how long to wait first — a pure function of the answer.

GitHub's rules: a secondary rate limit (403 or 429) says how long to wait in `retry-after`; a
primary one sets `x-ratelimit-remaining: 0` and the reset time in `x-ratelimit-reset`; with
neither header, wait at least a minute. GraphQL says it in a 200 answer whose `errors` have
type `RATE_LIMITED` (or with a 403, as REST does); it is waited out by the same rules. 5xx
answers and lost connections are retried with an exponential backoff, capped. Anything else
(404, 422, a 403 for lack of permission) is final.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts per call, the backoff's base and cap, the longest wait accepted."""

    attempts: int = 6
    backoff: float = 1.0
    backoff_cap: float = 30.0
    secondary_wait: float = 60.0
    longest_wait: float = 900.0


@dataclass(frozen=True)
class Outcome:
    """How one failed call ended: the HTTP status (None: no answer at all), headers and message."""

    status: int | None
    headers: Mapping[str, str]
    message: str = ""
    #: The `type` of each GraphQL error in the answer (e.g. `RATE_LIMITED`); () for REST.
    error_types: tuple[str, ...] = ()

    @property
    def ambiguous(self) -> bool:
        """Whether a write that ended so may still have happened (5xx, or the answer was lost)."""
        return self.status is None or self.status >= 500

    @property
    def rate_limited(self) -> bool:
        """Whether GitHub refused the call for a rate limit (it did not run it)."""
        headers = _lower(self.headers)
        if self.status == 429 or "RATE_LIMITED" in self.error_types:
            return True
        if self.status != 403:
            return False
        return (
            "retry-after" in headers
            or headers.get("x-ratelimit-remaining") == "0"
            or "rate limit" in self.message.lower()
        )


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}


def _seconds(text: str | None) -> float | None:
    try:
        return None if text is None else max(0.0, float(text))
    except ValueError:
        return None


def retry_delay(
    outcome: Outcome, attempt: int, now: float, policy: RetryPolicy = RetryPolicy()
) -> float | None:
    """Seconds to wait before attempt `attempt + 1`, or None when the call must not be retried.

    `attempt` counts from 1 (the call that just failed); `now` is the Unix time, for
    `x-ratelimit-reset`. A wait longer than `policy.longest_wait` is not worth it: None.
    """
    if attempt >= policy.attempts:
        return None
    if outcome.rate_limited:
        headers = _lower(outcome.headers)
        wait = _seconds(headers.get("retry-after"))
        if wait is None and headers.get("x-ratelimit-remaining") == "0":
            reset = _seconds(headers.get("x-ratelimit-reset"))
            wait = None if reset is None else max(0.0, reset - now) + 1.0
        if wait is None:
            wait = policy.secondary_wait * attempt
        return wait if wait <= policy.longest_wait else None
    if outcome.ambiguous:
        return min(policy.backoff_cap, policy.backoff * 2 ** (attempt - 1))
    return None
