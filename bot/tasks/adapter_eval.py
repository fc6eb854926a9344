"""The bot's tasks as `codegen adapters eval` runs them (`EVAL_TASKS`, handed to adapters/lora).

Docs answers meet the docs task's own gates (`prove_all`); the sides that run the
repository's code are the tests and refactor tasks themselves.

Each side hands its model (`PinnedCompleter`) to the task a review runs, on the commit the rows
were mined from, and counts what the task accepted: the very gates a maintainer's review would
apply, in the same sandbox.

- tests: on the mined head, with the held-out tests cut out of the scratch copy (and out of the
  test example the prompt shows), so that a new test can earn its coverage again.
- refactor: on the commit each row's "before" comes from (the parent of a refactoring commit,
  the head for ruff's fixes): the rewrite must apply, pass ruff, be covered by passing tests and
  keep the whole suite green.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from codegen_bot.adapters.engines.base import Engine
from codegen_bot.adapters.engines.prompted import PromptedEngine
from codegen_bot.adapters.lora.dataset_context import cut_test
from codegen_bot.adapters.lora.eval_sides import PinnedCompleter, Side
from codegen_bot.adapters.lora.evaluation import EvalTasks
from codegen_bot.adapters.lora.pairs import Pair
from codegen_bot.adapters.lora.trainer import Dataset
from codegen_bot.bot.errors import WorkspaceError
from codegen_bot.bot.report import TaskOutcome
from codegen_bot.bot.tasks.docs.task import prove_all
from codegen_bot.bot.tasks.pipeline import load_config
from codegen_bot.bot.tasks.refactor import task as refactor_task
from codegen_bot.bot.tasks.refactor.task import RefactorSettings
from codegen_bot.bot.tasks.tests import task as tests_task
from codegen_bot.bot.workspace.repository import Workspace
from codegen_bot.bot.workspace.sources import SourceFile
from codegen_bot.refactor.diffs import FileChanges
from codegen_bot.refactor.rouge import rouge_l
from codegen_bot.refactor.targets import Target, is_test_file

Progress = Callable[[str], None]


def _head(workspace: Workspace, dataset: Dataset) -> str:
    return workspace.resolve(str(dataset.manifest.get("head") or "HEAD"))


def held_out_tests_run(
    pairs: Sequence[Pair],
    dataset: Dataset,
    engine: Engine,
    *,
    repo: Path,
    progress: Progress,
    samples: int = 1,
) -> tuple[TaskOutcome, int]:
    """The tests task with `engine` on the held-out functions at the mined head; how many.

    `samples` > 1 asks a model engine for that many candidates per function (greedy first); the
    task keeps the first that passes every gate, as a review with `--samples` does.

    The held-out functions' own tests are cut out of the scratch copy (and out of the test
    example the prompt shows), so that a new test can earn their coverage again; the
    repository itself is never touched. A function whose file at head is not the mined one
    (another repository?) is left out.
    """
    workspace = Workspace(str(repo))
    head = _head(workspace, dataset)
    held_out = [p.row.output for p in pairs]

    def take_out_held_out_tests(tree: Path) -> None:
        """Cut the held-out tests out of every test file in the scratch copy `tree`."""
        for path in tree.rglob("*.py"):
            relative = path.relative_to(tree).as_posix()
            if not is_test_file(relative):
                continue
            text = original = path.read_text(encoding="utf-8", errors="replace")
            for test in held_out:
                text = cut_test(text, test)
            if text != original:
                path.write_text(text, encoding="utf-8")

    by_path: dict[str, list[Any]] = {}
    texts: dict[str, str] = {}
    for pair in pairs:
        if workspace.text(head, pair.target.path) != pair.target.source:
            continue
        targets = by_path.setdefault(pair.target.path, [])
        if all(t.qualname != pair.target.qualname for t in targets):
            targets.append(pair.target)
            texts[pair.target.path] = pair.target.source
    sources = [
        SourceFile(path, texts[path], FileChanges(), tuple(targets))
        for path, targets in sorted(by_path.items())
    ]
    example = dataset.context.test_example
    if example is not None:
        text = example[1]
        for test in held_out:
            text = cut_test(text, test)
        example = (example[0], text)
    outcome = tests_task.run(
        workspace,
        head,
        sources,
        load_config(workspace, head),
        engine,
        progress=progress,
        context=replace(dataset.context.for_examples((), example), samples=samples),
        edit_tree=take_out_held_out_tests,
    )
    return outcome, sum(len(s.touched) for s in sources)


def tests_side(
    name: str,
    pairs: Sequence[Pair],
    dataset: Dataset,
    completer: PinnedCompleter,
    *,
    repo: Path,
    progress: Progress,
) -> Side:
    """The tests task on the mined head with the model, counted as an eval side."""
    engine = PromptedEngine("hf", completer)
    outcome, targets = held_out_tests_run(pairs, dataset, engine, repo=repo, progress=progress)
    side = Side(name, targets=targets)
    side.skipped = len(outcome.skipped)
    for proposal in outcome.proposals:
        side.answered += proposal.text is not None  # None: the parser rejected the answer
        if proposal.status == "accepted":
            side.passed += 1
        else:
            side.reasons[proposal.reason or "rejected"] += 1
    return side


def _revision(workspace: Workspace, dataset: Dataset, pair: Pair) -> str | None:
    """The commit whose file is the row's "before", checked; None when it is not there."""
    row = pair.row
    rev = _head(workspace, dataset) if row.origin == "ruff" else f"{row.commit}^"
    try:
        resolved = workspace.resolve(rev)
    except WorkspaceError:  # a root commit has no parent
        return None
    return resolved if workspace.text(resolved, row.path) == row.source else None


def refactor_side(
    name: str,
    pairs: Sequence[Pair],
    dataset: Dataset,
    completer: PinnedCompleter,
    *,
    repo: Path,
    progress: Progress,
) -> Side:
    """The refactor task on each row's "before" commit; ROUGE-L against the repository's rewrite."""
    workspace = Workspace(str(repo))
    by_rev: dict[str, list[Pair]] = {}
    for pair in pairs:
        rev = _revision(workspace, dataset, pair)
        if rev is not None:
            by_rev.setdefault(rev, []).append(pair)
    side = Side(name, targets=sum(len(group) for group in by_rev.values()))
    engine = PromptedEngine("hf", completer)
    for rev, group in sorted(by_rev.items()):
        targets: list[Target] = [p.target for p in group]
        settings = RefactorSettings(max_proposals=len(targets))
        done = refactor_task.run(
            workspace, rev, targets, load_config(workspace, rev), engine,
            settings=settings, progress=progress,
        )  # fmt: skip
        answers = {(p.path, p.symbol): p for p in done.proposals}
        for pair in group:
            proposal = answers.get((pair.target.path, pair.target.qualname))
            text = proposal.text if proposal is not None else None
            side.answered += text is not None
            side.scores.append(rouge_l(text or "", pair.answer))
            if proposal is not None and proposal.status == "accepted":
                side.passed += 1
            else:
                side.reasons[(proposal.reason or "rejected") if proposal else "no answer"] += 1
    return side


#: What `codegen adapters eval` hands to `adapters.lora.evaluation.evaluate`.
EVAL_TASKS = EvalTasks(prove_docs=prove_all, tests_side=tests_side, refactor_side=refactor_side)
