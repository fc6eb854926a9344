"""`codegen adapters eval`: an adapter against its base model on the held-out split, side by side.

Both sides get the same prompts (the engine's own, built as training built them) and decode
greedily; every answer then meets the task's real gates, the ones a review applies:

- docs: the engine's parser, then the docs task's own gates (the edit parses, ruff with the
  repository's settings finds nothing new, only the docstring changed, the facts hold); and
  ROUGE-L of the docstring against the one the repository wrote.
- tests: the tests task itself on a scratch copy of the mined head with the held-out tests taken
  out, so a new test can earn its coverage: it parses, ruff is clean, it passes N runs in a row
  in the sandbox and raises the target's coverage. Needs `--repo`.
- refactor: with `--repo`, the refactor task itself on the commit each row's "before" comes
  from: the rewrite applies, ruff finds nothing new, passing tests cover it and the whole suite
  stays green. Without `--repo`, the static gates only: the definition is replaced in its file,
  the file parses, ruff finds nothing new, the code changed. Both: ROUGE-L against the
  repository's own rewrite.

The tasks are the bot's; they come in as `EvalTasks` (bot/tasks/adapter_eval.py builds it), so
this room runs them without importing the bot.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from codegen_bot.adapters.engines.base import Candidate, Task
from codegen_bot.adapters.engines.completion import CompletionError, CompletionRequest
from codegen_bot.adapters.lora.eval_sides import PinnedCompleter, Side
from codegen_bot.adapters.lora.layout import AdapterRef, find_adapter
from codegen_bot.adapters.lora.metadata import AdapterMetadata
from codegen_bot.adapters.lora.mining.records import Row
from codegen_bot.adapters.lora.pairs import Pair, make_pair
from codegen_bot.adapters.lora.promotion import Promotion, judge, read_promotion, write_promotion
from codegen_bot.adapters.lora.trainer import Dataset, load_dataset
from codegen_bot.adapters.prompts.build import STOPS
from codegen_bot.adapters.prompts.parse import parse_answer
from codegen_bot.refactor.edits.replace_definition import replace_definition
from codegen_bot.refactor.gates.lint import RuffGate
from codegen_bot.refactor.gates.syntax import check_syntax
from codegen_bot.refactor.results import Failure, Success
from codegen_bot.refactor.rouge import rouge_l

Progress = Callable[[str], None]


class EvalError(ValueError):
    """The eval cannot run as asked (no adapter, no held-out rows, no repository)."""


class Verdict(Protocol):
    """What the eval reads of a task's proposal."""

    @property
    def status(self) -> str:
        """The proposal's status: `accepted`, or `rejected` and the like."""
        ...

    @property
    def reason(self) -> str | None:
        """Why it was rejected."""
        ...


class SideRunner(Protocol):
    """A task that runs the repository's code (tests, refactor) as an eval side."""

    def __call__(
        self,
        name: str,
        pairs: Sequence[Pair],
        dataset: Dataset,
        completer: PinnedCompleter,
        *,
        repo: Path,
        progress: Progress,
    ) -> Side:
        """Run the task with `completer` on the repository; count what it accepted."""
        ...


@dataclass(frozen=True)
class EvalTasks:
    """The bot's tasks as an eval runs them: the very gates a review applies."""

    prove_docs: Callable[[Sequence[Candidate], RuffGate], Sequence[Verdict]]
    tests_side: SideRunner
    refactor_side: SideRunner


@dataclass(frozen=True)
class EvalRequest:
    """What `codegen adapters eval` was asked."""

    task: Task
    base: Path
    adapters: Path
    data: Path
    version: str | None = None
    repo: Path | None = None
    device: str = "auto"
    limit: int = 0  # 0: every held-out row


@dataclass(frozen=True)
class EvalResult:
    """Base and adapter side by side on the same targets."""

    task: Task
    label: str
    model: str
    rows: int
    skipped_rows: Counter[str]
    base: Side
    adapter: Side
    notes: tuple[str, ...] = ()

    def metrics(self) -> dict[str, float]:
        """What is stored in the adapter's metadata."""
        return {
            "eval_rows": float(self.base.targets),
            **self.adapter.metrics(""),
            **self.base.metrics("_base"),
        }

    def table(self) -> str:
        """The side-by-side table `codegen adapters eval` prints."""
        lines = [
            f"eval of {self.label} on {self.base.targets} held-out {self.task} targets "
            f"(base model {self.model}; {sum(self.skipped_rows.values())} of {self.rows} "
            "held-out rows unusable)",
            f"{'':28}{'base':>12}{self.label:>12}",
        ]

        def row(name: str, base: str, adapter: str) -> None:
            """Append one aligned row of the table: a figure for the base model and the adapter."""
            lines.append(f"{name:28}{base:>12}{adapter:>12}")

        n = self.base.targets
        row("parsed answers", f"{self.base.answered}/{n}", f"{self.adapter.answered}/{n}")
        row("passed the gates", f"{self.base.passed}/{n}", f"{self.adapter.passed}/{n}")
        row(
            "pass rate",
            f"{self.base.passed / max(n, 1):.3f}",
            f"{self.adapter.passed / max(n, 1):.3f}",
        )
        if self.base.rouge is not None and self.adapter.rouge is not None:
            row("ROUGE-L F1 (mean)", f"{self.base.rouge:.3f}", f"{self.adapter.rouge:.3f}")
        if self.task == "tests":
            row("left alone by the task", str(self.base.skipped), str(self.adapter.skipped))
        for side in (self.base, self.adapter):
            for reason, count in side.reasons.most_common(3):
                lines.append(f"  {side.name}: {count} rejected: {reason[:90]}")
        for reason, count in sorted(self.skipped_rows.items()):
            lines.append(f"  unusable rows: {count}: {reason}")
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines) + "\n"


def _load(request: EvalRequest) -> tuple[Any, AdapterRef]:
    """The base model with only the evaluated adapter (a folder with one link picks it)."""
    from codegen_bot.adapters.engines.hf.hf_config import HFConfig  # noqa: PLC0415 (torch, only when asked)
    from codegen_bot.adapters.engines.hf.loading import load_model  # noqa: PLC0415

    ref = find_adapter(request.adapters, request.task, request.version)
    if ref is None:
        raise EvalError(f"no {request.task} adapter in {request.adapters}")
    only = Path(tempfile.mkdtemp(prefix="codegen-eval-"))
    (only / request.task).mkdir()
    (only / request.task / ref.version).symlink_to(ref.path.resolve(), target_is_directory=True)
    try:
        loaded = load_model(
            HFConfig(
                str(request.base), str(only), device=request.device, compile="off", announce=False
            )
        )
    finally:
        shutil.rmtree(only)  # removes the link, never what it points to
    return loaded, ref


def trained_pairs(
    rows: Sequence[Row], dataset: Dataset, loaded: Any, task: Task
) -> tuple[list[Pair], Counter[str]]:
    """`rows` as the prompts `task`'s adapter was trained on, and why the others made none.

    Every side sees the adapter's format and budget (an adapter that recorded neither was
    trained on completion prompts, within the dataset's budget).
    """
    trained = loaded.trained_prompt(task)
    context = dataset.context
    if trained is not None:
        context = replace(context, context_tokens=trained.context_tokens)
    frame = loaded.chat_frame if trained is not None and trained.format == "chat" else None
    pairs: list[Pair] = []
    skipped: Counter[str] = Counter()
    for row in rows:
        made = make_pair(row, context, loaded.count_tokens, loaded.max_context, frame)
        if isinstance(made, Failure):
            skipped[made.reason] += 1
        else:
            pairs.append(made.value)
    return pairs, skipped


def evaluate(request: EvalRequest, tasks: EvalTasks, progress: Progress) -> tuple[EvalResult, Path]:
    """Evaluate base and adapter on the held-out rows; return the result and the adapter folder."""
    dataset = load_dataset(request.data, request.task)
    rows = dataset.split("eval")
    if request.limit:
        rows = rows[: request.limit]
    if not rows:
        raise EvalError(f"{request.data} holds no held-out {request.task} rows")
    if request.task == "tests" and request.repo is None:
        raise EvalError("the tests eval runs the tests: give the repository with --repo")
    loaded, ref = _load(request)
    pairs, skipped = trained_pairs(rows, dataset, loaded, request.task)
    if not pairs:
        raise EvalError(f"none of the {len(rows)} held-out rows makes a prompt for this model")
    sides = []
    for name, adapter in (("base", None), (ref.label, request.task)):
        progress(f"eval: {name} on {len(pairs)} targets")
        completer = PinnedCompleter(loaded, adapter)
        if request.task == "tests":
            assert request.repo is not None
            side = tasks.tests_side(
                name, pairs, dataset, completer, repo=request.repo, progress=progress
            )
        elif request.task == "refactor" and request.repo is not None:
            side = tasks.refactor_side(
                name, pairs, dataset, completer, repo=request.repo, progress=progress
            )
        else:
            side = _static_side(name, request.task, pairs, dataset, completer, tasks=tasks)
        sides.append(side)
    notes: tuple[str, ...] = ()
    if request.task == "refactor" and request.repo is None:
        notes = ("static gates only: without --repo the covering tests and the suite did not run",)
    result = EvalResult(
        request.task, ref.label, loaded.model_label, len(rows), skipped, sides[0], sides[1], notes
    )
    return result, ref.path


def promote(root: Path, updated: AdapterMetadata) -> Promotion:
    """Judge the evaluated adapter against the base and the promoted version; record the verdict."""
    current = read_promotion(root, updated.task)
    current_metrics = None
    if current is not None and current.version not in (None, updated.version):
        ref = find_adapter(root, updated.task, current.version)
        current_metrics = ref.metadata.metrics if ref else None
    verdict = judge(updated.label, updated.version, updated.metrics, current, current_metrics)
    write_promotion(root, updated.task, verdict)
    return verdict


def save_metrics(folder: Path, metrics: dict[str, float]) -> AdapterMetadata:
    """Add the eval's figures to the adapter's metadata (atomically rewritten)."""
    metadata = AdapterMetadata.load(folder)
    updated = replace(metadata, metrics={**metadata.metrics, **metrics})
    updated.save(folder)
    return updated


# --- docs and refactor: generate, parse, gate -------------------------------------------------


def _answers(
    task: Task, pairs: Sequence[Pair], dataset: Dataset, completer: PinnedCompleter
) -> list[Candidate]:
    budget = dataset.context.max_new_tokens.of(task)
    requests = [CompletionRequest(p.prompt, budget, STOPS[task]) for p in pairs]
    results = completer.complete(task, requests)
    identity = completer.identity(task)
    candidates = []
    for pair, result in zip(pairs, results, strict=True):
        if isinstance(result, CompletionError) or not result:
            reason = result.reason if isinstance(result, CompletionError) else "no answer"
            candidates.append(Candidate(pair.target, task, None, identity, reason))
            continue
        parsed = parse_answer(task, result[0], pair.target, pair.prompt)
        if isinstance(parsed, Failure):
            candidates.append(Candidate(pair.target, task, None, identity, parsed.reason))
        else:
            candidates.append(Candidate(pair.target, task, parsed.value, identity))
    return candidates


def _rounds(candidates: Sequence[Candidate]) -> Iterator[list[int]]:
    """Index groups in which no two candidates share a target (prove_all keeps one per target)."""
    left = list(range(len(candidates)))
    while left:
        seen: set[tuple[str, str, int]] = set()
        group: list[int] = []
        rest: list[int] = []
        for i in left:
            t = candidates[i].target
            key = (t.path, t.qualname, t.def_line)
            (rest if key in seen else group).append(i)
            seen.add(key)
        yield group
        left = rest


def _static_side(
    name: str,
    task: Task,
    pairs: Sequence[Pair],
    dataset: Dataset,
    completer: PinnedCompleter,
    *,
    tasks: EvalTasks,
) -> Side:
    candidates = _answers(task, pairs, dataset, completer)
    side = Side(name, targets=len(pairs))
    side.answered = sum(c.text is not None for c in candidates)
    side.scores = [rouge_l(c.text or "", p.answer) for c, p in zip(candidates, pairs, strict=True)]
    with RuffGate(dataset.context.config_files) as ruff:
        if task == "docs":
            for group in _rounds(candidates):
                for proposal in tasks.prove_docs([candidates[i] for i in group], ruff):
                    if proposal.status == "accepted":
                        side.passed += 1
                    else:
                        side.reasons[proposal.reason or "rejected"] += 1
        else:
            side.passed = _refactor_gates(candidates, ruff, side.reasons)
    return side


def _refactor_gates(candidates: Sequence[Candidate], ruff: RuffGate, reasons: Counter[str]) -> int:
    """Count the refactorings that replace cleanly, parse, add no ruff finding, and change code."""
    edits: list[tuple[str, str, str]] = []
    for candidate in candidates:
        target = candidate.target
        if candidate.text is None:
            reasons[candidate.error or "no answer"] += 1
            continue
        edited = replace_definition(target.source, target.def_line, target.name, candidate.text)
        if not isinstance(edited, Success):
            reasons[f"edit: {edited.reason}"] += 1
        elif edited.value == target.source:
            reasons["the code did not change"] += 1
        elif not (syntax := check_syntax(target.path, edited.value)).passed:
            reasons[f"syntax: {syntax.reason}"] += 1
        else:
            edits.append((target.path, target.source, edited.value))
    passed = 0
    for verdict in ruff.check_many(edits):
        if verdict.passed:
            passed += 1
        else:
            reasons[f"ruff: {verdict.reason}"] += 1
    return passed
