"""bench/quality.py's data and tests funnel on a small source distribution (heuristic engine)."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import git
import pytest

from bench.quality_data import (
    as_repository,
    budgeted,
    keep_budget,
    mine_project,
    other_projects,
    widen_held_out,
)
from bench.quality_tests import funnel, render_tests
from codegen_bot.adapters.engines.base import TokenBudgets
from codegen_bot.adapters.engines.heuristic import HeuristicEngine
from codegen_bot.adapters.lora.mining.dataset import path_bucket
from codegen_bot.adapters.lora.pairs import make_pair
from codegen_bot.adapters.lora.trainer import load_dataset
from codegen_bot.refactor.results import Failure

CORE = '''\
"""Shapes."""


def area(radius: float) -> float:
    """Return the surface of a circle of the given radius.

    A negative radius is refused, since no circle has one.
    """
    if radius < 0:
        raise ValueError("negative radius")
    return 3.0 * radius * radius


def scale(numbers: list, factor: int) -> list:
    """Multiply every number by the factor, keeping their order."""
    return [n * factor for n in numbers]
'''

TESTS = """\
from shapes.core import area, scale


def test_area():
    assert area(2.0) == 12.0


def test_scale():
    assert scale([1, 2], 3) == [3, 6]
"""


def _sdist(folder: Path, name: str, package: str) -> Path:
    path = folder / f"{name}-1.0.tar.gz"
    files = {
        f"{package}/__init__.py": "",
        f"{package}/core.py": CORE,
        f"{package}/extra.py": CORE.replace("def area", "def surface").replace(
            "def scale", "def times"
        ),
        "tests/test_core.py": TESTS.replace("shapes", package),
        "pyproject.toml": f'[project]\nname = "{name}"\nversion = "1.0"\n',
        ".gitignore": f"{package}/_version.py\n",
        f"{package}/_version.py": 'version = "1.0"\n',  # written by the build, ignored by git
    }
    with tarfile.open(path, "w:gz") as archive:
        for relative, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{name}-1.0/{relative}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def _mined(tmp_path: Path, name: str, package: str) -> Path:
    repo = as_repository(_sdist(tmp_path, name, package), tmp_path / name / "repo")
    out = tmp_path / name / "mined"
    mine_project(f"{name}==1.0", repo, out)
    return out


def _rows(folder: Path, task: str) -> list[dict]:
    return [json.loads(line) for line in (folder / f"{task}.jsonl").read_text().splitlines()]


def _row(split: str, symbol: str, size: int, path: str = "") -> dict:
    return {"split": split, "path": path or f"{split}.py", "symbol": symbol,
            "input": "x" * size, "output": "y"}  # fmt: skip


def test_the_budget_keeps_a_spread_of_fitting_train_rows_and_counts_held_out_functions() -> None:
    train = [_row("train", f"f{i}", 10 + i) for i in range(40)]
    rows = [
        *train,
        _row("train", "huge", 5000),
        _row("eval", "h", 9),
        _row("eval", "h", 9),  # a second test of h
        _row("eval", "k", 9),
    ]
    kept = keep_budget(rows, train_rows=8, eval_functions=1, max_chars=100)
    kept_train = [row for row in kept if row["split"] == "train"]
    assert len(kept_train) == 8 and all(row in train for row in kept_train)
    # A spread, not the 8 shortest: the hash order reaches past them.
    assert max(len(row["input"]) for row in kept_train) > len(train[7]["input"])
    assert [row for row in kept if row["split"] == "eval"] == rows[-3:-1]
    assert keep_budget(rows, 0, 0) == rows
    assert _row("train", "huge", 5000) not in keep_budget(rows, 0, 0, max_chars=100)


def test_too_few_held_out_functions_are_widened_by_whole_files_to_a_third_at_most() -> None:
    rows = [_row("eval", "h", 9, "held.py")]
    for name in "abcdefgh":
        rows += [_row("train", f"{name}{i}", 9, f"{name}.py") for i in range(3)]
    widened = widen_held_out(rows, 4)
    held = [row for row in widened if row["split"] == "eval"]
    moved = {row["path"] for row in held} - {"held.py"}
    assert len({row["symbol"] for row in held}) >= 4 and moved
    # Whole files move: every row of a moved file is held out, and only those.
    assert all((row["split"] == "eval") == (row["path"] in moved | {"held.py"}) for row in widened)
    everything = widen_held_out(rows, 100)
    assert sum(row["split"] == "eval" for row in everything) <= len(rows) / 3
    assert widen_held_out(rows, 0) == rows


def test_files_in_the_same_hash_bucket_are_held_out_in_path_order() -> None:
    # Two paths whose buckets tie: the choice must not follow a set's (per-process) order.
    by_bucket: dict[int, str] = {}
    for i in range(1000):
        path = f"pkg/m{i}.py"
        if path_bucket(path) in by_bucket:
            first, second = sorted([by_bucket[path_bucket(path)], path])
            break
        by_bucket[path_bucket(path)] = path
    rows = [_row("eval", "h", 9, "held.py")]
    rows += [_row("train", "b", 9, second), _row("train", "a", 9, first)]
    rows += [_row("train", f"t{i}", 9, "tail.py") for i in range(9)]  # too big to move
    widened = widen_held_out(rows, 2)
    assert {r["path"] for r in widened if r["split"] == "eval"} == {"held.py", first}


def test_budgeted_data_and_the_other_projects_dataset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = _mined(tmp_path, "shapes", "shapes")
    other = _mined(tmp_path, "forms", "forms")
    printed = capsys.readouterr()
    assert printed.out == ""  # stdout is the benchmark's table
    assert '"docs"' in printed.err  # mining's counts, as progress
    committed = git.Repo(tmp_path / "shapes" / "repo").git.ls_files().splitlines()
    assert "shapes/_version.py" in committed  # the sdist's files, ignored or not
    budgets = TokenBudgets(docs=48, tests=200)
    data = budgeted(mine, tmp_path / "shapes" / "data", 1, 1, budgets=budgets, context_tokens=300)
    assert load_dataset(data, "docs").context.max_new_tokens == budgets
    assert load_dataset(data, "tests").context.context_tokens == 300
    for task in ("docs", "tests"):
        rows = _rows(data, task)
        assert sum(r["split"] == "train" for r in rows) <= 1
        assert len({(r["path"], r["symbol"]) for r in rows if r["split"] == "eval"}) <= 1
    other_data = budgeted(
        other, tmp_path / "forms" / "data", 0, 0, budgets=budgets, context_tokens=900
    )
    lopo = other_projects(data, [other_data], tmp_path / "shapes" / "data-others")
    capped = other_projects(data, [other_data], tmp_path / "shapes" / "capped", train_rows=1)
    assert sum(r["split"] == "train" for r in _rows(capped, "docs")) == 1
    assert sum(r["split"] == "train" for r in _rows(lopo, "docs")) > 1
    for task in ("docs", "tests"):
        rows = _rows(lopo, task)
        assert {r["path"].split("/")[0] for r in rows if r["split"] == "train"} == {"forms"}
        assert [r for r in rows if r["split"] == "eval"] == [
            r for r in _rows(data, task) if r["split"] == "eval"
        ]
    merged = load_dataset(lopo, "docs")
    assert merged.context.max_new_tokens == budgets
    assert merged.context.context_tokens == 300  # the target's, as its evaluation uses
    assert merged.manifest["head"] == load_dataset(data, "docs").manifest["head"]


def test_the_tests_funnel_runs_the_review_tests_task_on_held_out_functions(tmp_path: Path) -> None:
    mined = _mined(tmp_path, "shapes", "shapes")
    dataset = load_dataset(mined, "tests")
    pairs = []
    for row in dataset.rows:
        made = make_pair(row, dataset.context, lambda text: len(text.split()), None)
        assert not isinstance(made, Failure), made
        if made.value.target.qualname == "area" and made.value.target.path == "shapes/core.py":
            pairs.append(made.value)
    assert pairs, "the miner pairs area() with test_area"
    engine = HeuristicEngine(style=dataset.context.style)
    found = funnel(
        "heuristic", engine, pairs, dataset, repo=tmp_path / "shapes" / "repo", progress=print
    )
    # test_area was cut from the scratch copy, so area's error path is uncovered: the
    # heuristic's characterization test must earn it back through every gate.
    assert found.targets == 1
    assert found.proposed == 1
    assert found.stages["parses"] == found.stages["passes_runs"] == 1
    assert found.stages["raises_coverage"] == found.accepted == 1
    assert found.lines_gained > 0
    row = found.row()
    assert row["accepted_share"] == 1.0
    # the accepted module itself is kept, for a reader to judge what would be merged
    (text,) = row["accepted_texts"].values()
    assert "def test_" in text and "area(" in text
    table = render_tests([{"project": "shapes==1.0", "tests": [row]}])
    assert "| shapes==1.0 | heuristic | 1 | 0 | 1 | 1 | 1 | 1 | 1 (100%) |" in table
