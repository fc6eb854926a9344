"""Concurrent requests, one model: a queue and one worker thread that batches them per adapter.

Request threads `submit` and wait. The worker takes the oldest waiting job, gathers every other
waiting job for the same adapter (up to `max_rows` sequences), and runs them as one call, so
requests that arrive while a batch is decoding are decoded together in the next one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from codegen_bot.adapters.engines.completion import CompletionRequest, CompletionResult

Run = Callable[[str | None, list[CompletionRequest]], list[CompletionResult]]


class BatcherClosed(RuntimeError):
    """The server is shutting down; the request was not run."""


@dataclass(eq=False)  # jobs are compared by identity
class _Job:
    adapter: str | None
    requests: Sequence[CompletionRequest]
    done: threading.Event = field(default_factory=threading.Event)
    results: list[CompletionResult] | None = None
    error: BaseException | None = None

    @property
    def rows(self) -> int:
        return sum(r.n for r in self.requests)


@dataclass
class BatchStats:
    """What the worker has done, for `/health`."""

    batches: int = 0
    requests: int = 0
    rows: int = 0
    largest: int = 0


class Batcher:
    """Runs submitted requests on one worker thread, grouping them by adapter."""

    def __init__(self, run: Run, max_rows: int = 64) -> None:
        self._run = run
        self._max_rows = max_rows
        self._jobs: list[_Job] = []
        self._ready = threading.Condition()
        self._closed = False
        self.stats = BatchStats()
        self._thread = threading.Thread(target=self._work, name="codegen-batcher", daemon=True)

    def start(self) -> Batcher:
        """Start the worker thread."""
        self._thread.start()
        return self

    @property
    def pending(self) -> int:
        """Jobs waiting for the worker."""
        with self._ready:
            return len(self._jobs)

    def submit(
        self, adapter: str | None, requests: Sequence[CompletionRequest]
    ) -> list[CompletionResult]:
        """Run `requests` with `adapter` in the next batch and wait for their results."""
        job = _Job(adapter, requests)
        with self._ready:
            if self._closed:
                raise BatcherClosed("the server is shutting down")
            self._jobs.append(job)
            self._ready.notify()
        job.done.wait()
        if job.error is not None:
            raise job.error
        assert job.results is not None
        return job.results

    def close(self) -> None:
        """Stop taking jobs, fail the waiting ones, and let the worker finish its batch."""
        with self._ready:
            self._closed = True
            waiting, self._jobs = self._jobs, []
            self._ready.notify_all()
        for job in waiting:
            job.error = BatcherClosed("the server is shutting down")
            job.done.set()
        if self._thread.is_alive():
            self._thread.join(timeout=60)

    def _take(self) -> list[_Job] | None:
        """The next batch: the oldest job and the waiting jobs of its adapter that fit."""
        with self._ready:
            while not self._jobs and not self._closed:
                self._ready.wait()
            if self._closed:
                return None
            first = self._jobs[0]
            batch: list[_Job] = []
            rows = 0
            for job in self._jobs:
                if job.adapter == first.adapter and (
                    not batch or rows + job.rows <= self._max_rows
                ):
                    batch.append(job)
                    rows += job.rows
            self._jobs = [job for job in self._jobs if job not in batch]
            return batch

    def _work(self) -> None:
        while (batch := self._take()) is not None:
            requests = [r for job in batch for r in job.requests]
            try:
                results = self._run(batch[0].adapter, requests)
            except (
                Exception
            ) as error:  # the worker's outermost boundary: fail these jobs, keep serving
                for job in batch:
                    job.error = error
                    job.done.set()
                continue
            self.stats.batches += 1
            self.stats.requests += len(batch)
            self.stats.rows += len(requests)
            self.stats.largest = max(self.stats.largest, sum(job.rows for job in batch))
            start = 0
            for job in batch:
                job.results = results[start : start + len(job.requests)]
                start += len(job.requests)
                job.done.set()
