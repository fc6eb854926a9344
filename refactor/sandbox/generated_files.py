"""Files a project makes when it is installed (a setuptools-scm `_version.py`, generated modules).

A copy of a commit lacks them, so its suite cannot import. The project is built the way it
installs itself — `pip install --no-deps --no-build-isolation --no-index --target` on a copy of
the worktree, in the sandbox, with the interpreter that runs its tests — and the files the build
put inside the project's own packages that the worktree lacks are copied into the worktree.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass

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
    root = runner.root
    if not any((root / name).is_file() for name in _BUILD_FILES):
        return Built(problem="the project has no pyproject.toml, setup.py or setup.cfg to build")
    folder = runner.new_folder()
    source = folder / "source"
    shutil.copytree(root, source, ignore=shutil.ignore_patterns(*_NOT_COPIED), symlinks=True)
    site = folder / "site"
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
        "--target",
        str(site),
        str(source),
    ]
    env = {
        "SETUPTOOLS_SCM_PRETEND_VERSION": version,
        "PDM_BUILD_SCM_VERSION": version,
        "PIP_NO_INPUT": "1",
    }
    result = runner.command(argv, folder, wall_seconds, env)
    if result.returncode != 0:
        lines = [line.strip() for line in (result.stdout + result.stderr).splitlines()]
        errors = [line for line in lines if "error" in line.lower()] or [
            text for text in lines if text
        ]
        named = [line for line in lines if re.search(r"\w(Error|Unavailable|Exception)\b.", line)]
        errors = named or errors
        why = "it timed out" if result.timed_out else (errors[-1] if errors else "no output")
        return Built(problem=f"building it the way it installs itself failed: {why[:300]}")
    packages = root / import_root if import_root else root
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
    shutil.rmtree(folder, ignore_errors=True)
    return Built(copied=tuple(copied))
