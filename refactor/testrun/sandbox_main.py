"""The program that runs INSIDE the sandbox: pytest (or a probe of example calls) under coverage.

It is started as a script by the interpreter that runs the repository's tests, so it imports
nothing of codegen: only the standard library, coverage, pytest and (for the probe's property
tests) Hypothesis. It reads a JSON spec, writes `result.json` and `progress.log` to the spec's
`out` folder, and exits.

With a `guard`, the code it runs is watched: an audit hook blocks and records sockets, processes,
sleeps and writes outside the temporary folders; the environment records reads of variables; a
timer stops each test run that takes too long, and a watchdog ends the process if even that
does not work, leaving the test in flight in `progress.log`. Each event is charged to the test
(or example call) whose code is on the stack.
"""

from __future__ import annotations

import ast
import faulthandler
import json
import math
import os
import re
import signal
import site
import sys
import sysconfig
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from _pytest.runner import runtestprotocol

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

        time.sleep = sleep

    # --- attribution ------------------------------------------------------------------------

    def _kind(self, filename: str) -> str:
        if filename.startswith(self.libraries):
            return "library"
        if filename.startswith(self.stdlib):
            return "stdlib"
        return "repo" if filename.startswith(self.root) else "library"

    def _repo_on_stack(self) -> bool:
        frame = sys._getframe(2)
        while frame is not None:
            if frame.f_code.co_filename.startswith(self.root):
                return True
            frame = frame.f_back
        return False

    def _repo_called(self) -> bool:
        """Whether the nearest caller outside the standard library is the repository's code."""
        frame = sys._getframe(2)
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
        """Charge events to `owner`; stop it after `timeout` s; end the process if it hangs on."""
        self.owner = owner
        self.progress.write(f"start\t{owner}\n")
        self.progress.flush()
        if timeout:
            signal.signal(signal.SIGALRM, _raise_timeout)
            signal.setitimer(signal.ITIMER_REAL, timeout)
            # The watchdog is a C thread: it ends the process even if the test swallows the
            # timer's exception or holds the GIL, and the progress log names the culprit.
            faulthandler.dump_traceback_later(timeout * 2 + 1, exit=True, file=self.progress)
        try:
            yield
        finally:
            if timeout:
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

    def pytest_sessionstart(self, session: Any) -> None:
        """Configure Hypothesis once pytest has loaded it (earlier, its import is not rewritten)."""
        if self.guard is not None:
            _quiet_hypothesis()

    def _is_candidate(self, nodeid: str) -> bool:
        return self.guard is not None and nodeid.split("::", 1)[0] in self.candidates

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: Any) -> Any:
        """Watch the import of a candidate test module too (module-level code runs then)."""
        if isinstance(collector, pytest.Module) and self._is_candidate(collector.nodeid):
            assert self.guard is not None
            with self.guard.owning(collector.nodeid, self.timeout):
                return (yield)
        return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: Any, nextitem: Any) -> Any:
        """Charge the coverage of each test to a context named by its node id."""
        self.cov.switch_context(item.nodeid)
        self.run = 0
        try:
            return (yield)
        finally:
            self.cov.switch_context("")

    def pytest_runtest_logreport(self, report: Any) -> None:
        """Fold the setup, call and teardown reports of one run into its outcome."""
        runs = self.outcomes.setdefault(report.nodeid, [])
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

    def pytest_collectreport(self, report: Any) -> None:
        """Remember modules that failed to import, with pytest's message."""
        if report.failed:
            self.collect_errors[report.nodeid] = _short(report.longreprtext or "")


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
            with plugin.guard.owning(item.nodeid, plugin.timeout):
                # nextitem=None tears everything down, so the next run starts from scratch.
                runtestprotocol(item, log=True, nextitem=nextitem if last else None)
            if plugin.outcomes.get(item.nodeid, [{}])[-1].get("outcome") != "passed":
                break  # N runs *in a row*: the first failure decides, the rest would be wasted
        item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        return True


def _short(text: str, limit: int = 1500) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    tail = "\n".join(lines[-12:])
    return tail[-limit:]


def run_pytest(spec: dict[str, Any], guard: Guard | None) -> dict[str, Any]:
    """Run pytest under coverage as the spec says and return what the result file holds."""
    import coverage  # noqa: PLC0415

    out = Path(spec["out"])
    cov = coverage.Coverage(
        data_file=str(out / ".coverage"),
        branch=True,
        include=spec["cover"] or ["__none__"],
        config_file=False,
    )
    cov.start()
    plugin = Plugin(spec, cov, guard)
    try:
        exit_code = int(pytest.main(list(spec["pytest_args"]), plugins=[plugin, Repeater(plugin)]))
    finally:
        cov.stop()
        cov.save()
    if guard is not None:
        guard.owner = None
    return {
        "exit_code": exit_code,
        "outcomes": plugin.outcomes,
        "collect_errors": plugin.collect_errors,
        "violations": guard.violations if guard else {},
        "writes": guard.writes if guard else {},
        "coverage": summarize_coverage(cov, spec["cover"]),
    }


def _quiet_hypothesis() -> None:
    """No example database in the sandbox: it would leave `.hypothesis/` behind.

    Running a unittest-style test again makes a new TestCase instance, which Hypothesis would
    take for a different executor: an artefact of the repeated runs, so that check is off.
    """
    try:
        from hypothesis import HealthCheck, settings  # noqa: PLC0415
    except ImportError:
        return
    settings.register_profile(
        "codegen-sandbox", database=None, suppress_health_check=[HealthCheck.differing_executors]
    )
    settings.load_profile("codegen-sandbox")


def summarize_coverage(cov: Any, files: list[str]) -> dict[str, Any]:
    """For each file: its statements, its branch arcs, and the lines and arcs each context ran."""
    from coverage.config import DEFAULT_EXCLUDE  # noqa: PLC0415
    from coverage.parser import PythonParser  # noqa: PLC0415

    data = cov.get_data()
    measured = set(data.measured_files())
    summary: dict[str, Any] = {}
    for path in files:
        try:
            parser = PythonParser(filename=path, exclude="|".join(DEFAULT_EXCLUDE))
            parser.parse_source()
        except Exception as error:  # a file coverage cannot parse is reported, not fatal
            summary[path] = {"error": str(error)}
            continue
        exits = parser.exit_counts()
        branches = sorted(arc for arc in parser.arcs() if exits.get(arc[0], 0) > 1)
        contexts: dict[str, dict[str, list[Any]]] = {}
        if path in measured:
            by_line = data.contexts_by_lineno(path)
            names = sorted({name for found in by_line.values() for name in found})
            for name in names:
                data.set_query_contexts([f"^{re.escape(name)}$"])
                contexts[name] = {
                    "lines": sorted(data.lines(path) or []),
                    "arcs": sorted(data.arcs(path) or []),
                }
            data.set_query_contexts(None)
        summary[path] = {
            "statements": sorted(parser.statements),
            "branches": branches,
            "contexts": contexts,
        }
    return summary


# --- the probe: observe example calls, and ask Hypothesis's ghostwriter for property tests ----


def run_probe(spec: dict[str, Any], guard: Guard) -> dict[str, Any]:
    """Import each target, run its example calls twice under the guard, and write property tests."""
    import coverage  # noqa: PLC0415

    _quiet_hypothesis()
    probe = spec["probe"]
    results: dict[str, Any] = {}
    cov = coverage.Coverage(
        data_file=str(Path(spec["out"]) / ".coverage"),
        branch=True,
        include=spec.get("cover") or ["__none__"],
        config_file=False,
    )
    cov.start()
    try:
        _probe_targets(probe, results, guard, cov)
    finally:
        cov.stop()
        cov.save()
    return {
        "targets": results,
        "violations": guard.violations,
        "coverage": summarize_coverage(cov, spec.get("cover", [])),
    }


def _probe_targets(probe: dict[str, Any], results: dict[str, Any], guard: Guard, cov: Any) -> None:
    import importlib  # noqa: PLC0415

    for target in probe["targets"]:
        key = target["key"]
        entry: dict[str, Any] = {"examples": [], "property": None, "error": None}
        results[key] = entry
        try:
            with guard.owning(f"import:{key}", probe["timeout"]):
                module = importlib.import_module(target["module"])
                obj: Any = module
                for part in target["qualname"].split("."):
                    obj = getattr(obj, part)
        except (Exception, TestTimeout) as error:
            entry["error"] = f"cannot import {target['module']}: {type(error).__name__}: {error}"
            continue
        head = target["qualname"].split(".")[0]
        namespace = {head: getattr(module, head)}
        for call in target["calls"]:
            cov.switch_context(f"call:{key}:{call}")
            try:
                entry["examples"].append(
                    _observe(call, namespace, module, guard, key=key, timeout=probe["timeout"])
                )
            finally:
                cov.switch_context("")
        if target.get("ghostwriter"):
            entry["property"] = _ghostwrite(
                obj, module, target["ghostwriter"], guard, key=key, timeout=probe["timeout"]
            )


def _observe(
    call: str, namespace: dict[str, Any], module: Any, guard: Guard, *, key: str, timeout: float
) -> dict[str, Any]:
    """Evaluate `call` twice; keep a result that is a literal and the same both times."""
    owner = f"call:{key}:{call}"
    seen: list[tuple[str, str]] = []
    for _ in range(2):
        try:
            with guard.owning(owner, timeout):
                value = eval(
                    call, {"__builtins__": __builtins__, **namespace}
                )  # the sandbox is why this is fine
            seen.append(("value", _literal(value)))
        except TestTimeout:
            return {"call": call, "problem": f"did not finish within {timeout:g}s"}
        except Exception as error:
            seen.append(("raises", _exception_name(error, module)))
    problems = guard.violations.pop(owner, [])
    if problems:
        return {"call": call, "problem": problems[0]}
    if seen[0] != seen[1]:
        return {"call": call, "problem": "returned different results on two calls"}
    kind, text = seen[0]
    if kind == "value" and text == "":
        return {"call": call, "problem": "returned a value that is not a Python literal"}
    return {"call": call, kind: text}


def _literal(value: object) -> str:
    """`repr(value)` when it reads back as an equal value of the same type, else ``""``."""
    text = repr(value)
    if len(text) > 300:
        return ""
    try:
        back = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return ""
    if type(back) is not type(value):
        return ""
    if isinstance(value, float) and math.isnan(value):  # NaN never equals itself
        return ""
    return text if back == value else ""


def _exception_name(error: BaseException, module: Any) -> str:
    """The exception's name when a test can name it: a builtin, or a name in the module."""
    kind = type(error)
    import builtins  # noqa: PLC0415

    if getattr(builtins, kind.__name__, None) is kind:
        return kind.__name__
    if getattr(module, kind.__name__, None) is kind:
        return f"{module.__name__}.{kind.__name__}"
    return ""


def _ghostwrite(
    obj: Any, module: Any, options: dict[str, Any], guard: Guard, *, key: str, timeout: float
) -> dict[str, Any]:
    try:
        from hypothesis.extra import ghostwriter  # noqa: PLC0415
    except ImportError as error:
        return {"problem": f"Hypothesis's ghostwriter is not available: {error}"}
    import builtins  # noqa: PLC0415

    except_ = tuple(
        found
        for name in options.get("except", [])
        if isinstance(found := getattr(builtins, name, None) or getattr(module, name, None), type)
        and issubclass(found, Exception)
    )
    try:
        with guard.owning(f"ghostwrite:{key}", timeout * 5):
            text = ghostwriter.magic(obj, except_=except_, style=options.get("style", "pytest"))
    except (Exception, TestTimeout) as error:
        return {"problem": f"the ghostwriter failed: {type(error).__name__}: {error}"}
    if "st.nothing()" in text:
        return {"problem": "the parameter types do not say what values to generate"}
    return {"text": text}


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
    sys.exit(main(sys.argv))
