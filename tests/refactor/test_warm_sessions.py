"""Sessions forked from a warm sandboxed parent: one parent, fresh imports, leftovers, timeouts.

And no process of one session outlives it (daemons, a killed parent, ptrace).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import textwrap
from pathlib import Path

import pytest

from codegen_bot.refactor.sandbox.process import Isolation, Limits, Sandbox, detect_isolation
from codegen_bot.refactor.sandbox.runner import RunResult, TestRunner
from codegen_bot.refactor.sandbox.warm import WarmSessions, warm_sessions
from codegen_bot.refactor.testing.coverage_data import covering_tests

BWRAP = detect_isolation()
MODES = [
    pytest.param(
        BWRAP, id="bubblewrap", marks=pytest.mark.skipif(not BWRAP.isolated, reason=BWRAP.detail)
    ),
    pytest.param(Isolation("none", "turned off for this test"), id="fallback"),
]


def _runner(tmp_path: Path, isolation: Isolation, files: dict[str, str]) -> TestRunner:
    tree = tmp_path / "tree"
    for name, text in files.items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text(textwrap.dedent(text), encoding="utf-8")
    sandbox = Sandbox((), dict(os.environ), isolation, Limits(wall_seconds=300))
    return TestRunner(tree, tmp_path / "work", sandbox, sys.executable, (str(tree),))


# Each session's test says which process forked it and whether it saw another session's import.
SPY = """
import os, sys

def test_spy():
    seen = "pkg.flag" in sys.modules
    import pkg.flag
    with open(os.path.join(os.environ["TMPDIR"], "parent"), "w") as out:
        out.write(f"{os.getppid()} {seen}")
"""
#: Two sessions' tests and the package the first one imports.
SPY_TREE = {"pkg/__init__.py": "", "pkg/flag.py": "", "test_a.py": SPY, "test_b.py": SPY}


@pytest.mark.parametrize("isolation", MODES)
def test_sessions_fork_from_one_parent_and_share_no_imports(
    tmp_path: Path, isolation: Isolation
) -> None:
    runner = _runner(tmp_path, isolation, SPY_TREE)
    with WarmSessions(runner):
        first = runner.pytest(["test_a.py"], [], 120)
        second = runner.pytest(["test_b.py"], [], 120)
    assert first.completed and second.completed, first.output + second.output
    assert first.exit_code == 0 and second.exit_code == 0
    folders = sorted((tmp_path / "work").glob("warm1/run*/tmp/parent"))
    assert len(folders) == 2  # both sessions ran in the one warm parent's folder
    (parent_a, seen_a), (parent_b, seen_b) = (f.read_text().split() for f in folders)
    assert parent_a == parent_b  # forked by the same warm parent, not started cold
    assert seen_a == seen_b == "False"  # the first session's import did not reach the second


@pytest.mark.parametrize("isolation", MODES)
def test_an_early_parent_starts_on_entry_and_runs_the_later_sessions(
    tmp_path: Path, isolation: Isolation
) -> None:
    runner = _runner(tmp_path, isolation, SPY_TREE)
    with warm_sessions(runner, early=True):
        # Started before any session asked for it: it warms up while the host works.
        assert (tmp_path / "work" / "warm1" / "empty").is_dir()
        assert not list((tmp_path / "work" / "warm1").glob("run*"))
        first = runner.pytest(["test_a.py"], [], 120)
        second = runner.pytest(["test_b.py"], [], 120)
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    folders = sorted((tmp_path / "work").glob("warm*/run*/tmp/parent"))
    assert [f.parts[-4] for f in folders] == ["warm1", "warm1"]  # the early parent ran both
    (parent_a, _), (parent_b, _) = (f.read_text().split() for f in folders)
    assert parent_a == parent_b
    assert runner.launcher is None  # the block gave the runner back its cold sessions


@pytest.mark.parametrize("isolation", MODES)
def test_leftovers_are_found_and_a_hung_session_does_not_take_the_next(
    tmp_path: Path, isolation: Isolation
) -> None:
    runner = _runner(
        tmp_path,
        isolation,
        {
            "test_writes.py": """
                def test_writes():
                    open("left_behind.txt", "w").write("x")
            """,
            "test_hangs.py": """
                import time

                def test_hangs():
                    time.sleep(600)
            """,
            "test_fine.py": "def test_fine():\n    assert 1 + 1 == 2\n",
        },
    )
    guard = {"runs": 1, "timeout": 60}
    with WarmSessions(runner):
        writes = runner.pytest(["test_writes.py"], [], 120, {**guard, "candidates": []})
        hangs = runner.pytest(["test_hangs.py"], [], 15, {**guard, "candidates": []})
        fine = runner.pytest(["test_fine.py"], [], 120, {**guard, "candidates": []})
    assert writes.completed and "left_behind.txt" in writes.leftovers
    assert not hangs.completed and hangs.timed_out
    assert hangs.in_flight is None or "test_hangs" in hangs.in_flight
    # The parent killed the hung session (and all it started) and ran the next one itself.
    assert fine.completed and fine.exit_code == 0, fine.output
    assert [o.outcome for o in fine.outcomes["test_fine.py::test_fine"]] == ["passed"]
    assert len(list((tmp_path / "work").glob("warm1/run*"))) == 3
    assert not (tmp_path / "work" / "warm2").exists()


@pytest.mark.parametrize("isolation", MODES)
def test_only_collects_what_the_projects_own_arguments_collect(
    tmp_path: Path, isolation: Isolation
) -> None:
    runner = _runner(
        tmp_path,
        isolation,
        {
            "pytest.ini": "[pytest]\ntestpaths = tests\npython_files = check_*.py\n",
            "tests/check_kept.py": "def test_kept():\n    pass\n",
            "tests/check_other.py": "def test_other():\n    raise AssertionError\n",
            "tests/test_named_wrong.py": "def test_wrong():\n    pass\n",
            "bench/check_decoy.py": "def test_decoy():\n    pass\n",
        },
    )
    with WarmSessions(runner):
        kept = runner.pytest([], [], 120, only=["tests/check_kept.py"])
        wrong = runner.pytest([], [], 120, only=["tests/test_named_wrong.py"])
        decoy = runner.pytest([], [], 120, only=["bench/check_decoy.py"])
    assert list(kept.outcomes) == ["tests/check_kept.py::test_kept"]  # nothing else ran
    assert "tests/check_kept.py" in kept.collectors
    assert not wrong.outcomes and "tests/test_named_wrong.py" not in wrong.collectors
    assert not decoy.outcomes and "bench/check_decoy.py" not in decoy.collectors


# The pull request's own suite runs in a forked child: it tries to answer the host for its
# parent ("done 0" on every pipe it holds), then keeps running, so that the host would read its
# results before it wrote them and take the parent's real answer for the next session's.
FORGER = """
import os, time

def test_forges_the_parents_answer():
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2:
            try:
                if os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:"):
                    os.write(fd, b"done 0\\n")
            except OSError:
                pass
    time.sleep(3)
"""


@pytest.mark.parametrize("isolation", MODES)
def test_a_session_cannot_answer_for_the_parent(tmp_path: Path, isolation: Isolation) -> None:
    runner = _runner(
        tmp_path,
        isolation,
        {"test_forger.py": FORGER, "test_fine.py": "def test_fine():\n    assert 1 + 1 == 2\n"},
    )
    with WarmSessions(runner):
        forger = runner.pytest(["test_forger.py"], [], 120)
        fine = runner.pytest(["test_fine.py"], [], 120)
    # Each session's answer is its own: the forger's results were read after it ended, and the
    # next session ran and was read in its turn.
    forged = "test_forger.py::test_forges_the_parents_answer"
    assert forger.completed and list(forger.outcomes) == [forged], forger.output
    assert fine.completed and list(fine.outcomes) == ["test_fine.py::test_fine"], fine.output


# The pull request's code leaves a daemon behind (an intermediate process starts it in a session
# of its own and exits: it hangs from no session's tree). During a later session it stops that
# session's process, writes a forged result into its results folder and kills it.
DAEMON = """
import glob, json, os, signal, sys, time

marker, tree, batch, own_run, spared = sys.argv[1:6]
forged = {"exit_code": 0, "outcomes": {"test_later.py::test_forged": [
    {"outcome": "passed", "seconds": 0.0, "message": None, "timeout": False}]}}
deadline = time.monotonic() + 240
while time.monotonic() < deadline:
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) in (os.getpid(), int(spared)):
            continue
        try:
            command = open(f"/proc/{name}/cmdline", "rb").read()
            cwd = os.readlink(f"/proc/{name}/cwd")
        except OSError:
            continue
        args = command.split(b"\\0")  # an interpreter running sandbox_main.py, not bwrap
        if len(args) > 2 and args[1].endswith(b"sandbox_main.py") and cwd == tree:
            os.kill(int(name), signal.SIGSTOP)
            for spec in glob.glob(os.path.join(batch, "run*", "spec.json")):
                if os.path.dirname(spec) != own_run:
                    with open(os.path.join(os.path.dirname(spec), "result.json"), "w") as out:
                        json.dump(forged, out)
            os.kill(int(name), signal.SIGKILL)
            sys.exit(0)
    time.sleep(0.01)
"""

PLANTER = """
import os, subprocess, sys

DAEMON = {daemon!r}

def test_plants_a_daemon():
    run = os.path.dirname(os.environ["TMPDIR"])
    argv = [sys.executable, "-c", DAEMON, {marker!r}, os.getcwd(), os.path.dirname(run), run,
            str(os.getpid())]
    starter = "import subprocess, sys; subprocess.Popen(sys.argv[1:], start_new_session=True,"
    starter += " stdin=-3, stdout=-3, stderr=-3)"
    subprocess.run([sys.executable, "-c", starter, *argv], check=True)
    {then}
"""

# The later session looks for the daemon itself, in what it can see of the processes.
LATER = """
import os

def test_later():
    seen = []
    for name in os.listdir("/proc"):
        try:
            if name.isdigit() and {marker!r}.encode() in open(f"/proc/{{name}}/cmdline", "rb").read():
                seen.append(name)
        except OSError:
            pass
    assert not seen, seen
"""


def _daemons(marker: str) -> list[int]:
    """Host processes carrying `marker` (a daemon that escaped the sandbox's namespaces)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            pass
    return found


def _planted(tmp_path: Path, isolation: Isolation, then: str = "pass") -> tuple[TestRunner, str]:
    marker = f"codegen-daemon-{tmp_path.name}-{os.getpid()}"
    planter = PLANTER.format(daemon=DAEMON, marker=marker, then=then)
    files = {"test_plant.py": planter, "test_later.py": LATER.format(marker=marker)}
    return _runner(tmp_path, isolation, files), marker


def _assert_own_result(later: RunResult) -> None:
    assert later.completed and later.exit_code == 0, later.output
    assert {k: [o.outcome for o in v] for k, v in later.outcomes.items()} == {
        "test_later.py::test_later": ["passed"]
    }


@pytest.mark.parametrize("isolation", MODES)
@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
def test_a_daemon_a_session_leaves_is_gone_before_the_next_session(
    tmp_path: Path, isolation: Isolation, warm: bool
) -> None:
    runner, marker = _planted(tmp_path, isolation)
    try:
        with warm_sessions(runner) if warm else contextlib.nullcontext(runner):
            planted = runner.pytest(["test_plant.py"], [], 120)
            gone_before_the_next = not _daemons(marker)
            later = runner.pytest(["test_later.py"], [], 120)
    finally:
        left = _daemons(marker)
        for pid in left:
            os.kill(pid, signal.SIGKILL)
    assert planted.completed and planted.exit_code == 0, planted.output
    _assert_own_result(later)  # neither forged nor killed: no daemon saw it
    assert gone_before_the_next and not left
    if warm:  # one parent ran both sessions: it swept up after the first and served on
        assert len(list((tmp_path / "work").glob("warm1/run*"))) == 2


@pytest.mark.skipif(not BWRAP.isolated, reason=BWRAP.detail)
def test_a_session_that_kills_its_parent_takes_its_daemon_down_with_the_sandbox(
    tmp_path: Path,
) -> None:
    # Without bubblewrap a daemon whose parent was killed lives on (the run's isolation note
    # says so); with it, the parent's death ends the namespace and all in it.
    then = "import signal; os.kill(os.getppid(), signal.SIGKILL)"
    runner, marker = _planted(tmp_path, BWRAP, then)
    with WarmSessions(runner):
        planted = runner.pytest(["test_plant.py"], [], 120)
        later = runner.pytest(["test_later.py"], [], 120)
    assert not planted.completed  # its parent died: its own results are void
    _assert_own_result(later)
    assert (tmp_path / "work" / "warm2").is_dir()  # the later session got a fresh sandbox
    assert not _daemons(marker)


PTRACER = """
import ctypes, errno, os

def test_reaches_for_the_parent():
    libc = ctypes.CDLL(None, use_errno=True)
    attached = libc.ptrace(16, os.getppid(), 0, 0)  # PTRACE_ATTACH
    denied = attached == -1 and ctypes.get_errno() == errno.EPERM
    try:
        open(f"/proc/{os.getppid()}/mem", "rb").close()
        memory = "readable"
    except PermissionError:
        memory = "denied"
    try:  # the parent's answers to the host, through /proc rather than an inherited copy
        with open(f"/proc/{os.getppid()}/fd/1", "w") as answers:
            answers.write("done 0\\n")
        pipe = "writable"
    except PermissionError:
        pipe = "denied"
    with open(os.path.join(os.environ["TMPDIR"], "reach"), "w") as out:
        out.write(f"{denied} {memory} {pipe}")
"""


@pytest.mark.skipif(not BWRAP.isolated, reason=BWRAP.detail)
def test_a_session_can_neither_trace_nor_read_its_parent(tmp_path: Path) -> None:
    runner = _runner(tmp_path, BWRAP, {"test_ptrace.py": PTRACER})
    with WarmSessions(runner):
        reached = runner.pytest(["test_ptrace.py"], [], 120)
    assert reached.completed and reached.exit_code == 0, reached.output
    (found,) = (tmp_path / "work").glob("warm1/run*/tmp/reach")
    assert found.read_text() == "True denied denied"


# The test says whether a tracer (coverage's) watched it.
TRACED = """
import os, sys

import pkg.mod

def test_traced():
    assert pkg.mod.double(2) == 4
    with open(os.path.join(os.environ["TMPDIR"], "tracer"), "w") as out:
        out.write(type(sys.gettrace()).__name__)
"""


@pytest.mark.parametrize("isolation", MODES)
def test_a_session_with_nothing_to_cover_runs_without_coverage(
    tmp_path: Path, isolation: Isolation
) -> None:
    runner = _runner(
        tmp_path,
        isolation,
        {
            "pkg/__init__.py": "",
            "pkg/mod.py": "def double(x):\n    return 2 * x\n",
            "test_traced.py": TRACED,
        },
    )
    with warm_sessions(runner):
        proof = runner.pytest(["test_traced.py"], [], 120)  # a nightly proof: pass or fail only
        measured = runner.pytest(["test_traced.py"], ["pkg/mod.py"], 120)  # a baseline
    assert proof.exit_code == 0 and measured.exit_code == 0, proof.output + measured.output
    (proof_tracer,) = (tmp_path / "work").glob("warm1/run1/tmp/tracer")
    (measured_tracer,) = (tmp_path / "work").glob("warm1/run2/tmp/tracer")
    assert proof_tracer.read_text() == "NoneType" and proof.coverage == {}
    assert measured_tracer.read_text() == "CTracer"
    covered = measured.coverage["pkg/mod.py"]
    assert covering_tests(covered, 1, 2) == {"test_traced.py::test_traced"}
