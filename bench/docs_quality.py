"""Docstring quality on real projects: strip what they wrote, let codegen propose it again.

For each PyPI source distribution given, the docstrings of documented public functions and
methods are removed (bench/docs_corpus.py); the engine proposes docstrings for them, and the
shared docstring pipeline proves each one (parse, ruff with the project's configuration,
docstring-only, facts) in the style detected from the stripped project. Reported per engine and
project: the share proposed (posted), each gate's rejections, ROUGE-L and smoothed BLEU-4 of
the summary line against the real one (CodeXGLUE's measure; rouge-score and sacrebleu), the
same for a name-only baseline ("Get in." for `get_in`), the share of posted docstrings holding a
content word that neither the name nor the signature has, posted docstrings failing the facts
gate (0 by construction), whether every patch applies (`git apply --check`), whether the
style was detected right, and how many of the authors' own docstrings the facts gate would pass
(its strictness: "array: List to chunk." is filler by its rule).

    pip download --no-deps --no-binary :all: pydash==8.1.0 loguru==0.7.3 tinydb==4.8.2 \\
        toolz==1.2.0 -d SDISTS
    .venv/bin/python -m bench.docs_quality --sdists SDISTS [--limit 60] [--engine heuristic]
        [--engine hf --model PATH [--adapters DIR]] [--engine openai --server URL]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rouge_score import rouge_scorer
from sacrebleu.metrics import BLEU

from bench.docs_corpus import Corpus, build_corpus, unpack
from codegen_bot.adapters.engines.registry import EngineStartup, RunOptions, build_engine
from codegen_bot.bot.report import Proposal
from codegen_bot.bot.tasks.docs.task import prove_all
from codegen_bot.refactor.docstrings.code_facts import identifier_words
from codegen_bot.refactor.docstrings.style import Convention, detect_convention, module_docstrings
from codegen_bot.refactor.docstrings.words import new_words
from codegen_bot.refactor.gates.docstring_facts import facts_problems
from codegen_bot.refactor.gates.lint import RuffGate

#: The projects, the style their docstrings are written in (read from them), and the version.
PROJECTS = {
    "pydash": ("google", "8.1.0"),
    "loguru": ("numpy", "0.7.3"),
    "tinydb": ("sphinx", "4.8.2"),
    "toolz": ("plain", "1.2.0"),
}
GATES = ("silent", "edit", "syntax", "ruff", "docstring-only", "facts")
_ROUGE = rouge_scorer.RougeScorer(["rougeL"])
_BLEU = BLEU(smooth_method="add-k", smooth_value=1, effective_order=True)  # CodeXGLUE's smoothing


@dataclass
class Row:
    """One engine on one project."""

    project: str
    engine: str
    expected_style: str
    detected: str
    targets: int = 0
    posted: int = 0
    rejections: dict[str, int] = field(default_factory=dict)
    rouge_l: float = 0.0
    bleu4: float = 0.0
    baseline_rouge_l: float = 0.0
    baseline_bleu4: float = 0.0
    beyond_name: float = 0.0
    facts_failures: int = 0
    authors_passing: int = 0  # the real docstrings that pass the facts gate themselves
    patches_applying: int = 0
    examples: list[str] = field(default_factory=list)


def summary_line(docstring: str) -> str:
    """The first line of a docstring (its summary)."""
    return docstring.strip().split("\n", 1)[0].strip()


def name_sentence(name: str) -> str:
    """The name-only baseline: `get_in` → "Get in."."""
    words = " ".join(identifier_words(name)[1:] or [name])
    return words[:1].upper() + words[1:] + "."


def scores(prediction: str, reference: str) -> tuple[float, float]:
    """ROUGE-L F1 and smoothed sentence BLEU-4 (0..1) of one summary against the real one."""
    rouge = _ROUGE.score(reference, prediction)["rougeL"].fmeasure
    bleu = _BLEU.sentence_score(prediction, [reference]).score / 100
    return rouge, bleu


def says_more_than_the_name(text: str, name: str, signature: str) -> bool:
    """Whether a docstring holds a content word that neither the name nor the signature has."""
    return bool(new_words(text, name, signature))


def gate_of(proposal: Proposal) -> str:
    """Which gate rejected a proposal ("silent" when the engine proposed nothing)."""
    if proposal.text is None:
        return "silent"
    failed = next((v.gate for v in proposal.gates if not v.passed), None)
    return failed or (proposal.reason or "edit").split(":", 1)[0]


def _patches_apply(corpus: Corpus, proposals: list[Proposal], scratch: Path) -> int:
    root = scratch / f"apply-{corpus.project}"
    for path, text in corpus.stripped.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(text.encode())
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    applying = 0
    for number, proposal in enumerate(proposals):
        patch = root.parent / f"{corpus.project}-{number}.patch"
        patch.write_bytes(proposal.patch.encode())
        check = subprocess.run(["git", "apply", "--check", str(patch)], cwd=root, check=False)
        applying += check.returncode == 0
    return applying


def run_project(
    corpus: Corpus,
    engine_name: str,
    expected: str,
    scratch: Path,
    startup: EngineStartup | None = None,
) -> Row:
    """Propose docstrings for the stripped definitions of one project and measure them.

    `startup` says where a model engine's model or server is (`--model`, `--server`).
    """
    # The repository as it is, before the benchmark took docstrings out of it.
    convention = detect_convention(
        d for text in corpus.original.values() for d in module_docstrings(text)
    )
    row = Row(corpus.project, engine_name, expected, _describe(convention))
    options = RunOptions(style=convention.style, arg_types=convention.arg_types)
    engine = build_engine(engine_name, options, startup)
    targets = [item.target for item in corpus.items]
    row.targets = len(targets)
    candidates = engine.propose("docs", targets, None)
    with RuffGate(corpus.config_files) as ruff:
        proposals = prove_all(candidates, ruff, convention)
    by_key = {(i.target.path, i.target.qualname): i for i in corpus.items}
    for item in corpus.items:
        t = item.target
        row.authors_passing += not facts_problems(
            t.source, t.def_line, t.name, item.reference, convention
        )
    posted = [p for p in proposals if p.status == "accepted"]
    row.posted = len(posted)
    row.rejections = dict(Counter(gate_of(p) for p in proposals if p.status != "accepted"))
    totals = [0.0, 0.0, 0.0, 0.0]
    beyond = 0
    for proposal in posted:
        item = by_key[(proposal.path, proposal.symbol)]
        text = proposal.text or ""
        reference = summary_line(item.reference)
        for index, value in enumerate(
            (*scores(summary_line(text), reference),
             *scores(name_sentence(item.target.name), reference))
        ):  # fmt: skip
            totals[index] += value
        beyond += says_more_than_the_name(text, item.target.name, item.signature)
        target = item.target
        if facts_problems(target.source, target.def_line, target.name, text, convention):
            row.facts_failures += 1
        if len(row.examples) < 3:
            row.examples.append(f"{proposal.symbol}: {summary_line(text)}")
    if posted:
        count = len(posted)
        row.rouge_l, row.bleu4, row.baseline_rouge_l, row.baseline_bleu4 = (
            t / count for t in totals
        )
        row.beyond_name = beyond / count
    row.patches_applying = _patches_apply(corpus, posted, scratch)
    return row


def _describe(convention: Convention) -> str:
    types = "" if convention.arg_types or convention.style in ("numpy", "plain") else ", no types"
    return convention.style + types


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def _score(value: float, row: Row) -> str:
    return f"{value:.3f}" if row.posted else "-"


def table(rows: list[Row]) -> str:
    """The Markdown table of the results."""
    head = (
        "| project (style: real → detected) | engine | targets | posted | rejected by gate"
        " | ROUGE-L | BLEU-4 | name-only ROUGE-L | name-only BLEU-4 | beyond the name"
        " | failing facts | patches apply | authors' docstrings passing facts |\n"
        + "|---" * 13
        + "|\n"
    )
    lines = []
    for r in rows:
        gates = ", ".join(f"{g} {r.rejections[g]}" for g in GATES if r.rejections.get(g)) or "-"
        lines.append(
            f"| {r.project} ({r.expected_style} → {r.detected}) | {r.engine} | {r.targets}"
            f" | {r.posted} ({_pct(r.posted, r.targets)}) | {gates} | {_score(r.rouge_l, r)}"
            f" | {_score(r.bleu4, r)} | {_score(r.baseline_rouge_l, r)}"
            f" | {_score(r.baseline_bleu4, r)}"
            f" | {_pct(r.beyond_name * r.posted, r.posted)} | {r.facts_failures}"
            f" | {r.patches_applying}/{r.posted} | {_pct(r.authors_passing, r.targets)} |"
        )
    return head + "\n".join(lines) + "\n"


def _sdist(folder: Path, project: str, version: str) -> Path:
    for candidate in sorted(folder.glob("*.tar.gz")):
        name = candidate.name.lower().replace("_", "-")
        if name.startswith(f"{project.lower()}-{version}"):
            return candidate
    raise SystemExit(
        f"no sdist of {project}=={version} in {folder}: "
        f"pip download --no-deps --no-binary :all: {project}=={version} -d {folder}"
    )


def main(argv: list[str] | None = None) -> list[Row]:
    """Run the benchmark and print the table (and the JSON rows with `--json`)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdists", type=Path, required=True, help="folder of .tar.gz sdists")
    parser.add_argument("--projects", nargs="*", default=list(PROJECTS))
    parser.add_argument("--limit", type=int, default=60, help="docstrings stripped per project")
    parser.add_argument("--engine", action="append", default=None, help="heuristic, hf, openai")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    parser.add_argument("--model", default=None, help="hf: the base model's folder")
    parser.add_argument("--adapters", default=None, help="hf: the adapters folder")
    parser.add_argument("--server", default=None, help="openai: the server's base URL")
    parser.add_argument("--device", default="auto", help="hf: auto, cpu, cuda")
    args = parser.parse_args(argv)
    startup = EngineStartup(
        model=args.model, adapters=args.adapters, server=args.server, device=args.device
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="codegen-docs-quality-") as scratch_name:
        scratch = Path(scratch_name)
        for project in args.projects:
            style, version = PROJECTS[project]
            root = unpack(_sdist(args.sdists, project, version), scratch / project)
            corpus = build_corpus(project, root, args.limit)
            for engine in args.engine or ["heuristic"]:
                rows.append(run_project(corpus, engine, style, scratch, startup))
    print(table(rows))
    for row in rows:
        print(f"{row.project} ({row.engine}): " + " | ".join(row.examples))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2))
    return rows


if __name__ == "__main__":
    main()
