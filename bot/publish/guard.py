"""What `codegen publish` accepts from a report: checks that trust nothing the report says. Pure.

The report comes from the job that ran pull-request code, so a pull request that escaped (or
fooled) that job could have written any of it. The publisher therefore takes the repository,
the pull request, the command comment and the nightly branch from its own environment (the
event GitHub gave it), and accepts a report only when everything it would write is what its
task may write:

- review suggestions (docs, refactor): paths of files the pull request changes (the planner
  then places each suggestion inside the diff's hunks, or in the summary as a patch);
- `/codegen tests`: new `test_*.py` / `*_test.py` files in a tests folder;
- nightly: `.py` files that an accepted proposal of the report changes, never `.github/`, a
  dot-file or folder, or build configuration (`setup.py`, `conftest.py`, `noxfile.py`).

Every path must be normalised: relative, `/`-separated, no `.`, `..` or empty parts.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Collection

from codegen_bot.bot.github.events import Job
from codegen_bot.bot.report import Report

_SHA = re.compile(r"[0-9a-f]{40}")
#: Python files that configure a build or a test run: code that runs when the project is built
#: or tested, never written by the bot.
BUILD_CONFIG = frozenset({"setup.py", "conftest.py", "noxfile.py", "fabfile.py", "dodo.py"})
#: Folders a new test file may go in (at any depth): where test runners look.
TEST_FOLDERS = frozenset({"tests", "test", "testing"})
#: The most inline suggestions one review may carry, whatever a report asks for.
MAX_SUGGESTIONS = 100


class Refused(Exception):
    """The report asks for something its task may not write; the message says what, in one line."""


def _shown(path: str) -> str:
    return repr(path)[:120]


def normalised(path: str) -> bool:
    """Whether `path` is relative, `/`-separated and free of `.`, `..` and empty parts."""
    if not path or "\\" in path or "\x00" in path or path != path.strip():
        return False
    parts = path.split("/")
    return (
        not path.startswith("/")
        and all(part not in ("", ".", "..") for part in parts)
        and posixpath.normpath(path) == path
    )


def _check_path(path: str, what: str) -> None:
    if not normalised(path):
        raise Refused(f"{what} {_shown(path)} is not a normalised relative path")
    if any(part.startswith(".") for part in path.split("/")):
        raise Refused(f"{what} {_shown(path)} is a dot-file or inside a dot-folder")


def is_test_file(path: str) -> bool:
    """Whether `path` is a test module in a tests folder: `tests/test_x.py`, `test/x_test.py`."""
    *folders, name = path.split("/")
    named = (name.startswith("test_") or name.endswith("_test.py")) and name.endswith(".py")
    return named and any(folder in TEST_FOLDERS for folder in folders)


def check_tests(report: Report) -> None:
    """A `/codegen tests` report writes only new test modules in a tests folder."""
    for proposal in report.accepted:
        if proposal.task != "tests":
            raise Refused(f"a tests report carries a {_shown(proposal.task)} proposal")
        _check_path(proposal.path, "test file")
        if not is_test_file(proposal.path):
            raise Refused(
                f"test file {_shown(proposal.path)} is not a test_*.py or *_test.py module"
                f" in a tests folder"
            )


def check_review(report: Report, changed: Collection[str]) -> None:
    """Review suggestions go only on files the pull request changes (`changed`)."""
    for proposal in report.accepted:
        _check_path(proposal.path, "suggestion for")
        if proposal.path not in changed:
            raise Refused(
                f"suggestion for {_shown(proposal.path)}: the pull request does not change it"
            )


def check_nightly(report: Report) -> None:
    """The nightly branch gets only `.py` files that the report's accepted proposals change."""
    listed = {p.path for p in report.accepted}
    for path in report.final_files:
        _check_path(path, "nightly file")
        if not path.endswith(".py") or path.rsplit("/", 1)[-1] in BUILD_CONFIG:
            raise Refused(f"nightly file {_shown(path)} is not a Python module codegen may change")
        if path not in listed:
            raise Refused(f"nightly file {_shown(path)} is not changed by any accepted proposal")


def _check_shas(report: Report) -> None:
    for name, sha in (("base", report.base), ("head", report.head)):
        if not _SHA.fullmatch(sha):
            raise Refused(f"the report's {name} {_shown(sha)} is not a commit SHA")


def check_report(report: Report, job: Job, repository: str) -> None:
    """Refuse (raise `Refused`) a report that does not belong to this event's job.

    `job` is parsed from the publisher's own event and `repository` is its GITHUB_REPOSITORY.
    """
    if job.kind == "nightly":
        if report.nightly is None:
            raise Refused(f"this {job.event} event publishes a nightly report; this one is not")
        if report.nightly.repository.lower() != repository.lower():
            raise Refused(
                f"the report is for {_shown(report.nightly.repository)}, not {repository}"
            )
        _check_shas(report)
        check_nightly(report)
        return
    ref = report.pull_request
    if ref is None or report.nightly is not None:
        raise Refused(
            f"the report names no pull request, and this {job.event} event publishes a pull"
            " request's report: write it with `codegen action --report`"
        )
    _check_shas(report)
    if ref.repository.lower() != repository.lower():
        raise Refused(f"the report is for {_shown(ref.repository)}, not {repository}")
    if ref.number != job.number:
        raise Refused(f"the report is for pull request #{ref.number}, this event for #{job.number}")
    if job.kind == "command" and ref.comment_id != job.comment_id:
        raise Refused("the report answers another comment than this event's")
    if job.kind == "review" and ref.comment_id is not None:
        raise Refused("a pull request event's report answers no comment")
    command = job.command if job.kind == "command" else None
    if (ref.command == "tests") != (command == "tests"):
        raise Refused(
            f"the report is for /codegen {ref.command}, this event for /codegen {command}"
        )
