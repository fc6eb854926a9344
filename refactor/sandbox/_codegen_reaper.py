"""Inside the sandbox: no process a session started outlives the session.

The warm parent forks one child per session, all under the same uid, so a session's code could
leave a daemon (fork twice, `setsid`) that rewrites a later session's files or results. The
parent therefore becomes the reaper of every orphan below it (`PR_SET_CHILD_SUBREAPER`: a
process that leaves its group and session still hangs from the parent's tree) and, after each
session, kills every process below it until none is left. Alone in a PID namespace
(bubblewrap), it kills every process of the namespace but itself and bubblewrap's init, so
nothing the session could have started stays unseen. It also makes itself undumpable, so that
a session's code (same uid, no capability) cannot ptrace it or read or write its memory.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import time

_PR_SET_DUMPABLE = 4
_PR_SET_CHILD_SUBREAPER = 36
#: How long the sweep keeps killing before it calls the namespace unclean (a fork bomb, say).
SWEEP_SECONDS = 60.0


def _prctl(option: int, value: int) -> bool:
    """Call prctl(2); False where there is none (not Linux) or it refused."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(option, value, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def adopt_orphans() -> bool:
    """Become the parent of every orphan among this process's descendants; False: cannot."""
    return _prctl(_PR_SET_CHILD_SUBREAPER, 1)


def untraceable() -> bool:
    """Refuse ptrace and /proc access to processes without CAP_SYS_PTRACE; False: cannot."""
    return _prctl(_PR_SET_DUMPABLE, 0)


def traceable_again() -> None:
    """In a forked session: dumpable as a fresh process is (only the parent stays closed)."""
    _prctl(_PR_SET_DUMPABLE, 1)


def _processes() -> dict[int, int]:
    """Every living process this /proc shows, with its parent (zombies are dead already)."""
    found: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="utf-8", errors="replace") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except OSError:
            continue  # gone meanwhile
        if fields and fields[0] not in ("Z", "X"):
            found[int(name)] = int(fields[1])
    return found


def others(whole_namespace: bool) -> list[int]:
    """The processes a sweep must kill: every one below this process, or in its namespace."""
    me = os.getpid()
    living = _processes()
    if whole_namespace:
        return sorted(pid for pid in living if pid not in (1, me))
    below: set[int] = set()
    frontier = {me}
    while frontier:
        frontier = {pid for pid, parent in living.items() if parent in frontier} - below
        below |= frontier
    return sorted(below)


def _reap() -> None:
    """Collect every child of this process that has ended (subreaper: orphans are its too)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def sweep(whole_namespace: bool) -> list[int]:
    """Kill every process `others` names until none is left; those still there after a minute.

    Each round kills all it sees at once, so whatever forked meanwhile is caught by the next.
    """
    deadline = time.monotonic() + SWEEP_SECONDS
    pause = 0.001
    while True:
        _reap()
        left = others(whole_namespace)
        if not left or time.monotonic() > deadline:
            return left
        for pid in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def wait_within(pid: int, seconds: float | None) -> int | None:
    """Wait for the child `pid`; its wait status, or None when `seconds` passed first."""
    if seconds is None:
        return os.waitpid(pid, 0)[1]
    deadline = time.monotonic() + seconds
    try:
        handle = os.pidfd_open(pid)
    except (AttributeError, OSError):
        handle = None
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if handle is not None:
                import select  # noqa: PLC0415 - only where there is a deadline

                select.select([handle], [], [], left)
            else:
                time.sleep(min(left, 0.02))
    finally:
        if handle is not None:
            os.close(handle)
