"""How often the facts gate refuses what people wrote, and what it refuses of engines' proposals.

The gate's cost in false refusals, measured on real projects: every documented public function,
method and class of each sdist's package files is checked with its own docstring taken out of
the source (so its words ground nothing), once with the whole docstring and once with its first
line alone (a one-line proposal, the shape models write). With `--replay`, the summaries a
`bench.prompts` run kept (`kept: [[symbol, summary], …]`) are checked again against the
definitions they were written for, to count what the gate refuses now of model proposals.

    .venv/bin/python -m bench.facts_refusals --sdists ~/.cache/codegen/sdists \\
        --projects humanize==4.11.0 boltons==24.1.0 [--replay RUN.json] [--json OUT]
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.docs_corpus import package_files, unpack
from codegen_bot.refactor.gates.docstring_facts import facts_problems

Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


@dataclass
class Tally:
    """One project's documented definitions of one kind and how many the gate refused."""

    project: str
    kind: str  # function, method or class
    checked: int = 0
    whole_refused: int = 0
    first_line_refused: int = 0
    reasons: dict[str, int] = field(default_factory=dict)  # the first line's first problem


def _kind(node: Definition, parents: list[Definition]) -> str:
    if isinstance(node, ast.ClassDef):
        return "class"
    return "method" if parents and isinstance(parents[-1], ast.ClassDef) else "function"


def documented(source: str) -> list[tuple[Definition, str]]:
    """Public, non-dunder definitions with a docstring, outside nested functions, and their kind."""
    found: list[tuple[Definition, str]] = []

    def visit(body: list[ast.stmt], parents: list[Definition]) -> None:
        for node in body:
            if not isinstance(node, Definition):
                continue
            public = not node.name.startswith("_")
            if public and ast.get_docstring(node) and len(node.body) >= 2:
                found.append((node, _kind(node, parents)))
            if isinstance(node, ast.ClassDef):
                visit(node.body, [*parents, node])

    visit(ast.parse(source).body, [])
    return found


def without_docstring(source: str, node: Definition) -> str | None:
    """The source with this definition's docstring lines removed (None when not alone on them)."""
    first = node.body[0]
    lines = source.split("\n")
    end = first.end_lineno or first.lineno
    if lines[first.lineno - 1][: first.col_offset].strip():
        return None
    if lines[end - 1][first.end_col_offset or 0 :].strip():
        return None
    return "\n".join(lines[: first.lineno - 1] + lines[end:])


def _label(problem: str) -> str:
    """A rule's message without the names in it, to count problems by rule."""
    return re.sub(r"`[^`]*`", "`…`", problem).split("'", 1)[0].strip()[:70]


def measure(project: str, files: dict[str, str]) -> tuple[list[Tally], list[dict[str, str]]]:
    """Check every documented definition's own docstring and first line; tallies and refusals."""
    tallies = {kind: Tally(project, kind) for kind in ("function", "method", "class")}
    refused: list[dict[str, str]] = []
    for path, source in files.items():
        for node, kind in documented(source):
            stripped = without_docstring(source, node)
            if stripped is None:
                continue
            docstring = ast.get_docstring(node) or ""
            first = docstring.strip().split("\n", 1)[0].strip()
            tally = tallies[kind]
            tally.checked += 1
            whole = facts_problems(stripped, node.lineno, node.name, docstring)
            line = facts_problems(stripped, node.lineno, node.name, first)
            tally.whole_refused += bool(whole)
            tally.first_line_refused += bool(line)
            if line:
                label = _label(line[0])
                tally.reasons[label] = tally.reasons.get(label, 0) + 1
                refused.append({"where": f"{path}:{node.lineno} {node.name}", "first_line": first,
                                "problems": "; ".join(line)})  # fmt: skip
    return list(tallies.values()), refused


def replay(run: list[dict], files_by_project: dict[str, dict[str, str]]) -> list[dict[str, str]]:
    """Check a bench.prompts run's kept summaries again against their definitions."""
    verdicts = []
    seen = set()
    for row in run:
        files = files_by_project.get(row["project"])
        if files is None:
            continue
        for symbol, summary in row.get("kept") or []:
            if not summary or (row["project"], symbol, summary) in seen:
                continue
            seen.add((row["project"], symbol, summary))
            found = locate(files, symbol)
            if found is None:
                continue
            _, source, line = found
            problems = facts_problems(source, line, symbol.rsplit(".", 1)[-1], summary)
            verdicts.append(
                {"project": row["project"], "symbol": symbol, "summary": summary,
                 "problems": "; ".join(problems)}
            )  # fmt: skip
    return verdicts


def locate(files: dict[str, str], symbol: str) -> tuple[str, str, int] | None:
    """The first definition named `symbol`: its path, source (its docstring out) and line."""
    name = symbol.rsplit(".", 1)[-1]
    for path, source in files.items():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, Definition) and node.name == name:
                if ast.get_docstring(node) and len(node.body) >= 2:
                    stripped = without_docstring(source, node)
                    if stripped is not None:
                        return path, stripped, node.lineno
                return path, source, node.lineno
    return None


def sdist(folder: Path, spec: str) -> Path:
    project, version = spec.split("==")
    for candidate in sorted(folder.glob("*.tar.gz")):
        if candidate.name.lower().replace("_", "-").startswith(f"{project.lower()}-{version}"):
            return candidate
    raise SystemExit(f"no sdist of {spec} in {folder}")


def table(tallies: list[Tally]) -> str:
    """The Markdown table: refusals of the authors' docstrings per project and kind."""
    lines = [
        "| project | kind | documented | whole docstring refused | first line refused |",
        "|---|---|---|---|---|",
    ]
    for t in tallies:
        if t.checked:
            lines.append(
                f"| {t.project} | {t.kind} | {t.checked} | {t.whole_refused}"
                f" ({100 * t.whole_refused / t.checked:.0f}%) | {t.first_line_refused}"
                f" ({100 * t.first_line_refused / t.checked:.0f}%) |"
            )
    checked = sum(t.checked for t in tallies)
    whole = sum(t.whole_refused for t in tallies)
    first = sum(t.first_line_refused for t in tallies)
    if checked:
        lines.append(
            f"| all | all | {checked} | {whole} ({100 * whole / checked:.1f}%)"
            f" | {first} ({100 * first / checked:.1f}%) |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Measure and print the table, the refusals by rule and the replayed proposals."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdists", type=Path, required=True)
    parser.add_argument("--projects", nargs="+", required=True, help="NAME==VERSION")
    parser.add_argument("--replay", type=Path, action="append", default=[])
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    tallies: list[Tally] = []
    refused: list[dict[str, str]] = []
    files_by_project: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory(prefix="codegen-facts-") as scratch:
        for spec in args.projects:
            root = unpack(sdist(args.sdists, spec), Path(scratch) / spec)
            files_by_project[spec] = package_files(root)
            found, refusals = measure(spec, files_by_project[spec])
            tallies += found
            refused += refusals
    print(table(tallies))
    reasons: Counter[str] = Counter()
    for t in tallies:
        reasons.update(t.reasons)
    print("\nfirst lines refused, by the first problem:")
    for label, count in reasons.most_common():
        print(f"  {count:4d}  {label}")
    verdicts = [
        v for run in args.replay for v in replay(json.loads(run.read_text()), files_by_project)
    ]
    if verdicts:
        refused_now = sum(bool(v["problems"]) for v in verdicts)
        print(f"\nreplayed proposals: {len(verdicts)}, refused now: {refused_now}")
        for v in verdicts:
            print(f"  {'REFUSED' if v['problems'] else 'kept   '} {v['symbol']}: {v['summary']!r}"
                  f"{' — ' + v['problems'] if v['problems'] else ''}")  # fmt: skip
    if args.json:
        args.json.write_text(
            json.dumps(
                {"tallies": [asdict(t) for t in tallies], "refused": refused, "replayed": verdicts},
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
