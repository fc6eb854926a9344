"""`codegen adapters train`, around the loop: dataset → examples → a new adapter version.

Reads one task's rows and the dataset's context, turns each row into the engine's own prompt
and its completion (`pairs.py`), tokenizes them with the base model's tokenizer exactly as the
engine will, picks the version folder (the next number, or the unfinished run to resume), runs
the loop (`train.py`) and saves the adapter with its metadata.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from codegen_bot.adapters.engines.base import EngineError, Task
from codegen_bot.adapters.engines.chat import (
    ChatFrame,
    PromptFormat,
    TrainedPrompt,
    chat_frame_of,
    resolve_format,
)
from codegen_bot.adapters.engines.prompted import prompt_budget
from codegen_bot.adapters.lora.dataset_context import CONTEXT_FILE, DatasetContext
from codegen_bot.adapters.lora.layout import (
    PEFT_CONFIG,
    adapter_folder,
    has_checkpoint,
    version_key,
)
from codegen_bot.adapters.lora.metadata import AdapterMetadata
from codegen_bot.adapters.lora.mining.dataset import read
from codegen_bot.adapters.lora.mining.records import Row
from codegen_bot.adapters.lora.packing import Tokenized
from codegen_bot.adapters.lora.pairs import Pair, make_pair
from codegen_bot.adapters.lora.settings import TrainSettings
from codegen_bot.refactor.results import Failure

Progress = Callable[[str], None]


class TrainingError(ValueError):
    """A dataset, base model or adapters folder that training cannot use; the message says why."""


@dataclass(frozen=True)
class Dataset:
    """One task's rows from a mined folder, with its context, manifest entry and hash."""

    folder: Path
    task: Task
    rows: tuple[Row, ...]
    context: DatasetContext
    manifest: dict[str, Any]
    #: A hash of the task's rows and of the context file: what the adapter was trained on.
    data_hash: str

    def split(self, which: str) -> list[Row]:
        """The rows of one side of the split, `train` or `eval`."""
        return [row for row in self.rows if row.split == which]


def load_dataset(folder: Path, task: Task) -> Dataset:
    """Read a mined folder's `<task>.jsonl`, `context.json` and `manifest.json`."""
    rows_file, manifest_file = folder / f"{task}.jsonl", folder / "manifest.json"
    if not rows_file.is_file() or not manifest_file.is_file():
        raise TrainingError(
            f"{folder} is not a mined dataset (no {rows_file.name} or manifest.json); "
            "run `codegen adapters mine` first"
        )
    try:
        context = DatasetContext.load(folder)
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
        rows = tuple(read(rows_file))
    except (ValueError, TypeError, KeyError) as error:
        raise TrainingError(f"{folder}: {error}") from error
    digest = hashlib.sha256(rows_file.read_bytes())
    digest.update((folder / CONTEXT_FILE).read_bytes())
    return Dataset(folder, task, rows, context, manifest, digest.hexdigest()[:16])


@dataclass
class Examples:
    """A split's rows as token ids, and the rows left out with their reasons."""

    pairs: list[Pair] = field(default_factory=list)
    tokenized: list[Tokenized] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)


def tokenize_rows(
    rows: Sequence[Row],
    context: DatasetContext,
    tokenizer: Any,
    max_context: int | None,
    seq_len: int,
    *,
    frame: ChatFrame | None = None,
) -> Examples:
    """Each row's prompt and completion as token ids, the prompt tokenized as the engine does.

    Prompts are built within `training_budget` (context cut farthest first), exactly as a
    review of the trained adapter builds them; in the chat `frame` when one is given.
    """
    examples = Examples()

    def count(text: str) -> int:
        """The number of tokens the tokenizer makes of `text`."""
        return len(tokenizer(text)["input_ids"])

    for row in rows:
        budget = training_budget(context, row.task, max_context, seq_len)
        made = make_pair(row, replace(context, context_tokens=budget), count, max_context, frame)
        if isinstance(made, Failure):
            examples.skipped[_reason_kind(made.reason)] += 1
            continue
        pair = made.value
        prompt = tuple(tokenizer(pair.prompt)["input_ids"])
        completion = tuple(tokenizer(pair.completion, add_special_tokens=False)["input_ids"])
        if not completion:
            examples.skipped["an empty completion"] += 1
            continue
        if len(prompt) + len(completion) > seq_len:
            examples.skipped[f"longer than seq_len ({seq_len} tokens)"] += 1
            continue
        examples.pairs.append(pair)
        examples.tokenized.append(Tokenized(prompt, completion, row.weight))
    return examples


def training_budget(
    context: DatasetContext, task: Task, max_context: int | None, seq_len: int
) -> int:
    """The prompt budget training builds prompts within (and a review of the adapter uses).

    The repository's `context_tokens`, capped as a review caps it (the model's limit less the
    answer's room) and so that prompt and answer fit one training sequence: the answer's room
    there is `max_new_tokens`, but never more than half the sequence.
    """
    room = min(context.max_new_tokens.of(task), seq_len // 2)
    budget = prompt_budget(context.for_examples((), None), task, max_context)
    return min(budget, seq_len - room)


def _reason_kind(reason: str) -> str:
    """A reason without its numbers, so that counts group alike reasons."""
    return re.sub(r"\d+", "N", reason)


# --- versions ----------------------------------------------------------------------------------


def next_version(root: Path, task: Task) -> str:
    """One more than the highest numbered version folder of `task` (finished or not)."""
    folder = root / task
    numbers = [int(p.name) for p in folder.iterdir() if p.name.isdigit()] if folder.is_dir() else []
    return str(max(numbers, default=0) + 1)


def unfinished_version(root: Path, task: Task) -> str | None:
    """The latest version folder of `task` holding a checkpoint but no adapter yet."""
    folder = root / task
    if not folder.is_dir():
        return None
    found = [
        p.name for p in folder.iterdir() if has_checkpoint(p) and not (p / PEFT_CONFIG).is_file()
    ]
    return max(found, key=version_key) if found else None


# --- the run -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainRequest:
    """What `codegen adapters train` was asked."""

    task: Task
    base: Path
    data: Path
    adapters: Path
    settings: TrainSettings
    device: str = "auto"
    resume: bool = False
    #: auto (chat when the model has a template; measured best, the default), completion, chat.
    prompt_format: PromptFormat = "auto"


def _model_folder(base: Path, progress: Progress) -> Path:
    """The base model's folder: `base` itself, or the cached conversion of a `.gguf` file."""
    from codegen_bot.adapters.engines.hf.gguf import ensure_converted, is_gguf  # noqa: PLC0415 (torch, when asked)

    if not is_gguf(base):
        return base
    try:
        return ensure_converted(base, os.environ, progress)
    except EngineError as error:
        raise TrainingError(str(error)) from error


def _prompt_format(
    request: TrainRequest, tokenizer: Any, context: DatasetContext, max_context: int | None
) -> tuple[TrainedPrompt, ChatFrame | None]:
    """The format and budget of the training prompts, and the chat frame when it is chat."""
    try:
        frame = chat_frame_of(tokenizer)
    except ValueError as error:
        raise TrainingError(str(error)) from error
    fmt = resolve_format(request.prompt_format, frame)
    if fmt == "chat" and frame is None:
        raise TrainingError("--prompt-format chat: the base model has no chat template")
    budget = training_budget(context, request.task, max_context, request.settings.seq_len)
    return TrainedPrompt(fmt, budget), frame if fmt == "chat" else None


def train_adapter(request: TrainRequest, progress: Progress) -> tuple[Path, AdapterMetadata]:
    """Train a new adapter version (or finish an interrupted one); return folder and metadata."""
    from transformers import AutoConfig, AutoTokenizer  # noqa: PLC0415 (heavy)

    from codegen_bot.adapters.engines.hf.loading import model_fingerprint, resolve_device  # noqa: PLC0415
    from codegen_bot.adapters.lora.saving import save_adapter  # noqa: PLC0415
    from codegen_bot.adapters.lora.training_loop import TrainJob, train  # noqa: PLC0415

    base_name = request.base.resolve().name
    request = replace(request, base=_model_folder(request.base, progress))
    if not (request.base / "config.json").is_file():
        raise TrainingError(f"base model folder {request.base} has no config.json")
    resolve_device(request.device)  # an unusable device fails before any work (EngineError)
    dataset = load_dataset(request.data, request.task)
    settings = request.settings
    tokenizer = AutoTokenizer.from_pretrained(str(request.base), local_files_only=True)
    max_context = getattr(
        AutoConfig.from_pretrained(str(request.base)), "max_position_embeddings", None
    )
    prompt, frame = _prompt_format(request, tokenizer, dataset.context, max_context)
    fmt = prompt.format
    progress(
        f"building the engine's prompts ({fmt} format, at most {prompt.context_tokens} tokens) "
        f"for {len(dataset.rows)} {request.task} rows (about 0.1 s each: every file is parsed)"
    )
    splits = {
        side: tokenize_rows(
            dataset.split(side),
            dataset.context,
            tokenizer,
            max_context,
            settings.seq_len,
            frame=frame,
        )
        for side in ("train", "eval")
    }
    train_examples, eval_examples = splits["train"], splits["eval"]
    skipped = train_examples.skipped + eval_examples.skipped
    kept = len(train_examples.tokenized) + len(eval_examples.tokenized)
    progress(f"{kept} of {len(dataset.rows)} rows fit a {settings.seq_len}-token sequence")
    for reason, count in sorted(skipped.items()):
        progress(f"skipped {count} rows: {reason}")
    if not train_examples.tokenized:
        raise TrainingError(
            f"no {request.task} rows to train on in {request.data} "
            f"({len(dataset.split('train'))} in the train split, none usable)"
        )

    fingerprint = model_fingerprint(request.base)
    job_hash = hashlib.sha256(
        json.dumps([dataset.data_hash, fingerprint, settings.to_dict()], sort_keys=True).encode()
    ).hexdigest()[:16]
    version = unfinished_version(request.adapters, request.task) if request.resume else None
    if request.resume and version is None:
        raise TrainingError(f"no interrupted {request.task} run to resume in {request.adapters}")
    if version is None:
        waiting = unfinished_version(request.adapters, request.task)
        if waiting is not None:
            progress(f"{request.task}/{waiting} is an interrupted run; --resume continues it")
        version = next_version(request.adapters, request.task)
    folder = adapter_folder(request.adapters, request.task, version)
    folder.mkdir(parents=True, exist_ok=True)
    progress(f"training {request.task}@{version} into {folder}")

    job = TrainJob(
        model_dir=request.base,
        folder=folder,
        train=train_examples.tokenized,
        eval=eval_examples.tokenized,
        settings=settings,
        device=request.device,
        fingerprint=job_hash,
        resume=request.resume,
    )
    try:
        result = train(job, progress)
    except (ValueError, OSError) as error:  # a refused checkpoint, unreadable weights
        if not any(folder.iterdir()):
            folder.rmdir()  # nothing to resume: the version number stays free
        raise TrainingError(str(error)) from error
    tasks = dataset.manifest.get("tasks", {}).get(request.task, {})
    metadata = AdapterMetadata(
        task=request.task,
        version=version,
        base_model=base_name,
        base_fingerprint=fingerprint,
        data_hash=dataset.data_hash,
        metrics=result.metrics,
        data={
            "dataset": str(request.data.resolve()),
            "repo": dataset.manifest.get("repo", ""),
            "head": dataset.manifest.get("head", ""),
            "rows": int(tasks.get("rows", len(dataset.rows))),
            "rows_train": int(tasks.get("train", len(dataset.split("train")))),
            "rows_eval": int(tasks.get("eval", len(dataset.split("eval")))),
            "examples_train": len(train_examples.tokenized),
            "examples_eval": len(eval_examples.tokenized),
            "skipped": dict(skipped),
            "sequences": result.sequences,
            "eval_sequences": result.eval_sequences,
        },
        hyperparameters={
            **settings.to_dict(),
            "steps_run": result.steps - result.resumed_from,
            "resumed_from": result.resumed_from,
            "total_steps": result.steps,
            "tokens": result.tokens,
            "seconds": round(result.seconds, 3),
            "device": str(next(result.model.parameters()).device),
            # How the prompts were built: a review with this adapter builds them the same way.
            "prompt": prompt.to_dict(),
        },
    )
    save_adapter(result.model, folder, metadata)
    progress(
        f"saved {metadata.label}: train loss {result.metrics['train_loss']:.4f}"
        + (
            f", eval loss {result.metrics['eval_loss']:.4f}"
            if "eval_loss" in result.metrics
            else ""
        )
    )
    return folder, metadata
