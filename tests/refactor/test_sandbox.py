"""The sandbox: scrubbed environment, limits, killed process groups; bubblewrap and the fallback."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from pathlib import Path

import pytest

from codegen_bot.refactor.sandbox.process import (
    Isolation,
    Limits,
    Sandbox,
    SandboxResult,
    detect_isolation,
    hidden_paths,
    redact,
    scrub_environment,
)

TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
BWRAP = detect_isolation()
PLAIN = Isolation("none", "turned off for this test")
MODES = [
    pytest.param(
        BWRAP, id="bubblewrap", marks=pytest.mark.skipif(not BWRAP.isolated, reason=BWRAP.detail)
    ),
    pytest.param(PLAIN, id="fallback"),
]


def test_scrub_drops_tokens_by_name_by_family_and_by_value() -> None:
    env = {
        "PATH": "/usr/bin",
        "HOME": "/root",
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_REPOSITORY": "octo/repo",
        "ACTIONS_RUNTIME_TOKEN": "x",
        "MY_API_KEY": "k",
        "DB_PASSWORD": "p",
        "INNOCENT": TOKEN,  # a token under an innocent name is still a token
        "LANG": "C.UTF-8",
    }
    kept, dropped = scrub_environment(env)
    assert kept == {"PATH": "/usr/bin", "HOME": "/root", "LANG": "C.UTF-8"}
    assert set(dropped) == set(env) - set(kept)


def test_redact_strikes_secret_values_only() -> None:
    assert redact(f"token={TOKEN}; short=abc", [TOKEN, "abc"]) == "token=***; short=abc"


def test_hidden_paths_hide_the_repository_or_only_its_git_folder(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (tmp_path / "home" / ".ssh").mkdir(parents=True)
    assert hidden_paths(repo, sys.executable, tmp_path / "home") == (
        repo.resolve(),
        tmp_path / "home" / ".ssh",
    )
    inside = repo / ".venv" / "bin" / "python"
    inside.parent.mkdir(parents=True)
    inside.touch()
    assert hidden_paths(repo, str(inside), None) == (repo.resolve() / ".git",)


def _script(tmp_path: Path, code: str) -> Path:
    path = tmp_path / "work" / "probe.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(code), encoding="utf-8")
    return path


@pytest.mark.parametrize("isolation", MODES)
def test_environment_is_scrubbed_in_both_modes(tmp_path: Path, isolation: Isolation) -> None:
    script = _script(tmp_path, "import os; print(sorted(k for k in os.environ if 'TOKEN' in k))")
    sandbox = Sandbox((script.parent,), {**os.environ, "GITHUB_TOKEN": TOKEN}, isolation)
    result = sandbox.run([sys.executable, str(script)], script.parent, 30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    assert TOKEN not in result.stdout + result.stderr


@pytest.mark.parametrize("isolation", MODES)
def test_timeout_kills_the_whole_process_group(tmp_path: Path, isolation: Isolation) -> None:
    """A child left behind by a timed-out run is killed with it (no wall-clock race: a busy
    machine only makes the poll below take longer)."""
    token = f"codegen-orphan-{uuid.uuid4().hex}"
    script = _script(
        tmp_path,
        f"""
        import subprocess, sys
        # A child that would outlive its parent by minutes, and a parent that works forever.
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", {token!r}])
        while True:
            pass
        """,
    )
    sandbox = Sandbox((script.parent,), dict(os.environ), isolation)
    result = sandbox.run([sys.executable, str(script)], script.parent, 1.0)
    assert result.timed_out and result.returncode is None
    deadline = time.monotonic() + 300  # generous: the child sleeps 600 s if it was not killed
    while _processes_naming(token) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _processes_naming(token), "the child outlived the timeout"


def test_stopping_a_run_whose_wait_was_interrupted_does_not_hang(tmp_path: Path) -> None:
    """Ctrl-C can land just as `Popen.wait(timeout=...)` took its lock, which then stays held
    (CPython runs the signal handler before the `try` that releases it); stopping the run must
    still kill and reap it. The lock is taken here as that interrupt leaves it."""
    sandbox = Sandbox((tmp_path,), dict(os.environ), PLAIN)
    running = sandbox.spawn([sys.executable, "-c", "import time; time.sleep(600)"], tmp_path, 600)
    assert not isinstance(running, SandboxResult)
    # The state the interrupt leaves: Popen's private lock held.
    lock = running.process._waitpid_lock  # type: ignore[attr-defined]
    assert lock.acquire(blocking=False)
    stopper = threading.Thread(target=running.stop, daemon=True)
    stopper.start()
    stopper.join(timeout=120)  # it takes milliseconds; only a hang reaches the limit
    hung = stopper.is_alive()
    lock.release()  # let a hung stop finish, so the test leaves nothing behind
    stopper.join()
    assert not hung, "stop() waited forever on the interrupted wait's lock"
    assert running.process.returncode == -signal.SIGKILL


def _processes_naming(token: str) -> list[str]:
    """The live processes whose command line holds `token` (zombies have none)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if token.encode() in (entry / "cmdline").read_bytes():
                    found.append(entry.name)
            except OSError:  # gone meanwhile
                continue
    return found


@pytest.mark.parametrize("isolation", MODES)
def test_memory_limit_applies(tmp_path: Path, isolation: Isolation) -> None:
    script = _script(tmp_path, "b = bytearray(600 * 1024 * 1024); print('allocated')")
    limits = Limits(memory_bytes=400 * 1024**2)
    result = Sandbox((script.parent,), dict(os.environ), isolation, limits).run(
        [sys.executable, str(script)], script.parent, 30
    )
    assert result.returncode != 0
    assert "MemoryError" in result.stderr


@pytest.mark.skipif(not BWRAP.isolated, reason=BWRAP.detail)
def test_bubblewrap_isolates_network_processes_and_files(tmp_path: Path) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    accepted: list[object] = []

    def accept() -> None:
        with contextlib.suppress(OSError):  # closed at the end of the test
            accepted.append(server.accept())

    threading.Thread(target=accept, daemon=True).start()
    secret = tmp_path / "repo" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("do not read", encoding="utf-8")
    # Outside /tmp (which is a private tmpfs in the sandbox) and outside the writable folders.
    outside = Path("/var/tmp") / f"codegen-sandbox-test-{os.getpid()}.txt"
    script = _script(
        tmp_path,
        f"""
        import os, socket
        results = []
        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=2)
            results.append("connected")
        except OSError:
            results.append("no network")
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
        results.append("few processes" if len(pids) < 10 else f"{{len(pids)}} processes")
        results.append("secret hidden" if not os.path.exists({str(secret)!r}) else "secret visible")
        try:
            open({str(outside)!r}, "w")
            results.append("wrote outside")
        except OSError:
            results.append("read-only outside")
        open("inside.txt", "w").write("ok")
        print(";".join(results))
        """,
    )
    sandbox = Sandbox((script.parent,), dict(os.environ), BWRAP, hidden=(secret.parent,))
    result = sandbox.run([sys.executable, str(script)], script.parent, 30)
    server.close()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "no network;few processes;secret hidden;read-only outside"
    assert not accepted and not outside.exists()
    assert (script.parent / "inside.txt").read_text() == "ok"


def test_isolation_says_clearly_when_it_is_missing() -> None:
    missing = detect_isolation(bwrap="/nonexistent/bwrap")
    assert not missing.isolated
    assert "NOT available" in missing.describe()


@pytest.mark.skipif(not BWRAP.isolated, reason=BWRAP.detail)
def test_bubblewrap_shows_no_host_file_socket_or_environment(tmp_path: Path) -> None:
    """Attack: read the runner's files, reach its sockets, write outside the copy. All fail."""
    marker = f"codegen-marker-{os.getpid()}-{time.monotonic_ns()}"
    work_folder = Path(__file__).resolve().parents[2]  # a runner's work folder: codegen's own
    planted = [
        Path.home() / f".{marker}",
        Path(tempfile.gettempdir()) / marker,
        work_folder / f".{marker}",
    ]
    socket_path = work_folder / f".{marker[-20:]}.sock"
    outside = [work_folder / f".{marker}.written", Path.home() / f".{marker}.written"]
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(socket_path))
    server.listen()
    server.settimeout(0.1)
    try:
        for path in planted:
            path.write_text(marker, encoding="utf-8")
        script = _script(
            tmp_path,
            f"""
            import os, socket
            seen = []
            for path in {[str(p) for p in planted]!r} + ["/proc/1/environ"]:
                try:
                    seen.append(open(path, "rb").read().decode(errors="replace"))
                except OSError as error:
                    seen.append(type(error).__name__)
            try:
                client = socket.socket(socket.AF_UNIX)
                client.connect({str(socket_path)!r})
                seen.append("connected")
            except OSError as error:
                seen.append(type(error).__name__)
            for path in {[str(p) for p in outside]!r}:
                try:
                    open(path, "w").write("x")
                    seen.append("wrote")
                except OSError as error:
                    seen.append(type(error).__name__)
            print(";".join(s.replace(";", ",") for s in seen))
            """,
        )
        environment = {**os.environ, "GITHUB_TOKEN": TOKEN}
        sandbox = Sandbox((script.parent,), environment, BWRAP)
        result = sandbox.run([sys.executable, str(script)], script.parent, 60)
        assert result.returncode == 0, result.stderr
        seen = result.stdout.strip().split(";")
        assert marker not in result.stdout + result.stderr
        assert seen[:3] == ["FileNotFoundError"] * 3, seen
        assert TOKEN not in seen[3] and "GITHUB_TOKEN" not in seen[3]
        assert seen[4] in ("FileNotFoundError", "ConnectionRefusedError"), seen
        for path, outcome in zip(outside, seen[5:], strict=True):
            # A checkout under /tmp (as CI's may be) is written to in the sandbox's own private
            # /tmp, which vanishes with it: what matters is that the host's file never appears.
            private = path.is_relative_to(tempfile.gettempdir())
            refused = outcome in ("FileNotFoundError", "OSError", "PermissionError")
            assert refused or (private and outcome == "wrote"), seen
        with pytest.raises(TimeoutError):
            server.accept()
        assert not any(path.exists() for path in outside)
    finally:
        server.close()
        for path in [*planted, *outside, socket_path]:
            path.unlink(missing_ok=True)
