"""Which files a night looks at: rotation by date, recently changed first, never `.github/`."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import git
import pytest

from codegen_bot.bot.config import config_from_files
from codegen_bot.bot.errors import ConfigError
from codegen_bot.bot.nightly.night import recently_changed
from codegen_bot.bot.nightly.selection import exclusion, select_files
from codegen_bot.bot.workspace.repository import Workspace

NIGHT = datetime.date(2024, 5, 1)
AUTHOR = git.Actor("Test Author", "author@example.com")


def test_successive_nights_cover_different_files_until_all_are_covered() -> None:
    paths = [f"pkg/m{i:02}.py" for i in range(12)]
    nights = [select_files(paths, [], NIGHT + datetime.timedelta(days=d), 3) for d in range(4)]
    chosen = [set(night.files) for night in nights]
    assert all(len(files) == 3 for files in chosen)
    assert set().union(*chosen) == set(paths)  # four nights of three cover all twelve
    assert select_files(paths, [], NIGHT, 3) == nights[0]  # the same night, the same files
    assert nights[0].describe(NIGHT).startswith("night of 2024-05-01: 3 of 12 eligible files")


def test_recently_changed_files_come_first_in_up_to_half_the_slots() -> None:
    paths = [f"pkg/m{i:02}.py" for i in range(10)]
    recent = ["pkg/m07.py", "pkg/m02.py", "outside.py"]  # most recent first; unknown ignored
    night = select_files(paths, recent, NIGHT, 4)
    assert night.files[:2] == ("pkg/m07.py", "pkg/m02.py")
    assert night.recent == ("pkg/m07.py", "pkg/m02.py") and night.recently_changed == 2
    assert len(night.files) == 4 and not set(night.files[2:]) & set(recent)
    # More recent files than half the slots: they rotate too, and never take every slot.
    many = [f"pkg/m{i:02}.py" for i in range(6)]
    first, second = (
        select_files(paths, many, NIGHT + datetime.timedelta(days=d), 4) for d in (0, 1)
    )
    assert len(first.recent) == len(second.recent) == 2 and first.recent != second.recent
    assert len(first.files) == 4
    # Fewer files than slots: every file, recent ones first.
    assert select_files(paths[:3], ["pkg/m01.py"], NIGHT, 10).files[0] == "pkg/m01.py"


def test_github_tests_and_excluded_files_are_never_eligible() -> None:
    config = config_from_files(
        '[tool.codegen]\nexclude = ["vendor/**"]\n'
        '[tool.codegen.nightly]\ninclude = ["src/**"]\nexclude = ["src/gen_*.py"]\n',
        None,
    )
    assert exclusion(".github/scripts/release.py", config) == "under .github/"
    assert exclusion("src/.github/x.py", config) == "under .github/"
    assert exclusion("src/tests/test_a.py", config) == "test code"
    assert exclusion("src/conftest.py", config) == "test code"
    assert exclusion("vendor/lib.py", config) == "not included by the configuration"
    assert exclusion("scripts/run.py", config) == "not included by the configuration"
    assert exclusion("src/gen_table.py", config) == "excluded by nightly.exclude"
    assert exclusion("src/README.md", config) == "not a Python file"
    assert exclusion("src/app/core.py", config) is None


def test_nightly_configuration() -> None:
    config = config_from_files(
        "[tool.codegen.nightly]\nmax_files = 3\nmax_proposals = 5\nrecent_days = 0\n"
        'extra_rules = ["UP"]\nchanged_lines_covered = false\n',
        None,
    )
    nightly = config.nightly
    assert (nightly.max_files, nightly.max_proposals, nightly.recent_days) == (3, 5, 0)
    assert nightly.extra_rules == ("UP",) and nightly.changed_lines_covered is False
    assert config_from_files(None, None).nightly.extra_rules == ()
    with pytest.raises(ConfigError, match=r"nightly\.max_files"):
        config_from_files("[tool.codegen.nightly]\nmax_files = 0\n", None)
    with pytest.raises(ConfigError, match=r"unknown key `tool\.codegen\.nightly\.max_file`"):
        config_from_files("[tool.codegen.nightly]\nmax_file = 3\n", None)


def _commit(repo: git.Repo, files: dict[str, str], when: datetime.datetime) -> str:
    for path, text in files.items():
        (Path(repo.working_tree_dir) / path).parent.mkdir(parents=True, exist_ok=True)
        (Path(repo.working_tree_dir) / path).write_text(text)
    repo.git.add("--all")
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S")
    return repo.index.commit(
        "change", author=AUTHOR, committer=AUTHOR, author_date=stamp, commit_date=stamp
    ).hexsha


def test_recently_changed_counts_back_from_the_head_commit(tmp_path: Path) -> None:
    repo = git.Repo.init(tmp_path / "r", initial_branch="main")
    start = datetime.datetime(2024, 1, 1, 12, tzinfo=datetime.UTC)
    _commit(repo, {"a.py": "A = 1\n", "b.py": "B = 1\n", "c.py": "C = 1\n"}, start)
    _commit(repo, {"b.py": "B = 2\n"}, start + datetime.timedelta(days=20))
    head = _commit(repo, {"c.py": "C = 2\n"}, start + datetime.timedelta(days=25))
    workspace = Workspace(tmp_path / "r")
    assert recently_changed(workspace, head, 7) == ["c.py", "b.py"]
    assert recently_changed(workspace, head, 30) == ["c.py", "b.py", "a.py"]
    assert recently_changed(workspace, head, 0) == []


def test_nightly_runs_rotate_by_date_and_skip_github_and_tests(
    make_repo, run_cli, tmp_path
) -> None:
    repo = make_repo()
    files = {
        f"pkg/m{i}.py": f'"""M{i}."""\n\n\ndef f{i}(x):\n    return x + {i}\n' for i in range(9)
    }
    files |= {
        "pkg/__init__.py": "",
        ".github/scripts/tool.py": "def tool(x):\n    return [i for i in range(0, x)]\n",
        "tests/test_m.py": "def test_m():\n    assert [i for i in range(0, 2)]\n",
        "pyproject.toml": "[tool.codegen.nightly]\nmax_files = 4\nrecent_days = 0\n",
    }
    repo.commit(files)
    before = repo.snapshot()
    seen = []
    for day in ("2024-05-01", "2024-05-02", "2024-05-03"):
        out = tmp_path / f"{day}.json"
        result = run_cli("nightly", "--repo", str(repo.path), "--date", day, "--format", "json",
                         "--out", str(out), "-q")  # fmt: skip
        assert result.code == 0, result.err
        report = json.loads(out.read_text())
        assert report["tasks"] == ["refactor"] and report["base"] == report["head"]
        seen.append({f["path"] for f in report["files"]})
        assert report["proposals"] == [] and report["final_files"] == {}
    eligible = {f"pkg/m{i}.py" for i in range(9)} | {"pkg/__init__.py"}
    assert [len(night) for night in seen] == [4, 4, 4]
    assert seen[0] != seen[1] and seen[1] != seen[2]
    assert set().union(*seen) == eligible  # windows follow one another: 3 nights, 10 files
    assert repo.snapshot() == before
    bad = run_cli("nightly", "--repo", str(repo.path), "--date", "May 1st")
    assert bad.code == 2 and "--date must be YYYY-MM-DD" in bad.err
