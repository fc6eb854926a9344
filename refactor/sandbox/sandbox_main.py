"""The program that runs INSIDE the sandbox: pytest (or a probe of example calls) under coverage.

It is started as a script by the interpreter that runs the repository's tests, so it imports
nothing of codegen: only the standard library, coverage, pytest and (for the probe's property
tests) Hypothesis. It reads a JSON spec, writes `result.json` and `progress.log` to the spec's
`out` folder, and exits.

With a `guard` (`_codegen_guard.py`), the code it runs is watched; the probe of example calls
lives in `_codegen_probe.py`. Those sibling modules are imported from this file's folder before
it leaves `sys.path`, and their names cannot shadow the repository's own modules.

Given `--serve` instead of a spec, it stays warm: it runs pytest once in an empty folder (so
pytest, coverage and the interpreter's pytest plugins are imported and rewritten once, never
the repository's code), then reads one spec path per line on stdin and runs each in a forked
child of its own, answering `done` on stdout when that child and every process it started
have ended (`_codegen_reaper.py`). Children share nothing of each other's imports: each is
forked from the same warm parent.
"""

from __future__ import annotations

import json
import os
import posixpath
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from _codegen_coverage import quiet_hypothesis, summarize_coverage
from _codegen_guard import Guard
from _codegen_probe import run_probe
from _codegen_reaper import (
    adopt_orphans,
    sweep,
    traceable_again,
    untraceable,
    wait_within,
)
from _pytest.runner import runtestprotocol

# --- pytest ----------------------------------------------------------------------------------


class Plugin:
    """Per-test coverage contexts, outcomes per run, and the guard around candidate tests."""

    def __init__(self, spec: dict[str, Any], cov: Any, guard: Guard | None) -> None:
        self.cov = cov
        self.guard = guard
        options = spec.get("guard") or {}
        self.candidates = set(options.get("candidates", []))
        self.runs = int(options.get("runs", 1))
        self.timeout = options.get("timeout")
        self.run = 0
        self.outcomes: dict[str, list[dict[str, Any]]] = {}
        self.collect_errors: dict[str, str] = {}
        self.collected: list[str] = []
        self.collectors: list[str] = []
        #: The rootdir's path in the worktree: node ids are told relative to the worktree.
        self.rootdir = str(spec.get("rootdir") or "")
        #: Files the session may collect (absolute paths), when the project's own arguments
        #: decide what is collected; None: the arguments name the files.
        only = spec.get("only")
        self.only = None if only is None else [str(Path(path)) for path in only]

    def tree_id(self, nodeid: str) -> str:
        """A node id relative to the worktree (pytest's is relative to its rootdir)."""
        if not self.rootdir or not nodeid:
            return nodeid
        path, sep, rest = nodeid.partition("::")
        return posixpath.normpath(posixpath.join(self.rootdir, path)) + sep + rest

    def pytest_sessionstart(self, session: Any) -> None:
        """Configure Hypothesis once pytest has loaded it (earlier, its import is not rewritten)."""
        if self.guard is not None:
            quiet_hypothesis()

    def _is_candidate(self, nodeid: str) -> bool:
        """Whether a node (by pytest's id) belongs to a candidate test file."""
        return self.guard is not None and self.tree_id(nodeid).split("::", 1)[0] in self.candidates

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: Any) -> Any:
        """Watch the import of a candidate test module too (module-level code runs then)."""
        if isinstance(collector, pytest.Module) and self._is_candidate(collector.nodeid):
            assert self.guard is not None
            with self.guard.owning(self.tree_id(collector.nodeid), self.timeout):
                return (yield)
        return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: Any, nextitem: Any) -> Any:
        """Charge the coverage of each test to a context named by its node id."""
        if self.cov is not None:
            self.cov.switch_context(self.tree_id(item.nodeid))
        self.run = 0
        try:
            return (yield)
        finally:
            if self.cov is not None:
                self.cov.switch_context("")

    def pytest_runtest_logreport(self, report: Any) -> None:
        """Fold the setup, call and teardown reports of one run into its outcome."""
        runs = self.outcomes.setdefault(self.tree_id(report.nodeid), [])
        if report.when == "setup" or not runs or len(runs) <= self.run:
            runs.append({"outcome": "passed", "seconds": 0.0, "message": None, "timeout": False})
        current = runs[-1]
        current["seconds"] += report.duration
        if report.failed:
            current["outcome"] = "failed" if report.when == "call" else "error"
            text = report.longreprtext or ""
            current["timeout"] = current["timeout"] or "TestTimeout" in text
            current["message"] = _short(text)
        elif report.skipped and current["outcome"] == "passed":
            current["outcome"] = "skipped"

    @pytest.hookimpl(tryfirst=True)
    def pytest_ignore_collect(self, collection_path: Path, config: Any) -> bool | None:
        """Prune everything but the way to the `only` files; pytest's rules decide the rest."""
        if self.only is None:
            return None
        path = str(collection_path)
        if any(path == file or file.startswith(path.rstrip("/") + "/") for file in self.only):
            return None
        return True

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: Any, items: list[Any]) -> None:
        """Run only the `only` files' tests, even where the arguments named other files."""
        if self.only is None:
            return
        kept = [item for item in items if str(item.path) in self.only]
        if len(kept) != len(items):
            config.hook.pytest_deselected(items=[i for i in items if i not in kept])
            items[:] = kept

    def pytest_collection_finish(self, session: Any) -> None:
        """Remember what the session collected (what a `--collect-only` run is asked for)."""
        self.collected = [self.tree_id(item.nodeid) for item in session.items]

    def pytest_collectreport(self, report: Any) -> None:
        """Remember modules that failed to import, with pytest's message."""
        if report.failed:
            self.collect_errors[self.tree_id(report.nodeid)] = _short(report.longreprtext or "")
        elif report.nodeid:
            self.collectors.append(self.tree_id(report.nodeid))


class Repeater:
    """Runs each candidate test `runs` times in a row, each run fully set up and torn down."""

    def __init__(self, plugin: Plugin) -> None:
        self.plugin = plugin

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: Any, nextitem: Any) -> bool | None:
        """Run a candidate `runs` times; other tests run the ordinary way."""
        plugin = self.plugin
        if not plugin._is_candidate(item.nodeid):
            return None
        assert plugin.guard is not None
        item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        for run in range(plugin.runs):
            plugin.run = run
            last = run == plugin.runs - 1
            cpu = time.process_time()
            with plugin.guard.owning(plugin.tree_id(item.nodeid), plugin.timeout):
                # nextitem=None tears everything down, so the next run starts from scratch.
                runtestprotocol(item, log=True, nextitem=nextitem if last else None)
            # CPU time decides the time gate: a busy machine stretches the wall, not the work.
            found = plugin.outcomes.get(plugin.tree_id(item.nodeid))
            if found:
                found[-1]["cpu_seconds"] = time.process_time() - cpu
            if (found or [{}])[-1].get("outcome") != "passed":
                break  # N runs *in a row*: the first failure decides, the rest would be wasted
        item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        return True


def _short(text: str, limit: int = 1500) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    tail = "\n".join(lines[-12:])
    return tail[-limit:]


def run_pytest(spec: dict[str, Any], guard: Guard | None) -> dict[str, Any]:
    """Run pytest under coverage as the spec says and return what the result file holds.

    With no file to cover (a proof that the suite still passes), coverage does not run at all:
    its tracer costs about as much with nothing to measure as with the targets.
    """
    import coverage  # noqa: PLC0415

    out = Path(spec["out"])
    cov = None
    if spec["cover"]:
        cov = coverage.Coverage(
            data_file=str(out / ".coverage"), branch=True, include=spec["cover"], config_file=False
        )
        cov.start()
    plugin = Plugin(spec, cov, guard)
    try:
        exit_code = int(pytest.main(list(spec["pytest_args"]), plugins=[plugin, Repeater(plugin)]))
    finally:
        if cov is not None:
            cov.stop()
            cov.save()
    if guard is not None:
        guard.owner = None
    return {
        "exit_code": exit_code,
        "outcomes": plugin.outcomes,
        "collect_errors": plugin.collect_errors,
        "collected": plugin.collected,
        "collectors": plugin.collectors,
        "violations": guard.violations if guard else {},
        "writes": guard.writes if guard else {},
        "coverage": summarize_coverage(cov, spec["cover"]) if cov is not None else {},
    }


# --- warm parent -----------------------------------------------------------------------------


def serve(empty: Path, whole_namespace: bool) -> int:
    """Warm up once in `empty`, then run each spec named on stdin in a forked child.

    Each line is `SPEC_PATH` or `SPEC_PATH<TAB>WALL_SECONDS`. After each child (killed when
    its wall time passed), every process it started is killed before the answer (`done CODE`
    or `timeout`) is written, so that nothing of one session is left when the host reads its
    results or the next session starts: below this process, or `whole_namespace` (alone in a
    PID namespace) every other process there. Where that cannot be made sure, the answer is
    `unclean` and the parent ends.
    """
    import coverage  # noqa: F401, PLC0415 - imported once here, for every child

    if not (adopt_orphans() and untraceable()):
        _answer("unsafe")
        return 1
    os.chdir(empty)
    with open(os.devnull, "w", encoding="utf-8") as quiet:
        saved = os.dup(1), os.dup(2)
        os.dup2(quiet.fileno(), 1)
        os.dup2(quiet.fileno(), 2)
        args = ["-q", "-p", "no:cacheprovider", f"--rootdir={empty}", f"--confcutdir={empty}"]
        pytest.main([*args, "-c", os.devnull, "--collect-only", str(empty)])
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        # A forked child inherits every descriptor: a spare copy of the host's pipe would let
        # the repository's code answer "done" for its parent.
        os.close(saved[0])
        os.close(saved[1])
    answer = "ready" if not sweep(whole_namespace) else "unclean"
    for line in _lines(answer):
        spec_path, _, wall = line.partition("\t")
        pid = os.fork()
        if pid == 0:
            traceable_again()
            os._exit(_child(Path(spec_path)))
        status = wait_within(pid, float(wall) if wall else None)
        if status is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        if sweep(whole_namespace):
            _answer("unclean")
            return 1
        _answer("timeout" if status is None else f"done {os.waitstatus_to_exitcode(status)}")
    return 0


def _lines(first_answer: str) -> Iterator[str]:
    """Answer `first_answer`, then yield each spec line from stdin (none after `unclean`)."""
    _answer(first_answer)
    if first_answer != "ready":
        return
    for line in sys.stdin:
        if line.strip():
            yield line.strip()


def _answer(text: str) -> None:
    sys.stdout.write(f"{text}\n")
    sys.stdout.flush()


def _child(spec_path: Path) -> int:
    """One forked session: its own folders, output and environment, nothing read from stdin."""
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    with open(os.devnull, encoding="utf-8") as nothing:
        os.dup2(nothing.fileno(), 0)
    with open(Path(spec["out"]) / "output.log", "w", encoding="utf-8") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - lives as long as the child
    os.environ.update(spec.get("env", {}))
    tempfile.tempdir = None  # TMPDIR changed: the next temporary file follows it
    os.chdir(spec["root"])
    try:
        return main(["", str(spec_path)])
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


# --- entry point -----------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    """Run the spec named by `argv[1]`; the result goes to `result.json` in its `out` folder."""
    spec = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    for path in reversed(spec.get("import_paths", [])):
        sys.path.insert(0, path)
    out = Path(spec["out"])
    started = time.perf_counter()
    with open(out / "progress.log", "a", encoding="utf-8") as progress:
        guard = None
        if spec.get("guard") is not None or spec["mode"] == "probe":
            guard = Guard(spec["root"], spec.get("temp_roots", []), progress)
            guard.install()
        runner: Callable[[], dict[str, Any]]
        if spec["mode"] == "probe":
            assert guard is not None
            runner = lambda: run_probe(spec, guard)  # noqa: E731
        else:
            runner = lambda: run_pytest(spec, guard)  # noqa: E731
        result = runner()
    result["seconds"] = time.perf_counter() - started
    if guard is not None:
        guard.owner = None
    (out / "result.json").write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    # This file's folder is sys.path[0]; it must not shadow the repository's own modules.
    sys.path.pop(0)
    if sys.argv[1] == "--serve":
        sys.exit(serve(Path(sys.argv[2]), whole_namespace="--own-pid-namespace" in sys.argv[3:]))
    # A cold run without a PID namespace of its own: what the tests started goes with it.
    adopt_orphans()
    try:
        sys.exit(main(sys.argv))
    finally:
        sweep(whole_namespace=False)
