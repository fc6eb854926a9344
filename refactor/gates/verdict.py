"""The value every gate returns."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    """One gate's judgement of one proposal: passed or not, why not, and how long it took."""

    gate: str
    passed: bool
    reason: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, object]:
        """Return the verdict as the JSON report stores it."""
        return {
            "gate": self.gate,
            "passed": self.passed,
            "reason": self.reason,
            "seconds": round(self.seconds, 4),
        }


def timed(gate: str, check: Callable[[], str | None]) -> Verdict:
    """Run `check`, which returns a rejection reason or None, and wrap it in a timed verdict."""
    started = time.perf_counter()
    reason = check()
    return Verdict(gate, reason is None, reason, time.perf_counter() - started)
