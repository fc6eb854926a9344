"""The host side of a sandboxed test run: write the spec, start `sandbox_main.py`, read results.

Every run gets its own results folder (with its own TMPDIR, HOME and pytest basetemp) and may
write there and in the scratch worktree only. What the run left in the worktree or in its TMPDIR
is found by comparing listings taken before and after.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from codegen_bot.refactor.sandbox.process import Running, Sandbox, SandboxResult, redact
from codegen_bot.refactor.testing.coverage_data import FileCoverage, read_coverage

SANDBOX_MAIN = Path(__file__).with_name("sandbox_main.py")


@dataclass(frozen=True)
class TestOutcome:
    """One run of one test: passed, failed, error (setup/teardown) or skipped."""

    __test__ = False  # not a pytest test class, whatever its name

    outcome: str
    seconds: float
    message: str | None = None
    timeout: bool = False
    #: CPU seconds of the run (None: not measured); the time gate's measure.
    cpu_seconds: float | None = None


@dataclass(frozen=True)
class RunResult:
    """What one sandboxed session did, from its result file and the sandbox."""

    completed: bool
    exit_code: int | None
    outcomes: dict[str, tuple[TestOutcome, ...]] = field(default_factory=dict)
    collect_errors: dict[str, str] = field(default_factory=dict)
    #: Node ids of every test the session collected (in its order).
    collected: tuple[str, ...] = ()
    #: Node ids of the folders and modules it collected without an error.
    collectors: tuple[str, ...] = ()
    violations: dict[str, tuple[str, ...]] = field(default_factory=dict)
    writes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    coverage: dict[str, FileCoverage] = field(default_factory=dict)
    #: The test (or call) that started and never ended, when the session died.
    in_flight: str | None = None
    #: Files created, changed or deleted in the worktree or TMPDIR, relative to the worktree.
    leftovers: tuple[str, ...] = ()
    probe: dict[str, Any] = field(default_factory=dict)
    output: str = ""
    seconds: float = 0.0
    timed_out: bool = False

    @property
    def failed_tests(self) -> list[str]:
        """Node ids of tests with a run that failed or errored."""
        return [
            nodeid
            for nodeid, runs in self.outcomes.items()
            if any(run.outcome in ("failed", "error") for run in runs)
        ]


class Launcher(Protocol):
    """What starts sessions instead of a cold interpreter each (`sandbox.warm.WarmSessions`)."""

    def folder_parent(self) -> Path:
        """Where the next session's results folder goes (the only folder it may write)."""

    def launch(self, folder: Path, spec_path: Path, wall_seconds: float) -> SandboxResult:
        """Run the spec at `spec_path`, whose results go to `folder`, within `wall_seconds`."""


@dataclass
class TestRunner:
    """Runs sessions in one scratch worktree through one sandbox.

    `root` is the worktree, `work` a folder for results (both writable in the sandbox),
    `python` the interpreter that has pytest and coverage, `import_paths` what goes on sys.path
    (the worktree, or its `src`), `secrets` the values to strike from any output. `sandbox`
    is the job's one description (isolation, limits, hidden paths); each run sets its folders.
    """

    __test__ = False  # not a pytest test class, whatever its name

    root: Path
    work: Path
    sandbox: Sandbox
    python: str
    import_paths: tuple[str, ...]
    secrets: tuple[str, ...] = ()
    #: pytest's rootdir relative to `root` ("" for `root`); node ids come back relative to `root`.
    rootdir: str = ""
    #: While set, sessions (pytest and probe) are started by it rather than cold.
    launcher: Launcher | None = None
    _count: int = 0

    def __post_init__(self) -> None:
        self.root = self.root.resolve()
        self.work = self.work.resolve()

    def folder(self) -> Path:
        """A fresh results folder (`tmp`, `home`, `basetemp`), where its launcher wants it."""
        self._count += 1
        parent = self.launcher.folder_parent() if self.launcher is not None else self.work
        folder = parent / f"run{self._count}"
        folder.mkdir(parents=True)  # never one a run before made: it could hold a planted result
        for name in ("tmp", "home", "basetemp"):
            (folder / name).mkdir()
        (self.work / "hypothesis").mkdir(exist_ok=True)
        return folder

    def env(self, folder: Path) -> dict[str, str]:
        """The environment of a run whose folders are in `folder`."""
        env = dict(self.sandbox.env)
        env.update(
            TMPDIR=str(folder / "tmp"),
            HOME=str(folder / "home"),
            PYTHONDONTWRITEBYTECODE="1",
            PYTHONPATH=":".join(self.import_paths),
            PYTHONHASHSEED="0",
            PYTHONUTF8="1",
            # Shared by the job's runs: Hypothesis caches its Unicode tables there (seconds each).
            HYPOTHESIS_STORAGE_DIRECTORY=str(self.work / "hypothesis"),
        )
        env.pop("PYTEST_ADDOPTS", None)
        env.pop("PYTEST_PLUGINS", None)
        return env

    def pytest(
        self,
        args: Sequence[str],
        cover: Sequence[str],
        wall_seconds: float,
        guard: Mapping[str, Any] | None = None,
        only: Sequence[str] | None = None,
    ) -> RunResult:
        """Run pytest with `args` under coverage of `cover` (worktree-relative paths).

        With `guard` ({"candidates": [...], "runs": N, "timeout": s}), the candidate test files
        run N times each under the guard, and what they leave behind is listed. With `only`,
        see `pytest_spec`.
        """
        folder = self.folder()
        spec = self.pytest_spec(folder, args, cover, guard, only)
        before = listing(self.root, folder / "tmp") if guard is not None else {}
        around = {path.name for path in folder.parent.iterdir()}
        sandboxed = self._start(folder, spec, wall_seconds)
        result = self.read(folder, sandboxed)
        if guard is None:
            return result
        leftovers = changed(before, listing(self.root, folder / "tmp"))
        # A sibling folder (a warm parent's other sessions') is no place of this session's.
        strays = {path.name for path in folder.parent.iterdir()} - around - {folder.name}
        leftovers += tuple(f"{folder.parent.name}/{name}" for name in sorted(strays))
        return _replace(result, leftovers=leftovers)

    def pytest_spec(
        self,
        folder: Path,
        args: Sequence[str],
        cover: Sequence[str],
        guard: Mapping[str, Any] | None,
        only: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """The spec of one pytest session whose results go to `folder`.

        With `only` (worktree-relative files), `args` decide what is collected, as the
        project's own command would, but nothing outside those files is collected or run.
        """
        return {
            "mode": "pytest",
            "root": str(self.root),
            "out": str(folder),
            "import_paths": list(self.import_paths),
            "cover": [str(self.root / path) for path in cover],
            "only": None if only is None else [str(self.root / path) for path in only],
            "rootdir": self.rootdir,
            "pytest_args": [
                "-p",
                "no:cacheprovider",
                "-p",
                "no:cov",
                "-p",
                "no:xdist",
                "-p",
                "no:randomly",
                "--continue-on-collection-errors",
                f"--basetemp={folder / 'basetemp'}",
                f"--rootdir={self.root / self.rootdir}",
                "-q",
                *args,
            ],
            "guard": dict(guard) if guard is not None else None,
            "temp_roots": [
                str(folder / "tmp"),
                str(folder / "basetemp"),
                str(self.work / "hypothesis"),
            ],
            # What a warm parent's forked child sets for itself (a cold run gets it as its env).
            "env": {"TMPDIR": str(folder / "tmp"), "HOME": str(folder / "home")},
        }

    def probe(
        self,
        targets: Sequence[Mapping[str, Any]],
        cover: Sequence[str],
        timeout: float,
        wall_seconds: float,
    ) -> RunResult:
        """Observe example calls under coverage of `cover`, and ask for property tests.

        See `sandbox_main.run_probe`; each call's coverage context is `call:KEY:CALL`.
        """
        folder = self.folder()
        spec = {
            "mode": "probe",
            "root": str(self.root),
            "out": str(folder),
            "cover": [str(self.root / path) for path in cover],
            "import_paths": list(self.import_paths),
            "probe": {"targets": list(targets), "timeout": timeout},
            "temp_roots": [str(folder / "tmp"), str(self.work / "hypothesis")],
            "env": {"TMPDIR": str(folder / "tmp"), "HOME": str(folder / "home")},
        }
        return self.read(folder, self._start(folder, spec, wall_seconds))

    def new_folder(self) -> Path:
        """A fresh results folder (with its `tmp` and `home`), for `command`."""
        return self.folder()

    def command(
        self,
        argv: Sequence[str],
        folder: Path,
        wall_seconds: float,
        env: Mapping[str, str] | None = None,
    ) -> SandboxResult:
        """Run `argv` in `folder` (from `new_folder`), the only place it may write.

        The worktree stays read-only to it: a build step (pip) works on a copy in `folder`.
        """
        running = self.start_command(argv, folder, wall_seconds, env)
        return running if isinstance(running, SandboxResult) else running.wait()

    def start_command(
        self,
        argv: Sequence[str],
        folder: Path,
        wall_seconds: float,
        env: Mapping[str, str] | None = None,
    ) -> Running | SandboxResult:
        """`command`, started and not waited for: the caller waits for it or stops it."""
        sandbox = self.sandbox.writing((folder,), {**self.env(folder), **(env or {})})
        return sandbox.spawn(list(argv), folder, wall_seconds)

    def _start(self, folder: Path, spec: dict[str, Any], wall_seconds: float) -> SandboxResult:
        spec_path = folder / "spec.json"
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        if self.launcher is not None:
            return self.launcher.launch(folder, spec_path, wall_seconds)
        return self.cold(folder, spec_path, wall_seconds)

    def cold(self, folder: Path, spec_path: Path, wall_seconds: float) -> SandboxResult:
        """Run a spec in an interpreter of its own, started in the sandbox for it alone."""
        writable = (self.root, folder, self.work / "hypothesis")
        sandbox = self.sandbox.writing(writable, self.env(folder))
        return sandbox.run(
            [self.python, str(SANDBOX_MAIN), str(spec_path)], self.root, wall_seconds
        )

    def read(self, folder: Path, sandboxed: SandboxResult) -> RunResult:
        """What a session whose results went to `folder` did."""
        output = redact((sandboxed.stdout + sandboxed.stderr)[-20_000:], self.secrets)
        result_path = folder / "result.json"
        progress = _in_flight(
            (folder / "progress.log").read_text(encoding="utf-8", errors="replace")
            if (folder / "progress.log").exists()
            else ""
        )
        if not result_path.exists():
            return RunResult(
                completed=False,
                exit_code=sandboxed.returncode,
                in_flight=progress,
                output=output,
                seconds=sandboxed.seconds,
                timed_out=sandboxed.timed_out,
            )
        data = json.loads(redact(result_path.read_text(encoding="utf-8"), self.secrets))
        prefix = str(self.root) + "/"
        tmp = str(folder / "tmp") + "/"

        def relative(path: str) -> str:
            return (
                "$TMPDIR/" + path[len(tmp) :] if path.startswith(tmp) else path.removeprefix(prefix)
            )

        return RunResult(
            completed=True,
            exit_code=data.get("exit_code", sandboxed.returncode),
            outcomes={
                nodeid: tuple(
                    TestOutcome(
                        r["outcome"], r["seconds"], r["message"], r["timeout"], r.get("cpu_seconds")
                    )
                    for r in runs
                )
                for nodeid, runs in data.get("outcomes", {}).items()
            },
            collect_errors=dict(data.get("collect_errors", {})),
            collected=tuple(data.get("collected", [])),
            collectors=tuple(data.get("collectors", [])),
            violations={k: tuple(v) for k, v in data.get("violations", {}).items()},
            writes={k: tuple(relative(p) for p in v) for k, v in data.get("writes", {}).items()},
            coverage=read_coverage(data.get("coverage", {}), prefix),
            probe=data.get("targets", {}),
            output=output,
            seconds=sandboxed.seconds,
            timed_out=sandboxed.timed_out,
        )

    def cleanup(self) -> None:
        """Remove every results folder."""
        shutil.rmtree(self.work, ignore_errors=True)


def _replace(result: RunResult, **changes: Any) -> RunResult:
    from dataclasses import replace  # noqa: PLC0415 - local to keep the import list short

    return replace(result, **changes)


def _in_flight(progress: str) -> str | None:
    """The last owner that started and did not end, from `progress.log`."""
    open_owners: list[str] = []
    for line in progress.splitlines():
        kind, _, owner = line.partition("\t")
        if kind == "start":
            open_owners.append(owner)
        elif kind == "end" and owner in open_owners:
            open_owners.remove(owner)
    return open_owners[-1] if open_owners else None


def changed(before: Mapping[str, object], after: Mapping[str, object]) -> tuple[str, ...]:
    """The paths of two listings that came, went or changed."""
    return tuple(sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p)))


def listing(root: Path, tmp: Path) -> dict[str, tuple[int, int]]:
    """Every file under the worktree and TMPDIR, with its size and modification time."""
    found: dict[str, tuple[int, int]] = {}
    for base, label in ((root, ""), (tmp, "$TMPDIR/")):
        if not base.exists():
            continue
        for path in base.rglob("*"):
            try:
                stat = path.lstat()
            except OSError:
                continue
            is_folder = path.is_dir() and not path.is_symlink()
            # A folder counts by its existence: its mtime moves whenever a file comes and goes.
            found[label + str(path.relative_to(base))] = (
                (-1, 0) if is_folder else (stat.st_size, stat.st_mtime_ns)
            )
    return found
