"""How good codegen's tests are on real projects, measured by mutation score.

For each project (a PyPI source distribution, tests included): pick N public functions of one
module that the project's own tests call; delete those tests (every test function that names
one of them) and the doctest examples in their docstrings; commit that as the base, and as the
head a one-line touch of each function, so `codegen review --tasks tests` writes tests for them.
Then report, per project: the share of functions with an accepted test, the lines and branches
they gained, and the mutation score (mutmut, restricted to the N functions' mutants) of the
generated tests against the deleted real tests, each run alone (the real ones kept in files of
their own, beside their module's imports and fixtures), and each beside the rest of the
project's test files (what a maintainer gets). Functions whose doctests alone kill every mutant
the deleted real tests kill are "pinned by doctests" and left out of the scores. Goal: >= 90%
of the real tests' score, alone, on the functions the doctests do not pin down.

    .venv/bin/python -m bench.tests_quality [--functions 3] [--project boltons==26.2.0 ...]
        [--doctests keep|strip]

Needs mutmut (`pip install mutmut==3.8.1`) and network access to PyPI for the sdists.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import git

from bench.mutation_scores import (
    Statuses,
    docstrings_with_examples,
    doctest_module,
    function_of,
    killed,
    mutation_statuses,
    passing_doctests,
    score,
)
from bench.tests_bench import download, timed

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Project:
    """A PyPI project, the module whose functions lose their tests, and its tests folder."""

    requirement: str
    module: str
    tests: str


PROJECTS = (
    Project("boltons==26.2.0", "boltons/strutils.py", "tests"),
    Project("inflection==0.5.1", "inflection/__init__.py", "."),
    Project("toolz==1.0.0", "toolz/itertoolz.py", "toolz/tests"),
    Project("humanize==4.12.3", "src/humanize/number.py", "tests"),
    Project("isodate==0.7.2", "src/isodate/isotime.py", "tests"),
)


@dataclass
class Outcome:
    """One project's figures."""

    project: str
    functions: list[str]
    accepted: list[str]
    lines: int
    branches: int
    #: mutmut's statuses per run: "generated", "real" (each alone), "rest+generated",
    #: "rest+real" (beside the project's remaining tests) and "doctests" (the docstrings alone)
    statuses: dict[str, dict[str, str]]
    seconds: float


def public_functions(source: str) -> list[str]:
    """Module-level public functions, in order."""
    return [
        node.name
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")
    ]


def test_files(root: Path, tests: str) -> list[Path]:
    """The project's pytest files in its tests folder (not below it for a root folder)."""
    folder = root / tests
    found = folder.glob("test_*.py") if tests == "." else folder.rglob("test_*.py")
    return sorted(found)


def _names(node: ast.AST) -> set[str]:
    found = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            found.add(child.id)
        elif isinstance(child, ast.Attribute):
            found.add(child.attr)
    return found


def _test_nodes(tree: ast.Module) -> list[ast.FunctionDef]:
    return [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test")]


def _span(node: ast.FunctionDef) -> tuple[int, int]:
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    assert node.end_lineno is not None
    return first, node.end_lineno


def _drop(source: str, spans: list[tuple[int, int]]) -> str:
    lines = source.splitlines(keepends=True)
    for start, end in sorted(spans, reverse=True):
        del lines[start - 1 : end]
    return "".join(lines)


def choose(root: Path, project: Project, count: int) -> list[str]:
    """The first `count` public functions of the module that some test function names."""
    names = public_functions((root / project.module).read_text(encoding="utf-8"))
    called: set[str] = set()
    for path in test_files(root, project.tests):
        for node in _test_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            called |= _names(node)
    return [name for name in names if name in called][:count]


def split_tests(root: Path, project: Project, chosen: set[str]) -> dict[Path, tuple[str, str]]:
    """Per test file touched: (the file without the chosen functions' tests, only those tests)."""
    result = {}
    for path in test_files(root, project.tests):
        source = path.read_text(encoding="utf-8")
        nodes = _test_nodes(ast.parse(source))
        theirs = [n for n in nodes if _names(n) & chosen]
        if not theirs:
            continue
        others = [n for n in nodes if n not in theirs]
        result[path] = (_drop(source, [_span(n) for n in theirs]),
                        _drop(source, [_span(n) for n in others]))  # fmt: skip
    return result


def strip_doctests(source: str, chosen: set[str]) -> str:
    """The module with the doctest examples of the chosen functions' docstrings removed."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    drop: list[tuple[int, int]] = []
    for node in tree.body:
        if not (isinstance(node, ast.FunctionDef) and node.name in chosen and node.body):
            continue
        doc = node.body[0]
        if not (isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant)):
            continue
        assert doc.end_lineno is not None
        inside = False
        for number in range(doc.lineno, doc.end_lineno + 1):
            text = lines[number - 1].strip()
            if text.startswith(">>>"):
                inside = True
            elif not text or text.endswith(('"""', "'''")):
                inside = False
            if inside:
                drop.append((number, number))
    return _drop(source, drop)


def touch(source: str, chosen: set[str]) -> str:
    """A comment line at the top of each chosen function's body (so the diff touches it)."""
    lines = source.splitlines(keepends=True)
    nodes = [n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)]
    for node in sorted(nodes, key=lambda n: n.lineno, reverse=True):
        if node.name in chosen:
            first = node.body[0]
            # after the docstring, so the docstring stays the first statement
            at = first.end_lineno if isinstance(first, ast.Expr) else first.lineno - 1
            body = node.body[1] if isinstance(first, ast.Expr) and len(node.body) > 1 else first
            assert at is not None
            lines.insert(at, " " * body.col_offset + "# touched by the tests-quality benchmark\n")
    return "".join(lines)


def commit(repo: git.Repo, message: str) -> str:
    """Commit everything; return the commit id."""
    author = git.Actor("Bench", "bench@example.com")
    repo.git.add("--all")
    return repo.index.commit(message, author=author, committer=author).hexsha


def run_project(project: Project, count: int, scratch: Path, *, strip: bool) -> Outcome:
    """Strip, regenerate and score one project."""
    source = download(project.requirement, scratch / "download")
    root = scratch / "repo"
    shutil.copytree(source, root)
    chosen = choose(root, project, count)
    original = (root / project.module).read_text(encoding="utf-8")
    split = split_tests(root, project, set(chosen))
    repo = git.Repo.init(root, initial_branch="main")
    for path, (without, _) in split.items():
        path.write_text(without, encoding="utf-8")
    module = root / project.module
    if strip:
        module.write_text(strip_doctests(module.read_text(encoding="utf-8"), set(chosen)))
    base = commit(repo, "base: the chosen functions' tests and doctests taken out")
    module.write_text(touch(module.read_text(encoding="utf-8"), set(chosen)))
    commit(repo, "head: the chosen functions touched")
    report_path = scratch / "report.json"
    seconds, review = timed(
        [sys.executable, "-m", "codegen_bot.bot.cli", "review", "--repo", str(root), "--base", base,
         "--tasks", "tests", "--format", "json", "--out", str(report_path), "-q"],
        ROOT,
    )  # fmt: skip
    if review.returncode != 0:
        raise SystemExit(f"codegen review failed on {project.requirement}: {review.stderr}")
    report = json.loads(report_path.read_text())
    accepted = [
        p for p in report["proposals"] if p["task"] == "tests" and p["status"] == "accepted"
    ]
    for proposal in report["proposals"]:
        if proposal["task"] == "tests" and proposal["status"] != "accepted":
            print(f"  rejected {proposal['symbol']}: {proposal['reason']}", flush=True)
    for skipped in report["skipped"]:
        if skipped["symbol"] in chosen:
            print(f"  skipped {skipped['symbol']}: {skipped['reason']}", flush=True)
    for note in report["notes"]:
        print(f"  note: {note[:300]}", flush=True)
    repo.git.checkout(base)
    statuses = score_trees(project, root, scratch, chosen, split, accepted, original)
    return Outcome(
        project.requirement,
        chosen,
        [p["symbol"] for p in accepted],
        sum(p["metrics"].get("lines_gained", 0) for p in accepted),
        sum(p["metrics"].get("branches_gained", 0) for p in accepted),
        statuses,
        seconds,
    )


def score_trees(  # noqa: PLR0917 (one project's pieces, each named at the one call)
    project: Project,
    root: Path,
    scratch: Path,
    chosen: list[str],
    split: dict[Path, tuple[str, str]],
    accepted: list[dict[str, Any]],
    original: str,
) -> dict[str, Statuses]:
    """mutmut's statuses for each set of tests, each in a copy of the base tree."""
    rest = [str(p.relative_to(root)) for p in test_files(root, project.tests)]
    generated_tree = scratch / "generated"
    shutil.copytree(root, generated_tree, ignore=shutil.ignore_patterns(".git"))
    for proposal in accepted:
        (generated_tree / proposal["path"]).write_text(proposal["text"], encoding="utf-8")
    real_tree = scratch / "real"
    shutil.copytree(root, real_tree, ignore=shutil.ignore_patterns(".git"))
    real_tests = []
    for path, (_, only) in split.items():
        relative = path.relative_to(root)
        name = relative.with_name(re.sub(r"^test_", "test_deleted_", relative.name))
        (real_tree / name).write_text(only, encoding="utf-8")
        real_tests.append(str(name))
    generated_tests = [p["path"] for p in accepted]
    runs = {
        "generated": (generated_tree, generated_tests),
        "real": (real_tree, real_tests),
        "rest+generated": (generated_tree, [*rest, *generated_tests]),
        "rest+real": (real_tree, [*rest, *real_tests]),
    }
    docstrings = docstrings_with_examples(original, chosen)
    if docstrings:
        doctest_tree = scratch / "doctests"
        shutil.copytree(root, doctest_tree, ignore=shutil.ignore_patterns(".git"))
        doctest_file = Path(project.tests) / "test_bench_doctests_only.py"
        (doctest_tree / doctest_file).write_text(doctest_module(project.module, docstrings))
        passing = passing_doctests(doctest_tree, doctest_file, list(docstrings))
        docstrings = {name: docstrings[name] for name in passing}
        (doctest_tree / doctest_file).write_text(doctest_module(project.module, docstrings))
        if docstrings:
            runs["doctests"] = (doctest_tree, [str(doctest_file)])
    statuses: dict[str, Statuses] = {}
    for label, (tree, tests) in runs.items():
        # a fresh copy per run: mutmut keeps its state in the tree
        copy = scratch / f"mutmut-{label}"
        shutil.copytree(tree, copy)
        statuses[label] = mutation_statuses(copy, project.module, chosen, tests) if tests else {}
    return statuses


def pinned(outcome: Outcome) -> set[str]:
    """Functions whose doctests alone kill every mutant the deleted real tests kill."""
    doctests = killed(outcome.statuses.get("doctests", {}))
    real = killed(outcome.statuses["real"])
    return {
        name
        for name in outcome.functions
        if {m for m in real if function_of(m) == name} <= doctests
        and any(function_of(m) == name for m in doctests)
    }


def _score(figures: tuple[int, int]) -> str:
    done, checked = figures
    return f"{done}/{checked} ({100 * done / checked:.0f}%)" if checked else "-"


def _ratio(generated: tuple[int, int], real: tuple[int, int]) -> str:
    if not (generated[1] and real[1] and real[0]):
        return "-"
    return f"{(generated[0] / generated[1]) / (real[0] / real[1]) * 100:.0f}%"


def table(outcomes: list[Outcome]) -> list[str]:
    """The Markdown table the README shows (scores over the functions the doctests leave open)."""
    lines = [
        "| project | functions with an accepted test | pinned by doctests "
        "| lines / branches gained | mutation score: generated | deleted real tests "
        "| generated / real | rest + generated | rest + real | ratio with the rest |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for o in outcomes:
        pins = pinned(o)
        open_ = set(o.functions) - pins
        generated, real = score(o.statuses["generated"], open_), score(o.statuses["real"], open_)
        with_rest = score(o.statuses["rest+generated"], open_)
        real_rest = score(o.statuses["rest+real"], open_)
        lines.append(
            f"| {o.project} | {len(o.accepted)}/{len(o.functions)} "
            f"({', '.join(o.accepted) or 'none'}) | {', '.join(sorted(pins)) or 'none'} "
            f"| +{o.lines} / +{o.branches} | {_score(generated)} | {_score(real)} "
            f"| {_ratio(generated, real)} | {_score(with_rest)} | {_score(real_rest)} "
            f"| {_ratio(with_rest, real_rest)} |"
        )
    return lines


def details(outcome: Outcome) -> list[str]:
    """One line per function: mutants killed by each set of tests."""
    lines = []
    for name in outcome.functions:
        figures = ", ".join(
            f"{label} {_score(score(statuses, {name}))}"
            for label, statuses in outcome.statuses.items()
        )
        lines.append(f"  {name}: {figures}")
    return lines


def main(argv: list[str] | None = None) -> list[Outcome]:
    """Run the benchmark on each project and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=int, default=3, help="functions per project")
    parser.add_argument("--project", action="append", help="only these (e.g. boltons==26.2.0)")
    parser.add_argument(
        "--doctests",
        choices=("keep", "strip"),
        default="keep",
        help="strip: take the chosen functions' doctest examples out too",
    )
    args = parser.parse_args(argv)
    projects = [p for p in PROJECTS if not args.project or p.requirement in args.project]
    outcomes = []
    for project in projects:
        with tempfile.TemporaryDirectory(prefix="codegen-quality-") as scratch:
            outcome = run_project(
                project, args.functions, Path(scratch), strip=args.doctests == "strip"
            )
        outcomes.append(outcome)
        print(
            f"{project.requirement}: chose {', '.join(outcome.functions)}; "
            f"codegen review took {outcome.seconds:.1f} s",
            flush=True,
        )
        print("\n".join(details(outcome)), flush=True)
    print("\n".join(table(outcomes)))
    return outcomes


if __name__ == "__main__":
    main()
