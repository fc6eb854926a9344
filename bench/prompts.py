"""Which prompt fits the model: completion or chat format, token budgets, and best-of-k.

On held-out functions of real PyPI projects (bench.quality's sdists and split by file), the
base model answers every target's docs prompt in each format (`completion`, and `chat` when the
model has a template) and each prompt budget (`--context-tokens`), greedily plus 7 samples
(temperature 0.8) in one run at the largest answer budget. Each answer then meets the review's
gates (`bot.tasks.docs.task.prove_all`); figures per
(format, prompt budget, answer budget, k):

- answer budgets smaller than the run's are read off the same run: an answer that closed within
  B tokens is exactly what a run at budget B gives (greedy decoding; for samples up to the
  batch's arithmetic), one that did not is "did not close within B tokens";
- k = 1 is the greedy answer alone; k = 4 and 8 add the first 3 or 7 samples, ranked by mean
  log-probability after the greedy one, and keep the first candidate that passes every gate.

The table: pass rate, ROUGE-L (rouge-score) of the kept (or first) answer against the project's
docstring, the share of greedy answers that closed, and seconds per target.

    .venv/bin/python -m bench.prompts --model PATH.gguf [--projects humanize==4.11.0]
        [--eval-rows 6] [--context-tokens 512,2048] [--max-new-tokens 64,128] [--samples 8]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.quality_data import as_repository, budgeted, fetch, mine_project
from bench.quality_docs import gate, rejections, score
from codegen_bot.adapters.engines.base import Candidate
from codegen_bot.adapters.engines.completion import (
    Completion,
    CompletionError,
    CompletionRequest,
    Sampling,
)
from codegen_bot.adapters.engines.hf.hf_config import HFConfig
from codegen_bot.adapters.engines.hf.loading import load_model
from codegen_bot.adapters.engines.prompted import in_preference_order
from codegen_bot.adapters.lora.dataset_context import DatasetContext
from codegen_bot.adapters.lora.pairs import Pair, make_pair
from codegen_bot.adapters.lora.trainer import load_dataset
from codegen_bot.adapters.prompts.build import STOPS
from codegen_bot.adapters.prompts.parse import parse_answer
from codegen_bot.refactor.gates.lint import RuffGate
from codegen_bot.refactor.results import Failure

KS = (1, 4, 8)


def within(completion: Completion, budget: int) -> Completion:
    """The answer a run with `budget` new tokens gives, read off a run with a larger budget."""
    if completion.tokens <= budget:
        return completion
    return Completion(completion.text, "length", budget, None, (), completion.prompt_tokens)


def held_out(spec: str, args: argparse.Namespace) -> Path:
    """The project's mined dataset with at most `--eval-rows` held-out docs rows (cached)."""
    name = spec.split("==", maxsplit=1)[0]
    work = args.work / name
    mined = work / "mined"
    if not (mined / "manifest.json").is_file():
        repo = as_repository(fetch(spec, args.sdists), work / "repo")
        mine_project(spec, repo, mined)
    context = DatasetContext.load(mined)  # the mined budgets: this bench sets its own per run
    return budgeted(
        mined,
        work / "prompts-data",
        1,
        args.eval_rows,
        budgets=context.max_new_tokens,
        context_tokens=context.context_tokens,
    )


def candidates(
    pairs: Sequence[Pair],
    results: Sequence[Any],
    budget: int,
    k: int,
    *,
    identity: Any,
    k_max: int,
) -> list[list[Candidate]]:
    """Each target's candidates at answer budget `budget` and `k` candidates, best first."""
    out = []
    for index, pair in enumerate(pairs):
        per = 2 if k_max > 1 else 1
        greedy_result = results[per * index]
        sampled_result = results[per * index + 1] if per == 2 else []
        greedy = [] if isinstance(greedy_result, CompletionError) else list(greedy_result)
        sampled = [] if isinstance(sampled_result, CompletionError) else list(sampled_result)
        answers = [within(c, budget) for c in greedy] + [
            within(c, budget) for c in sampled[: k - 1]
        ]
        group = []
        for completion in in_preference_order(answers[:1], answers[1:]):
            parsed = parse_answer("docs", completion, pair.target, pair.prompt)
            text, error = (
                (None, parsed.reason) if isinstance(parsed, Failure) else (parsed.value, None)
            )
            group.append(Candidate(pair.target, "docs", text, identity, error))
        out.append(group or [Candidate(pair.target, "docs", None, identity, "no answer")])
    return out


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    """One generation per project, format and prompt budget; figures per answer budget and k."""
    from codegen_bot.adapters.lora.eval_sides import PinnedCompleter  # noqa: PLC0415

    loaded = load_model(
        HFConfig(str(args.model), device=args.device, compile="off", announce=False)
    )
    completer = PinnedCompleter(loaded, None)
    identity = completer.identity("docs")
    formats = [f for f in args.formats.split(",") if f == "completion" or loaded.chat_frame]
    top = max(args.max_new_tokens)
    rows: list[dict[str, Any]] = []
    for spec in args.projects.split(","):
        dataset = load_dataset(held_out(spec, args), "docs")
        for fmt in formats:
            frame = loaded.chat_frame if fmt == "chat" else None
            for context_tokens in args.context_tokens:
                context = replace(dataset.context, context_tokens=context_tokens)
                pairs = []
                for row in dataset.split("eval"):
                    made = make_pair(row, context, loaded.count_tokens, loaded.max_context, frame)
                    if not isinstance(made, Failure):
                        pairs.append(made.value)
                requests = []
                sampling = Sampling(temperature=0.8, seed=0)
                for pair in pairs:
                    requests.append(CompletionRequest(pair.prompt, top, STOPS["docs"]))
                    # n = 0 is never sent: a greedy-only run gets an empty sample list.
                    requests.append(
                        CompletionRequest(
                            pair.prompt, top, STOPS["docs"], max(args.samples - 1, 0), sampling
                        )
                    )
                requests = [r for r in requests if r.n > 0]
                started = time.perf_counter()
                results = completer.complete("docs", requests)
                seconds = time.perf_counter() - started
                prompt_tokens = [loaded.count_tokens(p.prompt) for p in pairs]
                with RuffGate(dataset.context.config_files) as ruff:
                    for budget in args.max_new_tokens:
                        for k in KS:
                            if k > args.samples:
                                continue
                            groups = candidates(
                                pairs, results, budget, k, identity=identity, k_max=args.samples
                            )
                            figures = gate(f"{fmt}", groups, ruff)
                            score(figures, pairs)
                            closed = sum(
                                isinstance(r, list)
                                and r
                                and r[0].finish_reason == "stop"
                                and r[0].tokens <= budget
                                for r in results[0 :: 2 if args.samples > 1 else 1]
                            )
                            rows.append(
                                {
                                    "project": spec,
                                    "format": fmt,
                                    "context_tokens": context_tokens,
                                    "max_new_tokens": budget,
                                    "k": k,
                                    "targets": len(pairs),
                                    "mean_prompt_tokens": round(
                                        sum(prompt_tokens) / max(len(prompt_tokens), 1)
                                    ),
                                    "greedy_closed": closed,
                                    "generation_seconds": round(seconds, 1),
                                    # What the greedy answers looked like (start, and tokens).
                                    "greedy_heads": [
                                        (r[0].text[:80], r[0].tokens, r[0].finish_reason)
                                        for r in results[0 :: 2 if args.samples > 1 else 1]
                                        if isinstance(r, list) and r
                                    ]
                                    if k == 1 and budget == top
                                    else [],
                                    **figures.row(range(len(pairs))),
                                    # The kept answers' summaries, to read what passed.
                                    "kept": [
                                        (pair.row.symbol, (text or "").split("\n", 1)[0][:80])
                                        for pair, text in zip(pairs, figures.texts, strict=True)
                                    ],
                                }
                            )
                            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


def render(rows: Sequence[dict[str, Any]]) -> str:
    """The Markdown table: one line per project, format, prompt budget, answer budget and k."""
    lines = [
        "| project | format | context tokens | max new tokens | k | targets | pass rate "
        "| ROUGE-L | greedy closed | rejected by | s/target (generation) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        rejected = rejections(r)
        lines.append(
            f"| {r['project']} | {r['format']} | {r['context_tokens']} | {r['max_new_tokens']} | "
            f"{r['k']} | {r['targets']} | {r['pass_rate']:.2f} | {r['rouge_l']:.3f} | "
            f"{r['greedy_closed']}/{r['targets']} | {rejected} | "
            f"{r['generation_seconds'] / max(r['targets'], 1):.0f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    """Run the grid and print the table (and write JSON with --out)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="a model folder or .gguf file")
    parser.add_argument("--projects", default="humanize==4.11.0,boltons==26.2.0")
    parser.add_argument("--formats", default="completion,chat")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--eval-rows", type=int, default=6, help="held-out rows per project")
    parser.add_argument("--context-tokens", type=_ints, default=(512, 2048))
    parser.add_argument("--max-new-tokens", type=_ints, default=(64, 128))
    parser.add_argument("--samples", type=int, default=8, help="greedy plus this many minus one")
    parser.add_argument("--sdists", type=Path, default=Path.home() / ".cache/codegen/sdists")
    parser.add_argument("--work", type=Path, default=Path("/tmp/codegen-quality"))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    rows = run(args)
    sys.stdout.write(render(rows))
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part)


if __name__ == "__main__":
    main()
