"""Quality on held-out real projects: heuristic, base model, and base model + LoRA adapters.

Each project is a PyPI source distribution, made into a one-commit git repository and mined
with `codegen adapters mine` (split by file, per task; `bench.quality_data`, which holds out
more whole files where mining held out too few functions). Two adapters per task are trained
on the same budget of rows and epochs: one on the project's own train files, and one on the
*other* projects' train rows (leave-one-project-out: what a new project gets from an adapter it
did not train). Then the held-out functions are answered by every engine on the same
targets:

- docs: each answer meets the review's real gates (`bot.tasks.docs.task.prove_all`, the facts
  gate included); the table shows the share that passes, rejections per gate, ROUGE-L
  (rouge-score) and smoothed sentence BLEU-4 (sacrebleu) against the docstring the project
  wrote, on all targets and on those every engine answered, and the time per proposal;
- tests: the review's own tests task writes tests for the held-out functions, with their real
  tests cut out, and the TestGen-LLM funnel counts how far each got (`bench.quality_tests`).

`--samples k` adds k - 1 sampled answers per target (temperature 0.8) after the greedy one,
ranked by mean log-probability; the first that passes the gates is kept (for tests, the
review's tests task validates them in that order, one round per candidate).

    nice -n 10 .venv/bin/python -m bench.quality --model PATH.gguf [--device cpu]
        [--tasks docs,tests] [--train-rows 32] [--eval-functions 6] [--docs-functions 32]
        [--epochs 3 | --steps N]
        [--seq-len 768] [--learning-rate 5e-4] [--max-new-tokens 128] [--tests-new-tokens 256]
        [--no-others] [--samples 1]

The CPU budget is the README's two runs, 45 minutes together on 2 cores: docs with the
defaults (33 minutes) and tests with `--no-others --steps 12` (6 minutes); the full size is
`--train-rows 0 --eval-functions 0 --docs-functions 64 --epochs 3 --seq-len 2048 --batch-size 8
--max-new-tokens 256 --tests-new-tokens 1024 --device cuda` (0: every row). The JSON (`--out`)
is rewritten after each project and each tests engine, so a run stopped at a time limit keeps
what finished.
"""

from __future__ import annotations

import argparse
import functools
import json
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.quality_data import (
    TASKS,
    as_repository,
    budgeted,
    fetch,
    mine_project,
    other_projects,
)
from bench.quality_docs import docs_sides, held_out_pairs, rejections
from bench.quality_tests import funnel, render_tests
from codegen_bot.adapters.engines.base import TokenBudgets
from codegen_bot.adapters.engines.heuristic import HeuristicEngine
from codegen_bot.adapters.engines.hf.hf_config import HFConfig
from codegen_bot.adapters.engines.hf.loading import load_model
from codegen_bot.adapters.engines.prompted import PromptedEngine
from codegen_bot.adapters.lora.eval_sides import PinnedCompleter
from codegen_bot.adapters.lora.settings import TrainSettings
from codegen_bot.adapters.lora.trainer import (
    TrainingError,
    TrainRequest,
    load_dataset,
    train_adapter,
)

#: Held-out projects: none of them appears in the test suite.
PROJECTS = ("humanize==4.11.0", "toolz==1.0.0", "boltons==26.2.0")
#: The adapters each project is measured with: its own, and the other projects'.
ADAPTERS = (("adapter", "adapters"), ("others' adapter", "adapters-others"))


def log(line: str) -> None:
    """Progress on stderr."""
    print(line, file=sys.stderr, flush=True)


def prepare(spec: str, args: argparse.Namespace) -> Path:
    """Fetch, unpack, mine and cut one project to the budget; return its dataset folder."""
    name = spec.split("==", maxsplit=1)[0]
    work = args.work / name
    repo = as_repository(fetch(spec, args.sdists), work / "repo")
    mined = work / "mined"
    mine_project(spec, repo, mined)
    budgets = TokenBudgets(docs=args.max_new_tokens, tests=args.tests_new_tokens)
    # Evaluation prompts as long as the training ones: seq_len less the larger answer budget.
    prompt = args.seq_len - max(args.max_new_tokens, args.tests_new_tokens)
    return budgeted(
        mined,
        work / "data",
        args.train_rows,
        {"docs": args.docs_functions, "tests": args.eval_functions},
        budgets=budgets,
        context_tokens=prompt,
    )


def train(task: str, data: Path, out: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Train one adapter on `data`'s train rows; its figures (or why none was trained)."""
    shutil.rmtree(out / task, ignore_errors=True)
    cuda = args.device.startswith("cuda")
    settings = TrainSettings(
        rank=8,
        alpha=16,
        dropout=0.0,
        learning_rate=args.learning_rate,
        warmup_steps=1,
        # Passes over the packed sequences (`--epochs`) or a fixed step count (`--steps`): a
        # project of 10 rows and one of 400 want different counts, and a fixed one over-fits
        # the small. Three passes over 32 rows beat 12 steps on humanize and toolz (README).
        epochs=args.epochs or 1.0,
        steps=args.steps,
        seq_len=args.seq_len,
        batch_size=args.batch_size,
        # One sequence per forward pass keeps a CPU's memory small. On a GPU the whole batch
        # goes at once: one sequence a pass trained the 135M model at 1.7k tokens/s on an H200.
        micro_batch=args.batch_size if cuda else 1,
        log_every=max(args.steps // 4, 1) if args.steps else 10,
        checkpoint_every=10_000,
    )
    label = f"{data.parent.name}/{out.name}/{task}"
    started = time.perf_counter()
    try:
        _, metadata = train_adapter(
            TrainRequest(
                task,  # type: ignore[arg-type]
                args.model,
                data,
                out,
                settings,
                device=args.device,
                prompt_format=args.prompt_format,
            ),
            lambda line: log(f"  [{label}] {line}"),
        )
    except TrainingError as error:
        log(f"  [{label}] not trained: {error}")
        return {"trained": False, "why": str(error)}
    return {
        "trained": True,
        "steps": metadata.hyperparameters.get("total_steps"),
        "tokens_per_second": round(
            metadata.hyperparameters.get("tokens", 0)
            / max(metadata.hyperparameters.get("seconds", 0), 1e-9)
        ),
        "examples": metadata.data.get("examples_train"),
        "skipped": metadata.data.get("skipped"),
        "seconds": round(time.perf_counter() - started, 1),
        "train_loss": metadata.metrics.get("train_loss"),
        "eval_loss": metadata.metrics.get("eval_loss"),
        "eval_loss_base": metadata.metrics.get("eval_loss_base"),
    }


def evaluate(
    spec: str, data: Path, args: argparse.Namespace, partial: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
    """Every engine on one project's held-out functions, for each task asked.

    `partial` gets the result so far after each engine's tests (they take minutes each). With
    `--no-others`, an others' adapter left by an earlier run is not evaluated.
    """
    sides = ADAPTERS[:1] if args.no_others else ADAPTERS
    loaded = {
        folder: load_model(
            HFConfig(
                str(args.model),
                str(data.parent / folder),
                device=args.device,
                compile="off",
                announce=False,
            )
        )
        for _, folder in sides
        if (data.parent / folder).is_dir()
    }
    base = (
        next(iter(loaded.values()))
        if loaded
        else load_model(
            HFConfig(str(args.model), None, device=args.device, compile="off", announce=False)
        )
    )
    result: dict[str, Any] = {"project": spec}
    for task in args.tasks:
        dataset = load_dataset(data, task)  # type: ignore[arg-type]
        pairs, unusable = held_out_pairs(dataset, base, task)
        models: dict[str, tuple[Any, str | None]] = {"base": (base, None)}
        for side, folder in sides:
            if folder in loaded and task in loaded[folder].adapters:
                models[side] = (loaded[folder], task)
        result[f"{task}_rows"] = {
            "train": len(dataset.split("train")),
            "eval": len(dataset.split("eval")),
            "targets": len({(p.target.path, p.target.qualname) for p in pairs}),
            "unusable": dict(unusable),
        }
        if task == "docs":
            sides = docs_sides(pairs, dataset, models, args.max_new_tokens, args.samples)
            both = [i for i in range(len(pairs)) if all(s.texts[i] is not None for s in sides)]
            result["both_answered"] = len(both)
            result["docs"] = [side.row(both, heuristic=sides[0]) for side in sides]
            continue
        engines: dict[str, Any] = {
            "heuristic": HeuristicEngine(
                style=dataset.context.style, ruff_config=dict(dataset.context.config_files)
            )
        }
        for side, (model, adapter) in models.items():
            engines[side] = PromptedEngine("hf", PinnedCompleter(model, adapter))
        result["tests"] = []
        for side, engine in engines.items():
            log(f"  [{spec}] tests: {side}")
            found = funnel(
                side,
                engine,
                pairs,
                dataset,
                repo=data.parent / "repo",
                progress=lambda line: log(f"    {line}"),
                samples=args.samples,
            )
            result["tests"].append(found.row())
            partial(result)
    return result


def _loss(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _with_heuristic(row: dict[str, Any]) -> str:
    shared = row.get("with_heuristic") or {"n": 0}
    if row["engine"] == "heuristic" or not shared["n"]:
        return "—"
    return f"{shared['rouge_l']:.3f} / {shared['heuristic']:.3f} (n={shared['n']})"


def render(results: Sequence[dict[str, Any]]) -> str:
    """The Markdown tables (docs, then the tests funnel) and one line per project's training."""
    docs = [
        f"| {result['project']} | {row['engine']} | {row['targets']} | "
        f"{row['pass_rate']:.2f} | {row['rouge_l']:.3f} | {row['bleu4']:.1f} | "
        f"{row['rouge_l_both']:.3f} (n={result['both_answered']}) | "
        f"{_with_heuristic(row)} | {rejections(row)} | {row['seconds_per_proposal']:.2f} |"
        for result in results
        for row in result.get("docs", [])
    ]
    header = [
        "| project | engine | targets | pass rate | ROUGE-L | BLEU-4 | ROUGE-L (all answered) "
        "| ROUGE-L where the heuristic answered: engine / heuristic | rejected by | s/proposal |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines = [*header, *docs] if docs else []  # a tests-only run: no empty docs table
    if any(result.get("tests") for result in results):
        lines += ["", render_tests(results)]  # ends with a blank line
    else:
        lines.append("")
    for result in results:
        for task in TASKS:
            rows = result.get(f"{task}_rows")
            if rows is None:
                continue
            trained = "; ".join(
                f"{side}: "
                + (
                    f"{t['examples']} rows trained on in {t['seconds']} s, held-out loss "
                    f"{_loss(t['eval_loss_base'])} → {_loss(t['eval_loss'])}"
                    if t.get("trained")
                    else f"none ({t.get('why', 'not asked')})"
                )
                for side, t in result.get("training", {}).get(task, {}).items()
            )
            lines.append(
                f"- {result['project']} {task}: {rows['train']} train / {rows['eval']} held-out "
                f"rows, {rows['targets']} held-out functions; {trained}"
            )
    return "\n".join(lines) + "\n"


def _save(
    out: Path | None,
    finished: list[dict[str, Any]],
    so_far: dict[str, Any] | None = None,
    training: dict[str, Any] | None = None,
) -> None:
    """Write the finished projects, and the one under way marked partial, to `out`."""
    if out is None:
        return
    rows = (
        finished
        if so_far is None
        else [*finished, {**so_far, "training": training, "partial": True}]
    )
    out.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> None:
    """Prepare every project, train the adapters, evaluate, print the tables (JSON: --out)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="a model folder or .gguf file")
    parser.add_argument("--projects", default=",".join(PROJECTS))
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--train-rows", type=int, default=32, help="0: every train row")
    parser.add_argument(
        "--eval-functions", type=int, default=6, help="held-out tests functions (0: all)"
    )
    parser.add_argument(
        "--docs-functions", type=int, default=32, help="held-out docs functions (0: all)"
    )
    parser.add_argument(
        "--steps", type=int, default=0, help="a fixed step count per adapter (0: --epochs)"
    )
    parser.add_argument(
        "--epochs", type=float, default=3, help="passes over the packed train sequences"
    )
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--seq-len", type=int, default=768)
    parser.add_argument("--learning-rate", type=float, default=5e-4)
    parser.add_argument("--max-new-tokens", type=int, default=128, help="docs")
    parser.add_argument("--tests-new-tokens", type=int, default=256)
    parser.add_argument("--no-others", action="store_true", help="skip the others' adapter")
    parser.add_argument("--samples", type=int, default=1)
    parser.add_argument(
        "--prompt-format",
        choices=("auto", "completion", "chat"),
        default="auto",
        help="the adapters' training (and so every engine's) prompt format",
    )
    parser.add_argument("--sdists", type=Path, default=Path.home() / ".cache/codegen/sdists")
    parser.add_argument("--work", type=Path, default=Path("/tmp/codegen-quality"))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    args.tasks = [t for t in args.tasks.split(",") if t]
    started = time.perf_counter()
    specs = args.projects.split(",")
    data = {}
    for spec in specs:
        log(f"{spec}: mining")
        data[spec] = prepare(spec, args)
    results = []
    # One project at a time, trained then evaluated, and the JSON rewritten after each: a run
    # stopped at a time limit (a lent GPU's) still leaves every finished project's figures.
    for spec in specs:
        others = [data[o] for o in specs if o != spec]
        training: dict[str, dict[str, Any]] = {}
        if others and not args.no_others:
            other_projects(data[spec], others, data[spec].parent / "data-others", args.train_rows)
        for task in args.tasks:
            mine = training.setdefault(task, {})
            mine["adapter"] = train(task, data[spec], data[spec].parent / "adapters", args)
            if others and not args.no_others:
                folder = data[spec].parent / "data-others"
                out = data[spec].parent / "adapters-others"
                mine["others' adapter"] = train(task, folder, out, args)
        log(f"{spec}: evaluating")
        project = evaluate(
            spec, data[spec], args, functools.partial(_save, args.out, results, training=training)
        )
        results.append({**project, "training": training})
        _save(args.out, results)
        log(render(results[-1:]))
    sys.stdout.write(render(results))
    sys.stdout.write(f"\nwhole run: {time.perf_counter() - started:.0f} s\n")


if __name__ == "__main__":
    main()
