"""Files a project makes when it is installed (a setuptools-scm `_version.py`, generated modules).

A copy of a commit lacks them, so its suite cannot import. The project is built the way it
installs itself — `pip install --no-deps --no-build-isolation --no-index --target` on a copy of
the worktree, in the sandbox, with the interpreter that runs its tests — and the files the build
put inside the project's own packages that the worktree lacks are copied into the worktree.

Where that build fails (a build backend or plugin the interpreter lacks, a step that needs the
network), the interpreter's installed distribution of the project stands in, if its version is
the commit's: the files of its packages the worktree lacks are copied from where it is installed.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from codegen_bot.refactor.sandbox.binds import interpreter_paths
from codegen_bot.refactor.sandbox.process import Running, SandboxResult
from codegen_bot.refactor.sandbox.runner import TestRunner

_BUILD_FILES = ("pyproject.toml", "setup.py", "setup.cfg")
_NOT_COPIED = (".git", "__pycache__", ".tox", ".nox", ".venv", "venv", "node_modules", "build")


@dataclass(frozen=True)
class Built:
    """What the build added to the worktree, or why it added nothing."""

    copied: tuple[str, ...] = ()
    problem: str | None = None


def build_generated_files(
    runner: TestRunner, import_root: str, version: str, wall_seconds: float
) -> Built:
    """Build the worktree in the sandbox and copy the files the build made into its packages.

    `version` is given to setuptools-scm and its kin (the copy has no `.git` to read it from);
    paths in the result are relative to the worktree.
    """
    started = start_build(runner, import_root, version, wall_seconds)
    return started if isinstance(started, Built) else started.finish()


@dataclass
class PendingBuild:
    """A build started by `start_build`, running in the sandbox: `finish` it or `stop` it."""

    running: Running | SandboxResult
    #: The build's own folder (its copy of the worktree, its `--target` site).
    folder: Path
    root: Path
    packages: Path

    def finish(self) -> Built:
        """Wait for the build, and copy what it made that the worktree lacks into it."""
        running = self.running
        result = running.wait() if isinstance(running, Running) else running
        try:
            return _copy_built(result, self.folder / "site", self.root, self.packages)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def stop(self) -> None:
        """Kill the build (if it still runs) and remove its folder; the worktree is untouched."""
        if isinstance(self.running, Running):
            self.running.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def start_build(
    runner: TestRunner, import_root: str, version: str, wall_seconds: float
) -> PendingBuild | Built:
    """Start building a copy of the worktree in the sandbox, and return at once.

    The copy is taken now; the files it makes reach the worktree when the build is finished
    (`PendingBuild.finish`). A `Built` says why there is nothing to build.
    """
    root = runner.root
    if not any((root / name).is_file() for name in _BUILD_FILES):
        return Built(problem="the project has no pyproject.toml, setup.py or setup.cfg to build")
    folder = runner.new_folder()
    source = folder / "source"
    shutil.copytree(root, source, ignore=shutil.ignore_patterns(*_NOT_COPIED), symlinks=True)
    argv = [
        runner.python,
        "-m",
        "pip",
        "install",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "--no-cache-dir",
        "--disable-pip-version-check",
        "--no-input",
        "--quiet",
        "--no-compile",  # only the files the build made are wanted, not bytecode of them all
        "--target",
        str(folder / "site"),
        str(source),
    ]
    env = {
        "SETUPTOOLS_SCM_PRETEND_VERSION": version,
        "PDM_BUILD_SCM_VERSION": version,
        "PIP_NO_INPUT": "1",
    }
    running = runner.start_command(argv, folder, wall_seconds, env)
    packages = root / import_root if import_root else root
    return PendingBuild(running, folder, root, packages)


def _copy_built(result: SandboxResult, site: Path, root: Path, packages: Path) -> Built:
    """The files of a finished build's `site` that `packages` lack, copied into it."""
    if result.returncode != 0:
        lines = [line.strip() for line in (result.stdout + result.stderr).splitlines()]
        errors = [line for line in lines if "error" in line.lower()] or [
            text for text in lines if text
        ]
        named = [line for line in lines if re.search(r"\w(Error|Unavailable|Exception)\b.", line)]
        errors = named or errors
        why = "it timed out" if result.timed_out else (errors[-1] if errors else "no output")
        return Built(problem=f"building it the way it installs itself failed: {why[:300]}")
    copied = []
    for path in sorted(site.rglob("*")):
        relative = path.relative_to(site)
        top = relative.parts[0]
        if (
            path.is_symlink()  # a link the build made could point at a host file
            or not path.is_file()
            or len(relative.parts) < 2
            or top.endswith((".dist-info", ".egg-info"))
            or "__pycache__" in relative.parts
            or not (packages / top).is_dir()
        ):
            continue
        destination = packages / relative
        inside = destination.parent.resolve().is_relative_to(root)  # no writing through links
        if destination.exists() or destination.is_symlink() or not inside:
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
        copied.append(str(destination.relative_to(root)))
    return Built(copied=tuple(copied))


# Run by the configured interpreter in the sandbox (`-I`: no PYTHONPATH, so not the worktree):
# which installed distribution holds each of the project's packages, its version and files.
_INSTALLED = """
import importlib.metadata as metadata, json, sys
owners = metadata.packages_distributions()
found = {}
for top in json.loads(sys.argv[1]):
    for name in owners.get(top, [])[:1]:
        dist = metadata.distribution(name)
        files = [str(dist.locate_file(f)) for f in dist.files or [] if f.parts[:1] == (top,)]
        site = str(dist.locate_file(""))
        found[top] = {"name": name, "version": dist.version, "site": site, "files": files}
print(json.dumps(found))
"""


@dataclass(frozen=True)
class Installed:
    """What the interpreter's installed distribution added to the worktree, or why nothing."""

    copied: tuple[str, ...] = ()
    #: `name version` of the distributions the files came from.
    sources: tuple[str, ...] = ()
    problem: str | None = None


def copy_installed_files(
    runner: TestRunner, import_root: str, version: str | None, wall_seconds: float
) -> Installed:
    """Copy the files the worktree's packages lack from the interpreter's installed project.

    Only from a distribution whose version is `version` (the commit's tag; None: unknown, so
    nothing is copied), and only regular files under the interpreter's own site-packages.
    """
    root = runner.root
    packages = root / import_root if import_root else root
    tops = sorted(
        p.name for p in packages.iterdir() if (p / "__init__.py").is_file() and not p.is_symlink()
    )
    if not tops:
        return Installed(problem="the project has no package to look for among installed ones")
    folder = runner.new_folder()
    argv = [runner.python, "-I", "-c", _INSTALLED, json.dumps(tops)]
    result = runner.command(argv, folder, wall_seconds)
    try:
        found = json.loads((result.stdout.strip().splitlines() or ["{}"])[-1])
    except ValueError:
        found = None
    if result.returncode != 0 or not isinstance(found, dict):
        return Installed(problem="the interpreter could not say what it has installed")
    if not found:
        return Installed(problem=f"the interpreter has no installed {', '.join(tops)}")
    shown = interpreter_paths(runner.python)
    copied: list[str] = []
    sources: list[str] = []
    for top, dist in sorted(found.items()):
        label = f"{dist.get('name')} {dist.get('version')}"
        if (
            top not in tops
            or version is None
            or not _same_version(str(dist.get("version")), version)
        ):
            expected = version or "unknown (no version tag)"
            return Installed(
                problem=f"the installed {label} is not the commit's version ({expected})"
            )
        site = Path(str(dist.get("site"))).resolve()
        if not any(site.is_relative_to(p.resolve()) for p in shown):
            continue  # not where the interpreter keeps what it installs
        sources.append(label)
        for name in dist.get("files", []):
            relative = _installed_relative(Path(str(name)), site, top)
            if relative is None:
                continue
            destination = packages / relative
            inside = destination.parent.resolve().is_relative_to(root)
            if destination.exists() or destination.is_symlink() or not inside:
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(str(name)), destination)
            copied.append(str(destination.relative_to(root)))
    shutil.rmtree(folder, ignore_errors=True)
    return Installed(tuple(copied), tuple(sources))


def _installed_relative(path: Path, site: Path, top: str) -> Path | None:
    """`path` relative to `site`, if it is a plain file of package `top` inside it."""
    if path.is_symlink() or not path.is_file() or "__pycache__" in path.parts:
        return None
    real = path.resolve()
    if not real.is_relative_to(site):
        return None
    relative = real.relative_to(site)
    return relative if relative.parts[:1] == (top,) else None


def _same_version(installed: str, expected: str) -> bool:
    """Whether an installed version is `expected`, local labels (`+g1234`) aside."""
    return installed.split("+", 1)[0] == expected.split("+", 1)[0]
