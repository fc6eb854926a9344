"""The quality benchmark's data: held-out projects from PyPI, mined and cut to a budget.

Each project is a PyPI source distribution made into a one-commit git repository and mined with
`codegen adapters mine` (split by file, per task). `budgeted` keeps a budget of its rows and
sets the token budgets that training and evaluation share; `other_projects` builds the
leave-one-project-out dataset: the other projects' train rows, and this project's held-out rows
(for the held-out loss only, never trained on).
"""

from __future__ import annotations

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
from codegen_bot.adapters.lora.dataset_context import DatasetContext

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


def _rows(folder: Path, task: str) -> list[dict]:
    path = folder / f"{task}.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _write_rows(folder: Path, task: str, rows: Sequence[dict]) -> None:
    text = "".join(json.dumps(row) + "\n" for row in rows)
    (folder / f"{task}.jsonl").write_text(text, encoding="utf-8")


def keep_budget(rows: Sequence[dict], train_rows: int, eval_functions: int) -> list[dict]:
    """At most `train_rows` train rows and the rows of `eval_functions` held-out functions.

    The train rows kept are the shortest (function and answer), so that a CPU budget's short
    sequences lose as few as possible; held-out functions are taken in order and counted by
    function (a tests row is one function and one of its tests, so a function may have
    several). 0 keeps everything on that side.
    """
    train = [row for row in rows if row["split"] == "train"]
    if train_rows:
        train = sorted(train, key=lambda row: len(row["input"]) + len(row["output"]))[:train_rows]
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
    eval_functions: int,
    *,
    budgets: TokenBudgets,
    context_tokens: int,
) -> Path:
    """A copy of the mined dataset cut to the budget, with `budgets` as its new-token budgets.

    Training sizes each prompt to `seq_len - budget` and evaluation lets the model write
    `budget` tokens; `context_tokens` caps the prompts evaluation builds, so that an adapter
    trained on short sequences is asked what it was trained on. Both read the copy's
    `context.json`.
    """
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(mined, out)
    for task in TASKS:
        _write_rows(out, task, keep_budget(_rows(mined, task), train_rows, eval_functions))
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


def other_projects(target: Path, others: Sequence[Path], out: Path) -> Path:
    """The leave-one-project-out dataset for `target`: train rows from `others` only.

    Its held-out rows are the target's (for the held-out loss); its manifest is the target's.
    """
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copy2(target / "manifest.json", out / "manifest.json")
    sizes: Counter[int] = Counter()
    for task in TASKS:
        merged = []
        for index, folder in enumerate(others):
            train = [row for row in _rows(folder, task) if row["split"] == "train"]
            sizes[index] += len(train)
            merged += train
        merged += [row for row in _rows(target, task) if row["split"] == "eval"]
        _write_rows(out, task, merged)
    contexts = [DatasetContext.load(folder) for folder in others]
    mine = DatasetContext.load(target)
    merged = _merged_context(contexts, sizes)
    replace(merged, max_new_tokens=mine.max_new_tokens, context_tokens=mine.context_tokens).save(
        out
    )
    return out
