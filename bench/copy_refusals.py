"""What the copy check refuses: people's own summaries (its false refusals) and models' copies.

For documented public functions and methods of each sdist (a spread sample), the docstring is
taken out, the docs prompt is built as a review builds it (the project's docstring examples,
its code around the target; a budget counted in words), and the authors' own first line is
checked against that prompt as if a model had answered it. With `--replay`, the summaries a
`bench.prompts` run kept are checked against their targets' prompts the same way. With
`--rule-from FILE` (a `parse.py`, e.g. `git show REV:adapters/prompts/parse.py > old.py`), that
file's `copied_from_prompt` is counted beside the current one.

    .venv/bin/python -m bench.copy_refusals --sdists ~/.cache/codegen/sdists \\
        --projects humanize==4.11.0 toolz==1.2.0 [--replay RUN.json] [--rule-from old.py]
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench.docs_corpus import package_files, unpack
from bench.facts_refusals import documented, locate, sdist, without_docstring
from codegen_bot.adapters.engines.base import RunContext
from codegen_bot.adapters.prompts.build import build_prompt
from codegen_bot.adapters.prompts.few_shot import pick_docstring_examples
from codegen_bot.adapters.prompts.parse import copied_from_prompt
from codegen_bot.refactor.results import Success
from codegen_bot.refactor.targets import Target, find_definitions

Rule = Callable[[str, str, str], bool]


def _rule_from(path: Path) -> Rule:
    spec = importlib.util.spec_from_file_location("compared_parse", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.copied_from_prompt  # type: ignore[no-any-return]


def prompt_of(
    files: dict[str, str], path: str, source: str, line: int, budget: int
) -> tuple[Target, str] | None:
    """The target on `line` of `source` (a version of `files[path]`) and its docs prompt."""
    target: Target | None = next(
        (t for t in find_definitions(path, source) if t.def_line == line), None
    )
    if target is None:
        return None
    others = [(other, text) for other, text in files.items() if other != path]
    examples = pick_docstring_examples([(path, source), *others], "google")
    built = build_prompt(
        "docs", target, RunContext(docstring_examples=examples), lambda t: len(t.split()), budget
    )
    return (target, built.value.text) if isinstance(built, Success) else None


def people(
    files: dict[str, str], per_project: int, budget: int, rules: dict[str, Rule]
) -> tuple[int, dict[str, int], list[dict[str, object]]]:
    """Per rule, how many of the authors' first lines it refuses; and the lines refused."""
    items = [
        (path, source, node)
        for path, source in files.items()
        for node, kind in documented(source)
        if kind != "class"
    ]
    step = max(1, len(items) // max(per_project, 1))
    counts = dict.fromkeys(rules, 0)
    checked, refused = 0, list[dict[str, object]]()
    for path, source, node in items[::step][:per_project]:
        stripped = without_docstring(source, node)
        found = prompt_of(files, path, stripped, node.lineno, budget) if stripped else None
        if found is None:
            continue
        target, prompt = found
        first = (ast.get_docstring(node) or "").strip().split("\n", 1)[0]
        checked += 1
        verdicts = {name: rule(first, prompt, target.code) for name, rule in rules.items()}
        for name, verdict in verdicts.items():
            counts[name] += verdict
        if any(verdicts.values()):
            refused.append({"symbol": node.name, "first_line": first, **verdicts})
    return checked, counts, refused


def main(argv: list[str] | None = None) -> None:
    """Measure and print the counts per project and rule, and the replayed summaries."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdists", type=Path, required=True)
    parser.add_argument("--projects", nargs="+", required=True, help="NAME==VERSION")
    parser.add_argument("--per-project", type=int, default=80, help="functions sampled")
    parser.add_argument("--budget", type=int, default=400, help="prompt budget, in words")
    parser.add_argument("--replay", type=Path, action="append", default=[])
    parser.add_argument("--rule-from", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    rules: dict[str, Rule] = {"now": copied_from_prompt}
    if args.rule_from:
        rules["compared"] = _rule_from(args.rule_from)
    out: dict[str, list] = {"people": [], "replayed": []}
    with tempfile.TemporaryDirectory(prefix="codegen-copies-") as scratch:
        files_by_project = {
            spec: package_files(unpack(sdist(args.sdists, spec), Path(scratch) / spec))
            for spec in args.projects
        }
        for spec, files in files_by_project.items():
            checked, counts, refused = people(files, args.per_project, args.budget, rules)
            cells = ", ".join(f"{name} rule {count}" for name, count in counts.items())
            print(f"{spec}: {checked} authors' first lines; refused as copies: {cells}")
            out["people"].append(
                {"project": spec, "checked": checked, **counts, "refused": refused}
            )
        seen: set[tuple[str, str, str]] = set()
        for run in args.replay:
            for row in json.loads(run.read_text()):
                project_files = files_by_project.get(row["project"])
                if project_files is None:
                    continue
                for symbol, summary in row.get("kept") or []:
                    if not summary or (row["project"], symbol, summary) in seen:
                        continue
                    seen.add((row["project"], symbol, summary))
                    where = locate(project_files, symbol)
                    found = where and prompt_of(project_files, *where, args.budget)
                    if not found:
                        continue
                    target, prompt = found
                    verdicts = {n: rule(summary, prompt, target.code) for n, rule in rules.items()}
                    out["replayed"].append({"symbol": symbol, "summary": summary, **verdicts})
    if out["replayed"]:
        totals = ", ".join(f"{name} rule {sum(r[name] for r in out['replayed'])}" for name in rules)
        print(f"replayed summaries: {len(out['replayed'])}; refused as copies: {totals}")
        for r in out["replayed"]:
            marks = " ".join(f"{name}={'copy' if r[name] else '-'}" for name in rules)
            print(f"  {marks:<24} {r['symbol']}: {r['summary']}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
