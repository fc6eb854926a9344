"""Results as values: a transform or check succeeds, fails with a reason, or skips with one.

Following LibCST's codemods, nothing in a batch dies on one bad input: callers branch on the
type of the result instead of catching exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Success(Generic[T]):
    """The operation produced `value`."""

    value: T


@dataclass(frozen=True)
class Failure:
    """The operation was attempted and did not work; `reason` says why in one line."""

    reason: str


@dataclass(frozen=True)
class Skip:
    """The operation did not apply to this input; `reason` says why in one line."""

    reason: str


Result = Success[T] | Failure | Skip
