"""Ctrl-C and SIGTERM sent to a real `codegen` while the repository's suite runs without bubblewrap.

Nothing may outlive codegen: the suite's process is killed and the scratch copy removed. The
tests wait for conditions (polling with generous limits), never for a fixed time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.bot.tests_task_repo import BASE, BASE_TEST, PYPROJECT, THREE_NEW

#: A test of the repository's own suite that says it started (with its pid), then runs on.
ENDLESS = """\
import os
import time


def test_runs_on():
    with open({started!r}, "w") as sink:
        sink.write(str(os.getpid()))
    while True:
        with open({beat!r}, "w") as sink:
            sink.write(str(time.time()))
        time.sleep(0.2)
"""
LIMIT = 600.0  # seconds: generous, for a busy machine; the conditions come much sooner


def wait_for(condition, what: str) -> None:
    """Poll `condition` until it holds; fail after LIMIT seconds."""
    deadline = time.monotonic() + LIMIT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting: {what}")
        time.sleep(0.1)


def alive(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return status.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.parametrize(
    ("sent", "exit_code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
def test_a_signal_leaves_no_test_run_and_no_scratch_copy(
    make_repo, tmp_path: Path, sent: signal.Signals, exit_code: int
) -> None:
    started, beat = tmp_path / "started", tmp_path / "beat"
    scratch_root = tmp_path / "scratch"
    scratch_root.mkdir()
    repo = make_repo()
    base = repo.commit(
        {
            "pyproject.toml": PYPROJECT,
            "shop/__init__.py": "",
            "shop/money.py": BASE,
            "tests/test_money.py": BASE_TEST,
            "tests/test_endless.py": ENDLESS.format(started=str(started), beat=str(beat)),
        },
        "base",
    )
    repo.commit({"shop/money.py": BASE + THREE_NEW}, "head")
    command = [sys.executable, "-m", "codegen_bot.bot.cli", "review", "--repo", str(repo.path)]
    command += ["--base", base, "--tasks", "tests", "--isolation", "none", "--format", "json"]
    codegen = subprocess.Popen(
        command,
        env={**os.environ, "TMPDIR": str(scratch_root)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a shell's foreground job has
        preexec_fn=_as_a_foreground_job,  # noqa: PLW1509 - the test starts no threads
    )
    try:
        wait_for(lambda: started.exists() and started.read_text().isdigit(), "the suite started")
        suite = int(started.read_text())
        assert alive(suite) and any(scratch_root.glob("codegen-tests-*"))
        # Ctrl-C in a terminal signals the foreground process group: codegen's.
        os.killpg(codegen.pid, sent)
        _, stderr = codegen.communicate(timeout=LIMIT)
    finally:
        if codegen.poll() is None:
            codegen.kill()
            codegen.wait()
    assert codegen.returncode == exit_code, stderr
    assert stderr.strip().splitlines()[-1] in ("codegen: interrupted", "codegen: terminated")
    assert not alive(suite), "the repository's suite outlived codegen"
    assert list(scratch_root.glob("codegen-*")) == [], "the scratch copy was left behind"


NIGHTLY_PYPROJECT = """\
[project]
name = "shop"
version = "0.1.0"

[tool.codegen.nightly]
extra_rules = ["RET"]
"""
SIGN = """\
def sign(x):
    if x > 0:
        return 1
    else:
        return -1
"""
SIGN_TEST = """\
from shop.money import sign


def test_sign():
    assert sign(2) == 1 and sign(-2) == -1
"""


def _as_a_foreground_job() -> None:
    """Ctrl-C as a terminal's foreground job gets it: a test suite started in the background of a
    shell without job control inherits SIGINT ignored, and codegen rightly keeps it so."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start_night(repo: Path, scratch_root: Path) -> subprocess.Popen[str]:
    """`codegen nightly` on `repo` as its own process group, its scratch under `scratch_root`."""
    command = [sys.executable, "-m", "codegen_bot.bot.cli", "nightly", "--repo", str(repo)]
    command += ["--date", "2024-05-01", "--isolation", "none", "--format", "json"]
    return subprocess.Popen(
        command,
        env={**os.environ, "TMPDIR": str(scratch_root)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def test_sigterm_during_a_night_leaves_no_warm_parent_suite_or_scratch_copy(
    make_repo, tmp_path: Path
) -> None:
    # The night's warm parent starts before anything is proposed; it must still die with codegen.
    started, beat = tmp_path / "started", tmp_path / "beat"
    scratch_root = tmp_path / "scratch"
    scratch_root.mkdir()
    repo = make_repo()
    repo.commit(
        {
            "pyproject.toml": NIGHTLY_PYPROJECT,
            "shop/__init__.py": "",
            "shop/money.py": SIGN,
            "tests/test_money.py": SIGN_TEST,
            "tests/test_endless.py": ENDLESS.format(started=str(started), beat=str(beat)),
        },
        "base",
    )
    codegen = _start_night(repo.path, scratch_root)
    try:
        wait_for(lambda: started.exists() and started.read_text().isdigit(), "the suite started")
        suite = int(started.read_text())
        warm_parent = int(Path(f"/proc/{suite}/stat").read_text().rsplit(")", 1)[1].split()[1])
        assert alive(suite) and alive(warm_parent)
        assert any(scratch_root.glob("codegen-refactor-*"))
        os.killpg(codegen.pid, signal.SIGTERM)
        _, stderr = codegen.communicate(timeout=LIMIT)
    finally:
        if codegen.poll() is None:
            codegen.kill()
            codegen.wait()
    assert codegen.returncode == 143, stderr
    assert stderr.strip().splitlines()[-1] == "codegen: terminated"
    assert not alive(suite), "the repository's suite outlived codegen"
    assert not alive(warm_parent), "the warm parent outlived codegen"
    assert list(scratch_root.glob("codegen-*")) == [], "the scratch copy was left behind"


#: A setuptools build that says it started (with its pid), then never ends.
HANGING_SETUP = """\
import os
import time

with open({started!r}, "w") as sink:
    sink.write(str(os.getpid()))
while True:
    time.sleep(0.2)
"""


def test_sigterm_while_a_nights_early_build_runs_leaves_no_build_or_scratch_copy(
    make_repo, tmp_path: Path
) -> None:
    # pyproject.toml declares a version file the copy lacks: the night starts building it with
    # the copy, before anything is proposed; the build must still die with codegen.
    started = tmp_path / "build-started"
    scratch_root = tmp_path / "scratch"
    scratch_root.mkdir()
    repo = make_repo()
    repo.commit(
        {
            "pyproject.toml": NIGHTLY_PYPROJECT
            + '\n[tool.setuptools_scm]\nwrite_to = "shop/_version.py"\n',
            "setup.py": HANGING_SETUP.format(started=str(started)),
            "shop/__init__.py": "",
            "shop/money.py": SIGN,
            "tests/test_money.py": SIGN_TEST,
        },
        "base",
    )
    codegen = _start_night(repo.path, scratch_root)
    try:
        wait_for(lambda: started.exists() and started.read_text().isdigit(), "the build started")
        build = int(started.read_text())
        assert alive(build) and any(scratch_root.glob("codegen-refactor-*"))
        os.killpg(codegen.pid, signal.SIGTERM)
        _, stderr = codegen.communicate(timeout=LIMIT)
    finally:
        if codegen.poll() is None:
            codegen.kill()
            codegen.wait()
    assert codegen.returncode == 143, stderr
    assert stderr.strip().splitlines()[-1] == "codegen: terminated"
    assert not alive(build), "the build outlived codegen"
    assert list(scratch_root.glob("codegen-*")) == [], "the scratch copy was left behind"
