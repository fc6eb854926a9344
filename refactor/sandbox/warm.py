"""pytest sessions forked one at a time from a warm parent in the sandbox.

A cold session pays for the interpreter, pytest, coverage and every pytest plugin of the
interpreter (importing and assertion-rewriting them) before it collects a single test: seconds
each, more than a small candidate takes to run five times. The warm parent (`sandbox_main.py
--serve`) pays that once, without importing the repository's code, and forks a child per
session, so every session still starts from the same state and no session's imports reach
another. Sessions stay serial: what each one left in the worktree is found by comparing
listings taken before and after it, here on the host.
"""

from __future__ import annotations

import contextlib
import select
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO

from codegen_bot.refactor.sandbox.process import SandboxResult, kill_group, reap
from codegen_bot.refactor.sandbox.runner import SANDBOX_MAIN, TestRunner

#: How much longer than a session's wall time the host waits for the parent's answer (the
#: parent kills the session at its wall time, then sweeps what it started).
_SPARE_SECONDS = 90.0


class WarmSessions:
    """While entered, the runner's sessions (pytest and probe) fork from one warm parent.

    The parent starts with the first session, and again after one had to be killed. Where it
    cannot start (or warm up), sessions run cold, with the same results. Leaving the context
    kills the parent's whole process group and gives the runner back its cold sessions.
    """

    def __init__(self, runner: TestRunner) -> None:
        self.runner = runner
        self._process: subprocess.Popen[bytes] | None = None
        self._errors: IO[bytes] | None = None
        self._batch: Path | None = None
        self._broken = False
        self._batches = 0
        #: Whether the parent said it is warm; it warms up while the host does other work
        #: (a build, say) and is waited for only when a session needs it.
        self._ready = False

    def __enter__(self) -> WarmSessions:
        self.runner.launcher = self
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.runner.launcher = None
        self.close()

    def close(self) -> None:
        """Stop the warm parent and everything it started."""
        if self._process is not None:
            assert self._process.stdin is not None
            with contextlib.suppress(OSError):  # a parent already gone reads nothing any more
                self._process.stdin.close()
            kill_group(self._process.pid)
            reap(self._process)
            self._process = None
        if self._errors is not None:
            self._errors.close()
            self._errors = None

    def start_early(self) -> None:
        """Start the parent now, so that it warms up while the host works (proposes, lints).

        Its readiness is still awaited only by the first session; where it cannot start,
        sessions run cold, as when it starts late.
        """
        if self._process is None and not self._broken:
            self._broken = not self._start()

    def folder_parent(self) -> Path:
        """The warm parent's folder (started here if need be), else the runner's own."""
        if self._process is None and not self._broken:
            self._broken = not self._start()
        if self._process is None or self._batch is None:
            return self.runner.work
        return self._batch

    def launch(self, folder: Path, spec_path: Path, wall_seconds: float) -> SandboxResult:
        """Run one spec in a child forked by the warm parent, or cold where there is none."""
        if self._process is not None and not self._ready:
            deadline = time.monotonic() + self.runner.sandbox.limits.wall_seconds
            self._ready = self._line(deadline) == "ready"
            if not self._ready:
                self.close()
                self._broken = True
        if self._process is None or self._batch is None or folder.parent != self._batch:
            return self.runner.cold(folder, spec_path, wall_seconds)
        return self._ask(spec_path, folder, wall_seconds)

    def _start(self) -> bool:
        """Start the warm parent (its warm-up is waited for by the first session); False if not."""
        runner = self.runner
        self._batches += 1
        batch = runner.work / f"warm{self._batches}"
        for name in ("tmp", "home", "empty"):
            (batch / name).mkdir(parents=True)
        (runner.work / "hypothesis").mkdir(exist_ok=True)
        sandbox = runner.sandbox.writing(
            (runner.root, batch, runner.work / "hypothesis"), runner.env(batch)
        )
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the parent
        argv = [runner.python, str(SANDBOX_MAIN), "--serve", str(batch / "empty")]
        if sandbox.isolation.isolated:  # bubblewrap: the parent is alone in its PID namespace
            argv.append("--own-pid-namespace")
        try:
            self._process = sandbox.start(
                argv,
                runner.root,
                sandbox.limits.wall_seconds,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._errors,
            )
        except OSError:
            self._process = None
            return False
        self._batch = batch
        self._ready = False
        return True

    def _ask(self, spec_path: Path, folder: Path, wall_seconds: float) -> SandboxResult:
        """Hand the parent one spec and wait for its child, within `wall_seconds`.

        The parent kills a child past its wall time, and every process a child started,
        before it answers. The host waits longer (`_SPARE_SECONDS`) only for a parent that
        itself stopped answering (a session can signal it): then the whole sandbox goes.
        """
        assert self._process is not None and self._process.stdin is not None
        isolation = self.runner.sandbox.isolation
        started = time.perf_counter()
        try:
            self._process.stdin.write(f"{spec_path}\t{wall_seconds}\n".encode())
            self._process.stdin.flush()
            line = self._line(time.monotonic() + wall_seconds + _SPARE_SECONDS)
        except OSError:
            line = None
        seconds = time.perf_counter() - started
        log = folder / "output.log"
        output = log.read_text("utf-8", errors="replace")[-200_000:] if log.exists() else ""
        if line is not None and line.startswith("done "):
            code = line.removeprefix("done ")
            return SandboxResult(
                int(code) if code.lstrip("-").isdigit() else None,
                output,
                "",
                False,
                seconds,
                isolation,
            )
        if line == "timeout":  # killed by the parent, which is clean and serves on
            return SandboxResult(None, output, "", True, seconds, isolation)
        # The parent died, stopped answering or could not kill what the session started: the
        # whole sandbox goes, the session's results are not read, the next session starts anew.
        timed_out = line == ""
        errors = self._error_text()
        if line == "unclean":
            errors += "\na process the session started could not be killed; its results are void"
        self.close()
        (folder / "result.json").unlink(missing_ok=True)
        return SandboxResult(None, output, errors, timed_out, seconds, isolation)

    def _line(self, deadline: float) -> str | None:
        """The parent's next line; "" when the deadline passed, None when it ended first."""
        assert self._process is not None and self._process.stdout is not None
        stdout = self._process.stdout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return ""
            ready, _, _ = select.select([stdout], [], [], min(left, 5.0))
            if ready:
                raw = stdout.readline()
                return raw.decode("utf-8", errors="replace").strip() if raw else None

    def _error_text(self) -> str:
        if self._errors is None:
            return ""
        self._errors.seek(0)
        return self._errors.read()[-20_000:].decode("utf-8", errors="replace")


@contextlib.contextmanager
def warm_sessions(runner: TestRunner, *, early: bool = False) -> Iterator[TestRunner]:
    """The runner with a warm parent for the block: its own, or the one already there.

    `early`: start the parent on entry rather than with the first session.
    """
    if runner.launcher is not None:
        yield runner
        return
    with WarmSessions(runner) as warm:
        if early:
            warm.start_early()
        yield runner
