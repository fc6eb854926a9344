"""A run imports what its subcommand needs: no GitHub client, model stack or other tasks' code."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.conftest import GitRepo

ROOT = Path(__file__).resolve().parents[2]
#: Runs the CLI in a fresh interpreter and prints the modules it imported, as JSON.
PROBE = (
    "import json, sys\n"
    "from codegen_bot.bot.cli.main import main\n"
    "try:\n"
    "    code = main(sys.argv[1:])\n"
    "except SystemExit as done:  # --help\n"
    "    code = done.code\n"
    "print(json.dumps(sorted(sys.modules)))\n"
    "sys.exit(code)\n"
)
NEVER_FOR_A_HEURISTIC_RUN = ("torch", "transformers", "peft")


def imported(*argv: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_a_tests_review_imports_neither_the_github_client_nor_the_other_tasks(
    make_repo: Callable[[], GitRepo],
) -> None:
    git_repo = make_repo()
    base = git_repo.commit(
        {
            "calc.py": "def double(x):\n    return 2 * x\n",
            "tests/test_calc.py": "from calc import double\n\n\ndef test_two():\n    assert double(1) == 2\n",
        }
    )
    git_repo.commit({"calc.py": "def double(x):\n    return x * 2\n"})
    modules = imported(
        "review", "--repo", str(git_repo.path), "--base", base, "--tasks", "tests", "-q"
    )
    assert "codegen_bot.bot.tasks.tests.task" in modules  # it did run the tests task
    assert "github" not in modules
    assert "libcst.matchers" not in modules
    assert "codegen_bot.bot.tasks.refactor.task" not in modules
    assert "codegen_bot.bot.tasks.docs.task" not in modules
    assert not modules & set(NEVER_FOR_A_HEURISTIC_RUN)


def test_the_help_of_codegen_still_lists_every_subcommand() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "codegen_bot.bot.cli", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    for name in ("review", "action", "authorize", "publish", "show", "nightly", "adapters"):
        assert name in done.stdout


def test_nightly_starts_without_libcsts_codemods_or_the_github_client() -> None:
    # The codemods load inside the night, once its warm parent is warming up.
    modules = imported("nightly", "--help")
    assert "codegen_bot.bot.nightly.night" in modules
    assert "libcst.codemod" not in modules
    assert "codegen_bot.bot.tasks.refactor.task" not in modules
    assert "github" not in modules
    assert not modules & set(NEVER_FOR_A_HEURISTIC_RUN)


def test_the_help_of_codegen_imports_no_subcommand() -> None:
    modules = imported("--help")
    assert not {m for m in modules if m.startswith("codegen_bot.bot.cli.")} - {
        "codegen_bot.bot.cli.main"
    }
    assert "libcst" not in modules and "github" not in modules


def test_the_listed_help_lines_are_what_each_subcommand_registers() -> None:
    from codegen_bot.bot.cli.main import COMMANDS, build_parser

    # The full parser imports every subcommand's module, which registers its own help line.
    registered = build_parser().format_help()
    assert build_parser(listed=True).format_help() == registered
    for name, help_line in COMMANDS.items():
        assert name in registered and help_line.split()[0] in registered
    # A run's parser: the named subcommand in full, the others listed.
    assert build_parser("show", listed=True).format_help() == registered
