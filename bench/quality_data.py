"""The quality benchmark's data: held-out projects from PyPI, mined and cut to a budget.

Each project is a PyPI source distribution made into a one-commit git repository and mined with
`codegen adapters mine` (split by file, per task). `budgeted` widens the held-out side to enough
functions, keeps a budget of its rows and sets the token budgets that training and evaluation
share; `other_projects` builds the leave-one-project-out dataset: the other projects' train
rows, and this project's held-out rows (for the held-out loss only, never trained on).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import git

from codegen_bot.adapters.engines.base import TokenBudgets
from codegen_bot.adapters.engines.openai.engine import CHARS_PER_TOKEN
from codegen_bot.adapters.lora.dataset_context import DatasetContext
from codegen_bot.adapters.lora.mining.dataset import path_bucket
from codegen_bot.bot.cli.main import main as codegen

#: The tasks the benchmark measures (refactor rows are rare in a one-commit history).
TASKS = ("docs", "tests")


def fetch(spec: str, sdists: Path) -> Path:
    """The project's sdist, downloaded once with pip into `sdists`."""
    name, version = spec.split("==")
    sdists.mkdir(parents=True, exist_ok=True)
    stem = f"{name.replace('-', '_')}-{version}"
    found = [p for p in sdists.iterdir() if p.name.lower().startswith(stem.lower())]
    if not found:
        pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        subprocess.run([*pip, "--no-binary", ":all:", spec, "-d", str(sdists)], check=True)
        found = [p for p in sdists.iterdir() if p.name.lower().startswith(stem.lower())]
    return found[0]


def as_repository(sdist: Path, root: Path) -> Path:
    """Unpack the sdist into a one-commit git repository (its history is not needed).

    Every file of the sdist is committed, also those its `.gitignore` names: a `_version.py`
    that the build wrote (humanize's) is what the package imports, so its tests need it.
    """
    if root.exists():
        shutil.rmtree(root)
    with tarfile.open(sdist) as archive:
        archive.extractall(root.parent / "unpacked", filter="data")
    (top,) = list((root.parent / "unpacked").iterdir())
    shutil.move(str(top), str(root))
    shutil.rmtree(root.parent / "unpacked")
    repo = git.Repo.init(root, initial_branch="main")
    repo.git.add("--all", "--force")
    author = git.Actor("Bench", "bench@example.com")
    repo.index.commit(f"{sdist.name}", author=author, committer=author)
    return root


def mine_project(spec: str, repo: Path, mined: Path) -> None:
    """`codegen adapters mine` the repository into `mined`; its counts go to stderr.

    The command prints the manifest's counts on stdout, its result; here they are progress,
    and stdout is left to the benchmark's own table.
    """
    with contextlib.redirect_stdout(sys.stderr):
        status = codegen(["adapters", "mine", "--repo", str(repo), "--out", str(mined), "-q"])
    if status != 0:
        raise SystemExit(f"{spec}: mining failed")


def _rows(folder: Path, task: str) -> list[dict]:
    path = folder / f"{task}.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _write_rows(folder: Path, task: str, rows: Sequence[dict]) -> None:
    text = "".join(json.dumps(row) + "\n" for row in rows)
    (folder / f"{task}.jsonl").write_text(text, encoding="utf-8")


def widen_held_out(rows: Sequence[dict], functions: int, most: float = 1 / 3) -> list[dict]:
    """Hold out more whole files, in the mining's order, until `functions` functions are held out.

    Mining holds out about a tenth of a project's files, which may document only a few
    functions (boltons: 3 of its 347 docs rows), too few to tell engines apart. Train files
    move to the held-out side whole (a file never straddles the split), in `path_bucket`
    order, as long as at most `most` of the rows end up held out. 0 widens nothing.
    """
    held = {(row["path"], row["symbol"]) for row in rows if row["split"] == "eval"}
    held_rows = sum(row["split"] == "eval" for row in rows)
    moved: set[str] = set()
    train_paths = {row["path"] for row in rows if row["split"] == "train"}
    # Ties broken by the path: a set's order changes with each process's string hashing.
    for path in sorted(train_paths, key=lambda path: (path_bucket(path), path)):
        if not functions or len(held) >= functions:
            break
        mine = [row for row in rows if row["path"] == path]
        if held_rows + len(mine) > most * len(rows):
            continue
        moved.add(path)
        held_rows += len(mine)
        held |= {(row["path"], row["symbol"]) for row in mine}
    return [{**row, "split": "eval"} if row["path"] in moved else row for row in rows]


def _spread_order(row: dict) -> str:
    return hashlib.sha256(f"{row['path']}::{row['symbol']}".encode()).hexdigest()


def keep_budget(
    rows: Sequence[dict], train_rows: int, eval_functions: int, max_chars: int = 0
) -> list[dict]:
    """At most `train_rows` train rows and the rows of `eval_functions` held-out functions.

    The train rows kept are a spread of the project's (in the order of a hash of path and
    symbol) among those no longer than `max_chars` (function and answer; 0: any): the
    shortest alone would be one-line helpers with one-line docstrings, unlike the functions
    held out, and a long row would only be skipped by a short sequence budget. Held-out
    functions are taken in order and counted by function (a tests row is one function and one
    of its tests, so a function may have several). 0 keeps everything on that side.
    """
    train = [row for row in rows if row["split"] == "train"]
    if max_chars:
        train = [row for row in train if len(row["input"]) + len(row["output"]) <= max_chars]
    if train_rows:
        train = sorted(train, key=_spread_order)[:train_rows]
    chosen = {id(row) for row in train}
    kept, functions = [], set()
    for row in rows:
        if row["split"] == "train":
            if id(row) in chosen:
                kept.append(row)
            continue
        key = (row["path"], row["symbol"])
        if eval_functions and key not in functions and len(functions) >= eval_functions:
            continue
        functions.add(key)
        kept.append(row)
    return kept


def budgeted(
    mined: Path,
    out: Path,
    train_rows: int,
    eval_functions: int | Mapping[str, int],
    *,
    budgets: TokenBudgets,
    context_tokens: int,
) -> Path:
    """A copy of the mined dataset cut to the budget, with `budgets` as its new-token budgets.

    `eval_functions` is one count for every task or one per task; a task's held-out side is
    widened to that many functions where mining held out fewer (`widen_held_out`). Training
    sizes each prompt to `seq_len - budget` and evaluation lets the model write `budget`
    tokens; `context_tokens` caps the prompts evaluation builds, so that an adapter trained on
    short sequences is asked what it was trained on, and the train rows kept fit it (at the
    openai engine's estimate of characters per token). Both read the copy's `context.json`.
    """
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(mined, out)
    for task in TASKS:
        wanted = eval_functions if isinstance(eval_functions, int) else eval_functions[task]
        rows = widen_held_out(_rows(mined, task), wanted)
        kept = keep_budget(rows, train_rows, wanted, CHARS_PER_TOKEN * context_tokens)
        _write_rows(out, task, kept)
    context = DatasetContext.load(mined)
    replace(context, max_new_tokens=budgets, context_tokens=context_tokens).save(out)
    return out


def _merged_context(contexts: Sequence[DatasetContext], rows: Mapping[int, int]) -> DatasetContext:
    """One context for rows of several projects: the largest one's, every folder's examples.

    Docstring examples are kept per folder, and the projects' folders differ, so each row still
    meets its own project's examples; style, test example and configuration are one project's.
    """
    largest = max(range(len(contexts)), key=lambda i: rows.get(i, 0))
    examples: dict[str, tuple[str, ...]] = {}
    for context in contexts:
        examples.update(context.docstring_examples)
    return replace(contexts[largest], docstring_examples=examples)


def other_projects(target: Path, others: Sequence[Path], out: Path, train_rows: int = 0) -> Path:
    """The leave-one-project-out dataset for `target`: train rows from `others` only.

    At most `train_rows` of them (a spread, as `keep_budget` keeps; 0: all), so that both
    adapters of a project train on the same budget. Its held-out rows are the target's (for the
    held-out loss); its manifest is the target's.
    """
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copy2(target / "manifest.json", out / "manifest.json")
    sizes: Counter[int] = Counter()
    for task in TASKS:
        train = [
            (index, row)
            for index, folder in enumerate(others)
            for row in _rows(folder, task)
            if row["split"] == "train"
        ]
        if train_rows:
            train = sorted(train, key=lambda pair: _spread_order(pair[1]))[:train_rows]
        sizes.update(index for index, _ in train)
        held_out = [row for row in _rows(target, task) if row["split"] == "eval"]
        _write_rows(out, task, [row for _, row in train] + held_out)
    contexts = [DatasetContext.load(folder) for folder in others]
    mine = DatasetContext.load(target)
    merged = _merged_context(contexts, sizes)
    replace(merged, max_new_tokens=mine.max_new_tokens, context_tokens=mine.context_tokens).save(
        out
    )
    return out
