"""Inside the sandbox: the guard that blocks and records what code under test must not do.

An audit hook blocks and records sockets, processes, sleeps and writes outside the temporary
folders; the environment records reads of variables; a timer stops each test run that takes too
long. Each event is charged to the test (or example call) whose code is on the stack. The limit
is CPU time (a busy machine slows the clock on the wall, not the work), with a wall-clock
limit a few times longer, scaled by the machine's load, for code that waits instead of working.
Imported by `sandbox_main.py` from its own folder; like it, it imports nothing of codegen.
"""

from __future__ import annotations

import faulthandler
import os
import re
import signal
import site
import sys
import sysconfig
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

#: Environment variables Python, pytest and Hypothesis read as a matter of course.
_BENIGN_ENV = re.compile(
    r"^(TMPDIR|TEMP|TMP|LANG|LANGUAGE|LC_\w+|TZ|TERM|COLUMNS|LINES|NO_COLOR|FORCE_COLOR|PATH"
    r"|PYTHON\w*|PYTEST_\w+|HYPOTHESIS_\w+|COVERAGE_\w+|_\w*)$"
)
_SECRET_ENV = re.compile(r"TOKEN|SECRET|PASSW|API_?KEY|CREDENTIAL|AUTH|PRIVATE|^GITHUB_|^GH_", re.I)
_PROC_ENVIRON = re.compile(r"^/proc/[^/]+/(environ|cmdline)$")
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_MUTATIONS = {
    "os.remove": "deletes",
    "os.rmdir": "deletes",
    "shutil.rmtree": "deletes",
    "os.rename": "renames",
    "os.mkdir": "creates the folder",
    "os.symlink": "links",
    "os.link": "links",
    "os.chmod": "changes the mode of",
    "os.truncate": "truncates",
}
_PROCESSES = {
    "subprocess.Popen": "starts a process",
    "os.system": "starts a process",
    "os.exec": "starts a process",
    "os.posix_spawn": "starts a process",
    "os.spawn": "starts a process",
    "os.fork": "forks",
    "os.forkpty": "forks",
    "os.kill": "sends a signal to a process",
    "os.killpg": "sends a signal to a process group",
}


class TestTimeout(BaseException):
    """A test run went past its time limit."""


class Guard:
    """Records (and blocks) what code under test must not do, charged to the current owner."""

    def __init__(self, root: str, temp_roots: list[str], progress: Any) -> None:
        self.root = root.rstrip("/") + "/"
        self.temp_roots = [os.path.realpath(p).rstrip("/") + "/" for p in temp_roots]
        self.owner: str | None = None
        self.violations: dict[str, list[str]] = {}
        self.writes: dict[str, list[str]] = {}
        self.progress = progress
        paths = sysconfig.get_paths()
        self.libraries = tuple({paths["purelib"], paths["platlib"], *site.getsitepackages()})
        self.stdlib = (paths["stdlib"], paths["platstdlib"], "<frozen")

    def install(self) -> None:
        """Add the audit hook (for good: audit hooks cannot be removed) and watch os.environ."""
        sys.addaudithook(self._audit)
        recording = object.__new__(_RecordingEnviron)
        recording.__dict__.update(os.environ.__dict__)
        recording.guard = self
        os.environ = recording  # noqa: B003 - os.getenv reads this module global too
        # Python 3.11 raises no audit event for time.sleep (3.12 does): wrap it.
        original_sleep = time.sleep

        def sleep(seconds: float) -> None:
            if self.owner is not None and seconds > 0 and self._repo_on_stack():
                message = f"sleeps (time.sleep({seconds}))"
                self.record(message)
                raise PermissionError(f"codegen sandbox: the test {message}")
            original_sleep(seconds)

        time.sleep = sleep  # type: ignore[assignment]  # narrower than SupportsIndex

    # --- attribution ------------------------------------------------------------------------

    def _kind(self, filename: str) -> str:
        if filename.startswith(self.libraries):
            return "library"
        if filename.startswith(self.stdlib):
            return "stdlib"
        return "repo" if filename.startswith(self.root) else "library"

    def _repo_on_stack(self) -> bool:
        frame: FrameType | None = sys._getframe(2)
        while frame is not None:
            if frame.f_code.co_filename.startswith(self.root):
                return True
            frame = frame.f_back
        return False

    def _repo_called(self) -> bool:
        """Whether the nearest caller outside the standard library is the repository's code."""
        frame: FrameType | None = sys._getframe(2)
        while frame is not None:
            kind = self._kind(frame.f_code.co_filename)
            if kind != "stdlib":
                return kind == "repo"
            frame = frame.f_back
        return False

    def record(self, message: str) -> None:
        """Charge `message` to the current owner (once)."""
        if self.owner is None:
            return
        found = self.violations.setdefault(self.owner, [])
        if message not in found:
            found.append(message)

    # --- the audit hook --------------------------------------------------------------------

    def _audit(self, event: str, args: tuple[Any, ...]) -> None:
        if self.owner is None:
            return
        message = self._judge(event, args)
        if message is not None and self._repo_on_stack():
            self.record(message)
            raise PermissionError(f"codegen sandbox: the test {message}")

    def _judge(self, event: str, args: tuple[Any, ...]) -> str | None:
        if event == "open":
            return self._judge_open(args)
        if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
            where = _address(args[1] if len(args) > 1 else None)
            return f"uses the network: opens a socket to {where}"
        if event == "socket.bind":
            return f"uses the network: listens on {_address(args[1] if len(args) > 1 else None)}"
        if event == "socket.getaddrinfo":
            return f"uses the network: looks up {_address(args[:2])}"
        if event in ("socket.gethostbyname", "socket.gethostbyaddr"):
            return f"uses the network: looks up {args[0]}"
        if event in _PROCESSES:
            return f"{_PROCESSES[event]} ({event})"
        if event == "time.sleep" and args and isinstance(args[0], int | float) and args[0] > 0:
            return f"sleeps (time.sleep({args[0]}))"
        if event in _MUTATIONS and args:
            path = _path(args[0])
            if path is not None and not self._temporary(path):
                self._note_write(path)
                return f"{_MUTATIONS[event]} {path} outside its temporary folder"
        return None

    def _judge_open(self, args: tuple[Any, ...]) -> str | None:
        path = _path(args[0])
        if path is None:
            return None
        mode, flags = args[1] if len(args) > 1 else None, args[2] if len(args) > 2 else 0
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            mode is None and isinstance(flags, int) and flags & _WRITE_FLAGS
        )
        if not writing:
            if _PROC_ENVIRON.match(path) and not path.startswith("/proc/self/"):
                return f"reads another process's environment ({path})"
            return None
        if path.startswith("/dev/") or self._temporary(path):
            self._note_write(path)
            return None
        self._note_write(path)
        return f"writes the file {path} outside its temporary folder"

    def _temporary(self, path: str) -> bool:
        return (os.path.realpath(path) + "/").startswith(tuple(self.temp_roots))

    def _note_write(self, path: str) -> None:
        if self.owner is not None:
            found = self.writes.setdefault(self.owner, [])
            real = os.path.realpath(path)
            if real not in found:
                found.append(real)

    # --- ownership and time limits ---------------------------------------------------------

    @contextmanager
    def owning(self, owner: str, timeout: float | None) -> Iterator[None]:
        """Charge events to `owner`; stop it after `timeout` s; end the process if it hangs on.

        `timeout` is CPU time; code that waits instead is stopped after a scaled wall time.
        """
        self.owner = owner
        self.progress.write(f"start\t{owner}\n")
        self.progress.flush()
        if timeout:
            wall = timeout * wall_factor()
            signal.signal(signal.SIGPROF, _raise_timeout)
            signal.signal(signal.SIGALRM, _raise_timeout)
            signal.setitimer(signal.ITIMER_PROF, timeout)
            signal.setitimer(signal.ITIMER_REAL, wall)
            # The watchdog is a C thread: it ends the process even if the test swallows the
            # timer's exception or holds the GIL, and the progress log names the culprit.
            faulthandler.dump_traceback_later(wall * 2 + 1, exit=True, file=self.progress)
        try:
            yield
        finally:
            if timeout:
                signal.setitimer(signal.ITIMER_PROF, 0)
                signal.setitimer(signal.ITIMER_REAL, 0)
                faulthandler.cancel_dump_traceback_later()
            self.owner = None
            self.progress.write(f"end\t{owner}\n")
            self.progress.flush()


class _RecordingEnviron(os._Environ):  # type: ignore[misc,name-defined]
    """os.environ that tells the guard which variables the code under test reads."""

    guard: Guard

    def __getitem__(self, key: str) -> str:
        guard = self.guard
        if guard.owner is not None and not _BENIGN_ENV.match(key):
            secret = _SECRET_ENV.search(key) is not None
            if (secret and guard._repo_on_stack()) or guard._repo_called():
                guard.record(f"reads the environment variable {key}")
        return super().__getitem__(key)

    def __iter__(self) -> Iterator[str]:
        guard = self.guard
        if guard.owner is not None and guard._repo_called():
            guard.record("reads the whole environment")
        return super().__iter__()


#: How many times its CPU limit a run may take on the wall of an idle machine.
WALL_SLACK = 3.0


def wall_factor() -> float:
    """The wall-clock limit's multiple of the CPU limit: `WALL_SLACK`, times the load per CPU."""
    try:
        load = os.getloadavg()[0] / (os.cpu_count() or 1)
    except OSError:
        load = 1.0
    return WALL_SLACK * max(1.0, load)


def _raise_timeout(signum: int, frame: object) -> None:
    raise TestTimeout("the time limit passed")


def _address(value: object) -> str:
    if isinstance(value, tuple) and len(value) >= 2:
        return f"{value[0]}:{value[1]}"
    return repr(value)


def _path(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    return os.path.abspath(value) if isinstance(value, str) else None
