"""The quality benchmark's docs side: every engine's docstrings for the same held-out functions.

Each answer meets the review's real gates (`bot.tasks.docs.task.prove_all`, the facts gate
included); the figures are the share that passes, rejections per gate, ROUGE-L (rouge-score)
and smoothed sentence BLEU-4 (sacrebleu) against the docstring the project wrote, and the time
per proposal. `samples > 1` adds sampled answers after the greedy one, ranked by mean
log-probability; the first that passes the gates is kept.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from codegen_bot.adapters.engines.base import Candidate, RunContext, TokenBudgets
from codegen_bot.adapters.engines.completion import CompletionError, CompletionRequest, Sampling
from codegen_bot.adapters.engines.heuristic import HeuristicEngine
from codegen_bot.adapters.engines.prompted import in_preference_order
from codegen_bot.adapters.lora.eval_sides import PinnedCompleter
from codegen_bot.adapters.lora.evaluation import trained_pairs
from codegen_bot.adapters.lora.pairs import Pair
from codegen_bot.adapters.lora.trainer import Dataset
from codegen_bot.adapters.prompts.build import STOPS
from codegen_bot.adapters.prompts.parse import parse_answer
from codegen_bot.bot.tasks.docs.task import prove_all
from codegen_bot.refactor.gates.lint import RuffGate
from codegen_bot.refactor.results import Failure

# A parser's refusal (or an engine's silence) as a short kind, by a phrase of its reason.
_ANSWER_KINDS = (
    ("did not close", "unclosed"),
    ("did not finish", "unfinished"),
    ("empty docstring", "empty"),
    ("repeats a line of the prompt", "copied from the prompt"),
    ("doctest examples", "unrun examples"),
    ("first line says nothing", "no words"),
    ("control characters", "control characters"),
    ("no chat template", "no chat template"),
    ("no answer", "no answer"),
    ("proposed nothing", "nothing proposed"),
    ("nothing the code shows beyond the name", "nothing beyond the name"),
)


def answer_kind(reason: str) -> str:
    """Why an answer never reached the gates, in short: "unclosed", "copied from the prompt"…

    An unknown reason is kept, its particulars (numbers, what follows a colon) left out.
    """
    if reason == "none":
        return "nothing proposed"  # the heuristic found nothing beyond the name
    for phrase, kind in _ANSWER_KINDS:
        if phrase in reason:
            return kind
    return re.sub(r"\d+", "N", reason.split(":", 1)[0]).strip()[:50] or "answer"


def rejections(row: dict[str, Any]) -> str:
    """The "rejected by" cell: gates with counts, the answer refusals broken down by kind."""
    kinds = row.get("answer_reasons") or {}
    cells = []
    for gate_name, count in row["rejected_by"].items():
        detail = (
            ", ".join(f"{kind} {n}" for kind, n in kinds.items()) if gate_name == "answer" else ""
        )
        cells.append(f"{gate_name} {count}" + (f" ({detail})" if detail else ""))
    return ", ".join(cells) or "—"


def _mean_at(values: Sequence[float], indexes: Sequence[int]) -> float:
    """The mean of `values` at `indexes` (0 for none), to three places."""
    return round(sum(values[i] for i in indexes) / max(len(indexes), 1), 3)


@dataclass
class Figures:
    """One engine's figures on one project's held-out targets."""

    name: str
    targets: int = 0
    passed: int = 0
    answered: int = 0
    rejected_by: Counter[str] = field(default_factory=Counter)
    # Per target refused before the gates: its shown reason's kind; per candidate: every one's.
    answer_reasons: Counter[str] = field(default_factory=Counter)
    candidate_reasons: Counter[str] = field(default_factory=Counter)
    rouge: list[float] = field(default_factory=list)
    bleu: list[float] = field(default_factory=list)
    texts: list[str | None] = field(default_factory=list)
    accepted: list[bool] = field(default_factory=list)
    #: Each target as `path::qualname`, in the order of `texts`.
    names: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def _with(self, other: Figures) -> dict[str, Any]:
        """Both engines' mean ROUGE-L on the targets that both answered."""
        shared = [
            i
            for i, (mine, its) in enumerate(zip(self.texts, other.texts, strict=True))
            if mine is not None and its is not None
        ]
        return {
            "n": len(shared),
            "rouge_l": _mean_at(self.rouge, shared),
            "heuristic": _mean_at(other.rouge, shared),
        }

    def row(self, both: Sequence[int], heuristic: Figures | None = None) -> dict[str, Any]:
        """The figures as a table row; `both`: indexes of targets every engine answered.

        With the `heuristic`'s figures, the row also holds both engines' ROUGE-L on the
        targets that this engine and the heuristic both answered.
        """
        n = max(self.targets, 1)
        return {
            "with_heuristic": self._with(heuristic) if heuristic is not None else {"n": 0},
            "engine": self.name,
            "targets": self.targets,
            "pass_rate": round(self.passed / n, 3),
            "answered": self.answered,
            "rouge_l": round(sum(self.rouge) / n, 3),
            "bleu4": round(sum(self.bleu) / n, 2),
            "rouge_l_both": _mean_at(self.rouge, both),
            "rejected_by": dict(self.rejected_by.most_common()),
            "answer_reasons": dict(self.answer_reasons.most_common()),
            "candidate_reasons": dict(self.candidate_reasons.most_common()),
            "seconds_per_proposal": round(self.seconds / n, 2),
            # What each target got (the accepted docstring, else the first answer), to read.
            "answers": [
                {"target": name, "accepted": ok, "text": text}
                for name, ok, text in zip(self.names, self.accepted, self.texts, strict=True)
            ],
        }


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
        figures.candidate_reasons.update(
            answer_kind(c.error or "") for c in group if c.text is None
        )
        (proposal,) = prove_all(group, ruff)
        figures.names.append(f"{group[0].target.path}::{group[0].target.qualname}")
        figures.accepted.append(proposal.status == "accepted")
        if proposal.status == "accepted":
            figures.passed += 1
            figures.texts.append(proposal.text)
        else:
            reason = proposal.reason or "rejected"
            gate_name = reason.split(":", 1)[0] if ":" in reason[:24] else "answer"
            figures.rejected_by[gate_name] += 1
            if gate_name == "answer":
                figures.answer_reasons[answer_kind(reason)] += 1
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


def held_out_pairs(dataset: Dataset, loaded: Any, task: str) -> tuple[list[Pair], Counter[str]]:
    """The held-out rows as the engine's prompts, and why the others could not be used.

    Every engine answers the prompts the task's adapter was trained on (`trained_pairs`; the
    adapters of one run are trained with the same settings).
    """
    pairs, skipped = trained_pairs(dataset.split("eval"), dataset, loaded, task)  # type: ignore[arg-type]
    unusable = Counter[str]()
    for reason, count in skipped.items():
        unusable[reason.split(":")[0][:60]] += count
    return pairs, unusable


def docs_sides(
    pairs: Sequence[Pair],
    dataset: Dataset,
    models: dict[str, tuple[Any, str | None]],
    max_new_tokens: int,
    samples: int,
) -> list[Figures]:
    """Heuristic and every model side on the same held-out docs targets, scored."""
    sides = []
    with RuffGate(dataset.context.config_files) as ruff:
        started = time.perf_counter()
        heuristic = HeuristicEngine(
            style=dataset.context.style, ruff_config=dict(dataset.context.config_files)
        )
        context = RunContext(style=dataset.context.style, max_new_tokens=TokenBudgets())
        found = heuristic.propose("docs", [p.target for p in pairs], context)
        groups: list[list[Candidate]] = [[] for _ in pairs]
        for candidate in found:
            index = next(i for i, p in enumerate(pairs) if p.target is candidate.target)
            groups[index].append(candidate)
        for i, group in enumerate(groups):
            if not group:
                groups[i] = [Candidate(pairs[i].target, "docs", None, heuristic.identity, "none")]
        seconds = time.perf_counter() - started
        sides.append(gate("heuristic", groups, ruff))
        sides[-1].seconds = seconds
        for side, (loaded, adapter) in models.items():
            started = time.perf_counter()
            groups = model_candidates(
                PinnedCompleter(loaded, adapter), pairs, max_new_tokens, samples
            )
            sides.append(gate(side, groups, ruff))
            sides[-1].seconds = time.perf_counter() - started
    for figures in sides:
        score(figures, pairs)
    return sides
