"""Shared fixtures: real git repositories in temporary folders, and the CLI run in-process."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import git
import pytest

from codegen_bot.bot.cli.main import main

AUTHOR = git.Actor("Test Author", "author@example.com")
#: Seconds after which a test gives up waiting on a process: a guard against a hang, never a
#: measure of speed (a busy machine may be many times slower than an idle one).
HANG_GUARD = 900.0


class GitRepo:
    """A real git repository in a temporary folder, with a bare `origin` beside it."""

    def __init__(self, root: Path) -> None:
        self.path = root / "work"
        self.origin = root / "origin.git"
        git.Repo.init(self.origin, bare=True, initial_branch="main")
        self.repo = git.Repo.init(self.path, initial_branch="main")
        self.repo.create_remote("origin", str(self.origin))

    def write(self, files: dict[str, str | bytes | None]) -> None:
        """Write (or, for None, delete) files in the working tree."""
        for relative, content in files.items():
            path = self.path / relative
            if content is None:
                path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_bytes(content.encode("utf-8"))

    def commit(self, files: dict[str, str | bytes | None], message: str = "change") -> str:
        """Write the files, stage everything, commit, and return the commit's SHA."""
        self.write(files)
        self.repo.git.add("--all")
        return self.repo.index.commit(message, author=AUTHOR, committer=AUTHOR).hexsha

    def git(self, *args: str) -> str:
        """Run a git command in the repository and return its output."""
        return self.repo.git.execute(["git", *args])

    def snapshot(self) -> dict[str, tuple[int, bytes]]:
        """Every file under the repository (the .git folder included) with its mtime and bytes."""
        found = {}
        for path in sorted(self.path.rglob("*")):
            if path.is_file():
                found[str(path.relative_to(self.path))] = (
                    path.stat().st_mtime_ns,
                    path.read_bytes(),
                )
        return found


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[[], GitRepo]:
    """A factory of fresh git repositories, each with its own bare origin."""
    count = 0

    def make() -> GitRepo:
        nonlocal count
        count += 1
        root = tmp_path / f"repo{count}"
        root.mkdir()
        return GitRepo(root)

    return make


@dataclass
class CliResult:
    """What one in-process run of `codegen` returned and printed."""

    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run `codegen ARGS...` in this process and capture its exit code and output."""

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse exits on usage errors
            code = int(exit_.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def clean_env() -> Iterator[dict[str, str]]:
    """An environment for subprocesses without GitHub tokens."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GH_"))}
    yield env


def ruff_check(path: Path, *files: str) -> subprocess.CompletedProcess[str]:
    """Run the real ruff on files of a repository, with its own configuration."""
    from codegen_bot.refactor.gates.lint import ruff_binary

    return subprocess.run(
        [ruff_binary(), "check", "--no-cache", *files],
        cwd=path,
        capture_output=True,
        text=True,
        check=False,
    )
