"""Run untrusted code (a repository's tests, generated tests) in a sandbox.

The sandbox is bubblewrap where it works: every namespace unshared (no network, no view of
other processes), and of the file system only what a run needs (`sandbox_binds`): the system
and the interpreter read-only, the scratch worktree and a results folder writable, a private
/tmp. Where bubblewrap is missing or
cannot start, a plain subprocess runs instead, and the caller is told so it can say so. Both
ways the environment is scrubbed of tokens and secrets, CPU, memory and file sizes are limited,
and the whole process group is killed when the wall-time limit passes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import resource
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from codegen_bot.refactor.sandbox.binds import NAMESPACES, bwrap_arguments, system_binds

#: Names that look like they hold a secret (matched case-insensitively anywhere in the name).
_SECRET_NAME = re.compile(
    r"TOKEN|SECRET|PASSW|PASSPHRASE|API_?KEY|ACCESS_?KEY|PRIVATE|CREDENTIAL|AUTH|COOKIE|SESSION"
    r"|SIGNING|_KEY$|^KEY$|WEBHOOK|DSN$",
    re.IGNORECASE,
)
#: Whole families of variables a CI runner sets, some of which carry tokens or token URLs.
_DROPPED_PREFIXES = (
    "GITHUB_",
    "GH_",
    "ACTIONS_",
    "RUNNER_",
    "INPUT_",
    "CODEGEN_",
    "AWS_",
    "AZURE_",
    "GOOGLE_",
    "NPM_",
    "PYPI_",
    "TWINE_",
)
#: Values that look like a token whatever the name holding them.
_SECRET_VALUE = re.compile(
    r"^(gh[pousr]_|github_pat_|glpat-|xox[abpr]-|sk-|AKIA|ASIA|AIza|ya29\.|npm_|pypi-)"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----"
)
#: Files and folders under the home folder that often hold credentials, hidden in the sandbox.
CREDENTIAL_PATHS = (
    ".ssh",
    ".gnupg",
    ".aws",
    ".azure",
    ".kube",
    ".docker",
    ".config/gh",
    ".config/gcloud",
    ".netrc",
    ".git-credentials",
    ".pypirc",
    ".npmrc",
)


def is_secret(name: str, value: str) -> bool:
    """Whether an environment variable looks like it carries a token or a secret."""
    return (
        name.startswith(_DROPPED_PREFIXES)
        or _SECRET_NAME.search(name) is not None
        or _SECRET_VALUE.search(value) is not None
    )


def scrub_environment(env: Mapping[str, str]) -> tuple[dict[str, str], tuple[str, ...]]:
    """Split `env` into what sandboxed code may see and the names of what was removed."""
    kept: dict[str, str] = {}
    dropped: list[str] = []
    for name, value in env.items():
        if is_secret(name, value):
            dropped.append(name)
        else:
            kept[name] = value
    return kept, tuple(sorted(dropped))


def redact(text: str, secrets: Sequence[str]) -> str:
    """Replace every occurrence of a secret value (8 characters or more) with `***`."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 8:
            text = text.replace(secret, "***")
    return text


@dataclass(frozen=True)
class Limits:
    """What one sandboxed command may use."""

    wall_seconds: float = 600.0
    memory_bytes: int = 4 * 1024**3
    file_bytes: int = 1024**3
    #: CPU seconds; by default the wall time plus a margin (a busy loop hits the wall first).
    cpu_seconds: int | None = None


@dataclass(frozen=True)
class Isolation:
    """How strongly a sandbox isolates: bubblewrap, or a plain subprocess and why."""

    kind: Literal["bubblewrap", "none"]
    detail: str

    @property
    def isolated(self) -> bool:
        """Whether namespaces and read-only binds are in force."""
        return self.kind == "bubblewrap"

    def describe(self) -> str:
        """One sentence for the report."""
        if self.isolated:
            return (
                f"tests ran under {self.detail}: no network, no view of other processes, "
                "read-only outside the scratch worktree, scrubbed environment, "
                "CPU/memory/time limits"
            )
        return (
            f"isolation was NOT available ({self.detail}); tests ran in a plain subprocess with a "
            "scrubbed environment and CPU/memory/time limits, but with the host's network and "
            "file system, and a process a test started could outlive its session (each "
            "session's processes are killed when it ends, but one started through another "
            "service, or left when the session killed its own parent, escapes that)"
        )


def detect_isolation(bwrap: str | None = None) -> Isolation:
    """Find out whether bubblewrap can start a fully unshared sandbox here.

    `bwrap` names the executable (default: found on PATH). Creating namespaces can fail even
    when the binary exists (containers without user namespaces), so this actually starts one.
    """
    binary = bwrap or shutil.which("bwrap")
    if binary is None:
        return Isolation("none", "bubblewrap (bwrap) is not installed")
    try:
        probe = subprocess.run(
            [binary, *NAMESPACES, *system_binds(), "true"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return Isolation("none", f"bubblewrap could not start: {error}")
    if probe.returncode != 0:
        message = (probe.stderr.strip().splitlines() or [f"exit code {probe.returncode}"])[-1]
        return Isolation("none", f"bubblewrap could not create namespaces: {message}")
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    return Isolation("bubblewrap", f"{binary} ({version.stdout.strip() or 'bubblewrap'})")


@dataclass(frozen=True)
class SandboxResult:
    """What one sandboxed command did."""

    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool
    seconds: float
    isolation: Isolation


@dataclass(frozen=True)
class Sandbox:
    """Runs commands with `writable` folders the only places they may write.

    `env` is scrubbed again here, whatever the caller passed. `hidden` paths (the reviewed
    repository, credential files) are masked under bubblewrap; under the fallback they stay
    visible, which `isolation.describe()` says.
    """

    writable: tuple[Path, ...]
    env: Mapping[str, str]
    isolation: Isolation
    limits: Limits = field(default_factory=Limits)
    hidden: tuple[Path, ...] = ()
    bwrap: str = "bwrap"

    def writing(self, writable: tuple[Path, ...], env: Mapping[str, str]) -> Sandbox:
        """This sandbox (its isolation, limits, hidden paths) for one run's folders and env."""
        return dataclasses.replace(self, writable=writable, env=env)

    def command(self, argv: Sequence[str], cwd: Path) -> list[str]:
        """The full command line: `argv` wrapped in bubblewrap when isolation is available."""
        if not self.isolation.isolated:
            return list(argv)
        binds = bwrap_arguments(argv, self.writable, self.hidden)
        return [self.bwrap, *binds, "--chdir", str(cwd), "--", *argv]

    def run(
        self, argv: Sequence[str], cwd: Path, wall_seconds: float | None = None
    ) -> SandboxResult:
        """Run `argv` in `cwd`; kill its whole process group when the wall time runs out."""
        running = self.spawn(argv, cwd, wall_seconds)
        return running if isinstance(running, SandboxResult) else running.wait()

    def spawn(
        self, argv: Sequence[str], cwd: Path, wall_seconds: float | None = None
    ) -> Running | SandboxResult:
        """Start `argv` in `cwd` and return at once; the result says why it could not start.

        The caller must `wait` for it or `stop` it (both kill its whole process group).
        """
        wall = wall_seconds if wall_seconds is not None else self.limits.wall_seconds
        # Output goes to files, not pipes: a grandchild that escapes the kill cannot hold a
        # pipe open and hang us.
        out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()  # noqa: SIM115
        try:
            process = self.start(argv, cwd, wall, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        except OSError as error:
            out.close()
            err.close()
            return SandboxResult(None, "", f"could not start: {error}", False, 0.0, self.isolation)
        return Running(process, out, err, self.isolation, time.perf_counter(), wall)

    def start(
        self, argv: Sequence[str], cwd: Path, wall: float, *, stdin: Any, stdout: Any, stderr: Any
    ) -> subprocess.Popen[bytes]:
        """Start `argv` in `cwd` in a session of its own, under the limits; the caller waits.

        The caller must kill its process group (`kill_group`) when done with it.
        """
        env, _ = scrub_environment(self.env)
        limits = self.limits
        cpu = limits.cpu_seconds if limits.cpu_seconds is not None else int(wall) + 30

        def set_limits() -> None:  # runs in the child between fork and exec
            """Set CPU, memory, file-size and core-dump limits on the child."""
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
            resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
            resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

        return subprocess.Popen(
            self.command(argv, cwd),
            cwd=cwd,
            env=env,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
            preexec_fn=set_limits,  # noqa: PLW1509 - no threads run limits
        )


@dataclass
class Running:
    """A sandboxed command started by `Sandbox.spawn`, in a process group of its own."""

    process: subprocess.Popen[bytes]
    out: IO[bytes]
    err: IO[bytes]
    isolation: Isolation
    started: float
    wall: float
    _ended: bool = False

    def wait(self) -> SandboxResult:
        """What it did, once it ended or its wall time (counted from its start) ran out."""
        timed_out = False
        try:
            self.process.wait(timeout=max(0.0, self.started + self.wall - time.perf_counter()))
        except subprocess.TimeoutExpired:
            timed_out = True
        except BaseException:
            # Ctrl-C or SIGTERM: the command runs in a session of its own, so the signal
            # never reached it; without bubblewrap's --die-with-parent it would live on.
            self.stop()
            raise
        self._end()  # whatever it left running in its group goes too
        seconds = time.perf_counter() - self.started
        stdout, stderr = _tail(self.out), _tail(self.err)
        self.stop()
        return SandboxResult(
            None if timed_out else self.process.returncode,
            stdout,
            stderr,
            timed_out,
            seconds,
            self.isolation,
        )

    def stop(self) -> None:
        """Kill its whole process group, reap it and close its output (again is fine)."""
        self._end()
        self.out.close()
        self.err.close()

    def _end(self) -> None:
        if self._ended:  # its group is gone and reaped: the id may belong to another by now
            return
        kill_group(self.process.pid)
        reap(self.process)
        self._ended = True


def kill_group(pgid: int) -> None:
    """Kill every process of a process group; a group that is already gone is fine."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def reap(process: subprocess.Popen[bytes]) -> None:
    """Wait for a killed child to end, without `Popen`'s own lock.

    Ctrl-C landing just as `Popen.wait(timeout=...)` has taken that lock (CPython runs signal
    handlers when the lock's `acquire` returns, before the `try` that releases it) leaves the
    lock held for good, and a plain `wait()` after it blocks forever: codegen hung on Ctrl-C.
    """
    if process.returncode is not None:
        return
    try:
        _, status = os.waitpid(process.pid, 0)
    except ChildProcessError:  # Popen reaped it already
        return
    process.returncode = os.waitstatus_to_exitcode(status)


def _tail(handle: object, limit: int = 200_000) -> str:
    """The last `limit` bytes of a temporary file, decoded leniently."""
    assert hasattr(handle, "seek") and hasattr(handle, "read") and hasattr(handle, "tell")
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    handle.seek(max(0, size - limit))
    return handle.read().decode("utf-8", errors="replace")


def hidden_paths(repository: Path, interpreter: str, home: Path | None) -> tuple[Path, ...]:
    """What the sandbox hides: the reviewed repository and credential files in `home`.

    The whole repository is hidden (its `.git/config` may hold the CI's token, its working tree
    uncommitted secrets) unless the interpreter lives inside it, when only `.git` is.
    """
    repository = repository.resolve()
    python = Path(interpreter).resolve()
    found: list[Path] = []
    if python.is_relative_to(repository):
        found.append(repository / ".git")
    else:
        found.append(repository)
    if home is not None:
        found.extend(home / name for name in CREDENTIAL_PATHS)
    return tuple(path for path in found if path.exists())
