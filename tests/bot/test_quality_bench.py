"""bench/quality.py's data and tests funnel on a small source distribution (heuristic engine)."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import git

from bench.quality_data import as_repository, budgeted, keep_budget, other_projects
from bench.quality_tests import funnel, render_tests
from codegen_bot.adapters.engines.base import TokenBudgets
from codegen_bot.adapters.engines.heuristic import HeuristicEngine
from codegen_bot.adapters.lora.pairs import make_pair
from codegen_bot.adapters.lora.trainer import load_dataset
from codegen_bot.bot.cli.main import main as codegen
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
    assert codegen(["adapters", "mine", "--repo", str(repo), "--out", str(out), "-q"]) == 0
    return out


def _rows(folder: Path, task: str) -> list[dict]:
    return [json.loads(line) for line in (folder / f"{task}.jsonl").read_text().splitlines()]


def test_the_budget_keeps_the_shortest_train_rows_and_counts_held_out_functions() -> None:
    def row(split: str, symbol: str, size: int) -> dict:
        return {"split": split, "path": f"{split}.py", "symbol": symbol, "input": "x" * size,
                "output": "y"}  # fmt: skip

    rows = [
        row("train", "long", 50),
        row("train", "short", 5),
        row("eval", "h", 9),
        row("eval", "h", 9),  # a second test of h
        row("eval", "k", 9),
    ]
    kept = keep_budget(rows, train_rows=1, eval_functions=1)
    assert kept == [rows[1], rows[2], rows[3]]
    assert keep_budget(rows, 0, 0) == rows


def test_budgeted_data_and_the_other_projects_dataset(tmp_path: Path) -> None:
    mine = _mined(tmp_path, "shapes", "shapes")
    other = _mined(tmp_path, "forms", "forms")
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
