"""The quality benchmark's tests side: the TestGen-LLM funnel on held-out functions.

Each engine (heuristic, base model, base model + adapter) writes tests for the same held-out
functions through the review's own tests task (`bot.tasks.tests.task.run`): the repository's
suite runs once under coverage in the sandbox, with the held-out functions' own tests cut out of
the scratch copy (`held_out_tests_run`, as `codegen adapters eval` does), and each candidate
meets every gate a review applies. The funnel counts, per function, how far its last candidate
got: a test module proposed, parses, passes 5 runs in a row, raises the function's coverage,
accepted (every gate, collection by the project's own command included), and the lines and
branches gained.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codegen_bot.adapters.engines.base import Engine
from codegen_bot.adapters.lora.pairs import Pair
from codegen_bot.adapters.lora.trainer import Dataset
from codegen_bot.bot.report import Proposal
from codegen_bot.bot.tasks.adapter_eval import held_out_tests_run

Progress = Callable[[str], None]
#: The funnel's stages, in order: the gate whose pass marks each one.
STAGES = (("parses", "syntax"), ("passes_runs", "runs"), ("raises_coverage", "coverage"))


@dataclass
class Funnel:
    """One engine's tests figures on one project's held-out functions."""

    name: str
    targets: int = 0  # held-out functions offered to the tests task
    skipped: Counter[str] = field(default_factory=Counter)  # left alone by the task, and why
    proposed: int = 0  # functions with a test module from the engine
    stages: Counter[str] = field(default_factory=Counter)  # functions past each stage
    accepted: int = 0
    lines_gained: int = 0
    branches_gained: int = 0
    rejected_by: Counter[str] = field(default_factory=Counter)
    # The same rejections, each with its own words (which ruff rule, which assertion failed).
    reasons: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    propose_seconds: float = 0.0
    #: Each accepted test module's text, by its function: what a maintainer would be asked to
    #: merge, for a reader to judge.
    accepted_texts: dict[str, str] = field(default_factory=dict)

    def count(self, proposals: Sequence[Proposal]) -> None:
        """Add each function's final proposal to the funnel."""
        for proposal in proposals:
            self.proposed += proposal.text is not None
            passed = {verdict.gate for verdict in proposal.gates if verdict.passed}
            for stage, gate in STAGES:
                self.stages[stage] += gate in passed
            if proposal.status == "accepted":
                self.accepted += 1
                self.accepted_texts[f"{proposal.path}:{proposal.symbol}"] = proposal.text or ""
                self.lines_gained += int(proposal.metrics.get("lines_gained", 0) or 0)
                self.branches_gained += int(proposal.metrics.get("branches_gained", 0) or 0)
            else:
                reason = proposal.reason or "rejected"
                self.rejected_by[reason.split(":", 1)[0] if ":" in reason[:24] else reason] += 1
                self.reasons[" ".join(reason.split())[:200]] += 1

    def row(self) -> dict[str, Any]:
        """The figures as a table row; shares are of the held-out functions offered."""
        n = max(self.targets, 1)
        return {
            "engine": self.name,
            "functions": self.targets,
            "skipped": dict(self.skipped.most_common()),
            "proposed": self.proposed,
            **{stage: self.stages[stage] for stage, _ in STAGES},
            "accepted": self.accepted,
            "accepted_share": round(self.accepted / n, 3),
            "lines_gained": self.lines_gained,
            "branches_gained": self.branches_gained,
            "rejected_by": dict(self.rejected_by.most_common()),
            "reasons": dict(self.reasons.most_common()),
            "seconds_per_function": round(self.seconds / n, 2),
            "propose_seconds_per_function": round(self.propose_seconds / n, 2),
            "accepted_texts": dict(self.accepted_texts),
        }


def funnel(
    name: str,
    engine: Engine,
    pairs: Sequence[Pair],
    dataset: Dataset,
    *,
    repo: Path,
    progress: Progress,
    samples: int = 1,
) -> Funnel:
    """Run the review's tests task with `engine` on the held-out functions; count the funnel.

    `samples` > 1: a model's candidates per function (greedy first), the first that passes kept.
    """
    started = time.perf_counter()
    outcome, targets = held_out_tests_run(
        pairs, dataset, engine, repo=repo, progress=progress, samples=samples
    )
    figures = Funnel(name, targets=targets)
    figures.seconds = time.perf_counter() - started
    figures.propose_seconds = outcome.timings.get("tests_propose", 0.0)
    figures.skipped.update(s.reason[:160] for s in outcome.skipped)
    figures.count(outcome.proposals)
    return figures


def render_tests(results: Sequence[dict[str, Any]]) -> str:
    """The Markdown table of the tests funnel, every project and engine."""
    lines = [
        "| project | engine | functions | skipped | proposed | parses | passes 5 runs "
        "| raises coverage | accepted | lines + branches gained | s/function |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        for row in result.get("tests", []):
            skipped = ", ".join(f"{n} {why}" for why, n in row["skipped"].items()) or "0"
            lines.append(
                f"| {result['project']} | {row['engine']} | {row['functions']} | {skipped} | "
                f"{row['proposed']} | {row['parses']} | {row['passes_runs']} | "
                f"{row['raises_coverage']} | {row['accepted']} ({row['accepted_share']:.0%}) | "
                f"{row['lines_gained']} + {row['branches_gained']} | "
                f"{row['seconds_per_function']:.1f} |"
            )
    return "\n".join(lines) + "\n"
