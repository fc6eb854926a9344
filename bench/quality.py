"""Docstring quality on held-out real projects: heuristic, base model, base model + LoRA adapter.

Each project is a PyPI source distribution (fetched with `pip download`, kept in --sdists), made
into a one-commit git repository and mined with `codegen adapters mine`: every documented
function becomes a pair (its file with the docstring taken out, and the docstring), split into
train and held-out *by file*. A docs adapter is trained on the train files (a budget of rows and
steps), then the held-out functions are answered three ways on the same prompts and targets:

- heuristic: the embedded engine (no model);
- base: the model alone; adapter: the model with the project's adapter.

Each answer meets the review's real gates (`bot.tasks.docs.task.prove_all`, which includes the facts
gate where the pipeline has one); the table shows the share that passes, rejections per gate,
ROUGE-L (rouge-score) and smoothed sentence BLEU-4 (sacrebleu) against the docstring the project
wrote, on all targets and on the ones both engines answered, time per proposal, and training time.
`--samples k` adds k - 1 sampled answers per target (temperature 0.8) after the greedy one,
ranked by mean log-probability; the first that passes the gates is kept.

    .venv/bin/python -m bench.quality --model PATH.gguf [--device cpu] [--train-rows 16]
        [--eval-rows 8] [--steps 4] [--batch-size 1] [--seq-len 768] [--max-new-tokens 64]
        [--samples 1]

The CPU budget (defaults) finishes in about 15 minutes on 2 busy cores; the full size is
`--train-rows 0 --eval-rows 0 --steps 200 --device cuda` (0: every row).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tarfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import git

from codegen_bot.adapters.engines.base import Candidate, RunContext, TokenBudgets
from codegen_bot.adapters.engines.completion import CompletionError, CompletionRequest, Sampling
from codegen_bot.adapters.engines.heuristic import HeuristicEngine
from codegen_bot.adapters.engines.hf.hf_config import HFConfig
from codegen_bot.adapters.engines.hf.loading import load_model
from codegen_bot.adapters.engines.prompted import in_preference_order
from codegen_bot.adapters.lora.pairs import Pair, make_pair
from codegen_bot.adapters.lora.settings import TrainSettings
from codegen_bot.adapters.lora.trainer import TrainRequest, load_dataset, train_adapter
from codegen_bot.adapters.prompts.build import STOPS
from codegen_bot.adapters.prompts.parse import parse_answer
from codegen_bot.bot.cli.main import main as codegen
from codegen_bot.bot.tasks.docs.task import prove_all
from codegen_bot.refactor.gates.lint import RuffGate
from codegen_bot.refactor.results import Failure

#: Held-out projects: none of them appears in the test suite.
PROJECTS = ("humanize==4.11.0", "toolz==1.0.0", "boltons==24.1.0")


@dataclass
class Figures:
    """One engine's figures on one project's held-out targets."""

    name: str
    targets: int = 0
    passed: int = 0
    answered: int = 0
    rejected_by: Counter[str] = field(default_factory=Counter)
    rouge: list[float] = field(default_factory=list)
    bleu: list[float] = field(default_factory=list)
    texts: list[str | None] = field(default_factory=list)
    seconds: float = 0.0

    def row(self, both: Sequence[int]) -> dict[str, Any]:
        """The figures as a table row; `both`: indexes of targets every engine answered."""
        n = max(self.targets, 1)
        return {
            "engine": self.name,
            "targets": self.targets,
            "pass_rate": round(self.passed / n, 3),
            "answered": self.answered,
            "rouge_l": round(sum(self.rouge) / n, 3),
            "bleu4": round(sum(self.bleu) / n, 2),
            "rouge_l_both": round(sum(self.rouge[i] for i in both) / max(len(both), 1), 3),
            "rejected_by": dict(self.rejected_by.most_common()),
            "seconds_per_proposal": round(self.seconds / n, 2),
        }


def fetch(spec: str, sdists: Path) -> Path:
    """The project's sdist, downloaded once with pip into `sdists`."""
    name, version = spec.split("==")
    sdists.mkdir(parents=True, exist_ok=True)
    stem = f"{name.replace('-', '_')}-{version}"
    found = [p for p in sdists.iterdir() if p.name.lower().startswith(stem.lower())]
    if not found:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                spec,
                "-d",
                str(sdists),
            ],
            check=True,
        )
        found = [p for p in sdists.iterdir() if p.name.lower().startswith(stem.lower())]
    return found[0]


def as_repository(sdist: Path, root: Path) -> Path:
    """Unpack the sdist into a one-commit git repository (its history is not needed)."""
    if root.exists():
        shutil.rmtree(root)
    with tarfile.open(sdist) as archive:
        archive.extractall(root.parent / "unpacked", filter="data")
    (top,) = list((root.parent / "unpacked").iterdir())
    shutil.move(str(top), str(root))
    shutil.rmtree(root.parent / "unpacked")
    repo = git.Repo.init(root, initial_branch="main")
    repo.git.add("--all")
    author = git.Actor("Bench", "bench@example.com")
    repo.index.commit(f"{sdist.name}", author=author, committer=author)
    return root


def budgeted(data: Path, out: Path, train_rows: int, eval_rows: int) -> Path:
    """A copy of the mined dataset with at most `train_rows`/`eval_rows` docs rows (0: all)."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(data, out)
    rows = [json.loads(line) for line in (data / "docs.jsonl").read_text("utf-8").splitlines()]
    if rows and not any(row["split"] == "eval" for row in rows):
        # The miner held out no file of this project (toolz 1.0.0): hold out the last fifth of
        # its files, still by file, so train and held-out functions never share one.
        files = sorted({row["path"] for row in rows})
        held = set(files[len(files) - max(len(files) // 5, 1) :])
        for row in rows:
            row["split"] = "eval" if row["path"] in held else "train"
    kept, counts = [], Counter()
    for row in rows:
        line = json.dumps(row)
        split = row["split"]
        limit = train_rows if split == "train" else eval_rows
        if limit and counts[split] >= limit:
            continue
        counts[split] += 1
        kept.append(line)
    (out / "docs.jsonl").write_text("\n".join(kept) + "\n", encoding="utf-8")
    return out


def score(figures: Figures, pairs: Sequence[Pair]) -> None:
    """ROUGE-L F1 (rouge-score) and smoothed sentence BLEU-4 (sacrebleu) against the real ones."""
    from rouge_score import rouge_scorer  # noqa: PLC0415 (bench-only dependencies)
    from sacrebleu.metrics import BLEU  # noqa: PLC0415

    scorer = rouge_scorer.RougeScorer(["rougeL"])
    bleu = BLEU(effective_order=True, smooth_method="exp")
    for text, pair in zip(figures.texts, pairs, strict=True):
        if text is None:
            figures.rouge.append(0.0)
            figures.bleu.append(0.0)
            continue
        figures.rouge.append(scorer.score(pair.answer, text)["rougeL"].fmeasure)
        figures.bleu.append(bleu.sentence_score(text, [pair.answer]).score)


def gate(name: str, candidates: list[list[Candidate]], ruff: RuffGate) -> Figures:
    """Prove each target's candidates (the first that passes wins) and count per gate."""
    figures = Figures(name, targets=len(candidates))
    for group in candidates:
        texts = [c.text for c in group if c.text is not None]
        figures.answered += bool(texts)
        (proposal,) = prove_all(group, ruff)
        if proposal.status == "accepted":
            figures.passed += 1
            figures.texts.append(proposal.text)
        else:
            reason = proposal.reason or "rejected"
            gate_name = reason.split(":", 1)[0] if ":" in reason[:24] else "answer"
            figures.rejected_by[gate_name] += 1
            figures.texts.append(texts[0] if texts else None)
    return figures


def model_candidates(
    completer: Any, pairs: Sequence[Pair], budget: int, samples: int
) -> list[list[Candidate]]:
    """Greedy (plus `samples - 1` sampled) answers per target, in order of preference."""
    requests = []
    for pair in pairs:
        requests.append(CompletionRequest(pair.prompt, budget, STOPS["docs"]))
        if samples > 1:
            sampling = Sampling(temperature=0.8, seed=0)
            requests.append(
                CompletionRequest(pair.prompt, budget, STOPS["docs"], samples - 1, sampling)
            )
    results = completer.complete("docs", requests)
    identity = completer.identity("docs")
    per = 2 if samples > 1 else 1
    out = []
    for index, pair in enumerate(pairs):
        mine = results[index * per : (index + 1) * per]
        greedy = [] if isinstance(mine[0], CompletionError) else list(mine[0])
        sampled = [] if per == 1 or isinstance(mine[1], CompletionError) else list(mine[1])
        group = []
        for completion in in_preference_order(greedy, sampled):
            parsed = parse_answer("docs", completion, pair.target, pair.prompt)
            if isinstance(parsed, Failure):
                group.append(Candidate(pair.target, "docs", None, identity, parsed.reason))
            else:
                group.append(Candidate(pair.target, "docs", parsed.value, identity))
        out.append(group or [Candidate(pair.target, "docs", None, identity, "no answer")])
    return out


def run_project(spec: str, args: argparse.Namespace) -> dict[str, Any]:
    """Mine, train, and compare the three engines on one project."""
    from codegen_bot.adapters.lora.eval_sides import PinnedCompleter  # noqa: PLC0415

    name = spec.split("==", maxsplit=1)[0]
    work = args.work / name
    repo = as_repository(fetch(spec, args.sdists), work / "repo")
    mined = work / "mined"
    if codegen(["adapters", "mine", "--repo", str(repo), "--out", str(mined), "-q"]) != 0:
        raise SystemExit(f"{spec}: mining failed")
    data = budgeted(mined, work / "data", args.train_rows, args.eval_rows)
    adapters = work / "adapters"
    shutil.rmtree(adapters, ignore_errors=True)
    settings = TrainSettings(
        rank=8,
        alpha=16,
        dropout=0.0,
        learning_rate=args.learning_rate,
        warmup_steps=1,
        steps=args.steps,
        seq_len=args.seq_len,
        batch_size=args.batch_size,
        micro_batch=1,
        log_every=max(args.steps // 4, 1),
        checkpoint_every=10_000,
    )
    started = time.perf_counter()
    _, metadata = train_adapter(
        TrainRequest(
            "docs",
            args.model,
            data,
            adapters,
            settings,
            device=args.device,
            prompt_format=args.prompt_format,
        ),
        lambda line: print(f"  [{name}] {line}", file=sys.stderr, flush=True),
    )
    train_seconds = time.perf_counter() - started
    loaded = load_model(
        HFConfig(str(args.model), str(adapters), device=args.device, compile="off", announce=False)
    )
    dataset = load_dataset(data, "docs")
    # Every engine answers the prompts the adapter was trained on: its format and its budget.
    trained = loaded.trained_prompt("docs")
    context = dataset.context
    if trained is not None:
        context = replace(context, context_tokens=trained.context_tokens)
    frame = loaded.chat_frame if trained is not None and trained.format == "chat" else None
    pairs, unusable = [], Counter()
    for row in dataset.split("eval"):
        made = make_pair(row, context, loaded.count_tokens, loaded.max_context, frame)
        if isinstance(made, Failure):
            unusable[made.reason.split(":")[0][:60]] += 1
        else:
            pairs.append(made.value)
    sides = []
    with RuffGate(dataset.context.config_files) as ruff:
        started = time.perf_counter()
        heuristic = HeuristicEngine(
            style=dataset.context.style, ruff_config=dict(dataset.context.config_files)
        )
        context = RunContext(style=dataset.context.style, max_new_tokens=TokenBudgets())
        found = heuristic.propose("docs", [p.target for p in pairs], context)
        by_target: dict[int, list[Candidate]] = {}
        for candidate in found:
            index = next(i for i, p in enumerate(pairs) if p.target is candidate.target)
            by_target.setdefault(index, []).append(candidate)
        groups = [by_target.get(i, []) for i in range(len(pairs))]
        for i, group in enumerate(groups):
            if not group:
                groups[i] = [Candidate(pairs[i].target, "docs", None, heuristic.identity, "none")]
        seconds = time.perf_counter() - started
        sides.append(gate("heuristic", groups, ruff))
        sides[-1].seconds = seconds
        for side, adapter in (("base", None), ("adapter", "docs")):
            started = time.perf_counter()
            groups = model_candidates(
                PinnedCompleter(loaded, adapter), pairs, args.max_new_tokens, args.samples
            )
            seconds = time.perf_counter() - started
            sides.append(gate(side, groups, ruff))
            sides[-1].seconds = seconds
    for side in sides:
        score(side, pairs)
    both = [i for i in range(len(pairs)) if all(s.texts[i] is not None for s in sides)]
    return {
        "project": spec,
        "rows": {
            "train": len(dataset.split("train")),
            "eval": len(dataset.split("eval")),
            "mined": json.loads((mined / "manifest.json").read_text())["tasks"]["docs"]["rows"],
        },
        "train_examples": metadata.data.get("examples_train"),
        "train_skipped": metadata.data.get("skipped"),
        "train_seconds": round(train_seconds, 1),
        "train_loss": metadata.metrics.get("train_loss"),
        "eval_loss": metadata.metrics.get("eval_loss"),
        "eval_loss_base": metadata.metrics.get("eval_loss_base"),
        "targets": len(pairs),
        "unusable_eval_rows": dict(unusable),
        "both_answered": len(both),
        "engines": [side.row(both) for side in sides],
    }


def render(results: Sequence[dict[str, Any]]) -> str:
    """The Markdown table of every project and engine."""
    lines = [
        "| project | engine | targets | pass rate | ROUGE-L | BLEU-4 | ROUGE-L (both answered) "
        "| rejected by | s/proposal |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        for row in result["engines"]:
            rejected = ", ".join(f"{k} {v}" for k, v in row["rejected_by"].items()) or "—"
            lines.append(
                f"| {result['project']} | {row['engine']} | {row['targets']} | "
                f"{row['pass_rate']:.2f} | {row['rouge_l']:.3f} | {row['bleu4']:.1f} | "
                f"{row['rouge_l_both']:.3f} (n={result['both_answered']}) | {rejected} | "
                f"{row['seconds_per_proposal']:.2f} |"
            )
    lines.append("")
    for result in results:
        lines.append(
            f"- {result['project']}: {result['rows']['train']} train / {result['rows']['eval']} "
            f"held-out rows (of {result['rows']['mined']}), {result['train_examples']} trained "
            f"on (skipped: {result['train_skipped'] or 'none'}), training "
            f"{result['train_seconds']} s, held-out loss {result['eval_loss_base']} → "
            f"{result['eval_loss']}"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    """Run every project and print the table (and write JSON with --out)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="a model folder or .gguf file")
    parser.add_argument("--projects", default=",".join(PROJECTS))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--train-rows", type=int, default=16, help="0: every train row")
    parser.add_argument("--eval-rows", type=int, default=8, help="0: every held-out row")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=1)
    parser.add_argument("--seq-len", type=int, default=768)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--samples", type=int, default=1)
    parser.add_argument(
        "--prompt-format",
        choices=("auto", "completion", "chat"),
        default="auto",
        help="the adapter's training (and so every engine's) prompt format",
    )
    parser.add_argument("--sdists", type=Path, default=Path.home() / ".cache/codegen/sdists")
    parser.add_argument("--work", type=Path, default=Path("/tmp/codegen-quality"))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    results = []
    for spec in args.projects.split(","):
        print(f"{spec}: mining, training, evaluating", file=sys.stderr, flush=True)
        results.append(run_project(spec, args))
        print(render(results[-1:]), file=sys.stderr, flush=True)
    sys.stdout.write(render(results))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
