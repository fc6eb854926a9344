"""Mutation scores for the tests-quality benchmark: mutmut's statuses, and doctests as tests.

mutmut 3 mutates the chosen functions of one module and runs a given list of test files
against each mutant; the doctests of those functions run as a pytest module of their own, so
that what they kill can be told apart from what the tests kill.
"""

from __future__ import annotations

import ast
import doctest
import re
import shutil
import subprocess
import sys
from pathlib import Path

#: mutant name (`x_f__mutmut_3`) -> mutmut's status
Statuses = dict[str, str]


def mutation_statuses(tree: Path, module: str, chosen: list[str], tests: list[str]) -> Statuses:
    """mutmut's status of each mutant of the chosen functions, with only `tests` running.

    mutmut needs the tests green in its own copy of the tree, where some real tests fail (a
    folder it does not copy, code that inspects the functions it wraps): those are deselected
    (and said) until the clean run passes, for every set of tests alike.
    """
    package = module.split("/", 1)[0]  # the whole package is copied; only `chosen` mutate
    listed = "".join(f"\n    {t}" for t in tests)
    top = sorted(p.name for p in tree.iterdir() if p.name not in (".git", "mutants", "setup.cfg"))
    copied = "".join(f"\n    {name}" for name in top)
    dotted = (
        module.removeprefix("src/").removesuffix(".py").removesuffix("/__init__").replace("/", ".")
    )
    names = [f"{dotted}.x_{name}__mutmut_*" for name in chosen]
    mutmut = str(Path(sys.executable).with_name("mutmut"))
    settings = tree / "setup.cfg"
    original = settings.read_text(encoding="utf-8") if settings.exists() else ""
    deselected: list[str] = []
    for _ in range(12):
        # An empty `pytest_add_cli_args =` would reach pytest as the path "": the whole tree.
        arguments = "".join(f"\n    --deselect\n    {node}" for node in deselected)
        extra = f"pytest_add_cli_args ={arguments}\n" if deselected else ""
        settings.write_text(
            original + f"\n[mutmut]\npaths_to_mutate = {package}\nonly_mutate = {module}\n"
            f"tests_dir ={listed}\nalso_copy ={copied}\n{extra}",
            encoding="utf-8",
        )
        shutil.rmtree(tree / "mutants", ignore_errors=True)
        run = subprocess.run(
            [mutmut, "run", *names], cwd=tree, capture_output=True, text=True, check=False
        )
        output = re.sub(r"\x1b\[[0-9;]*m", "", run.stdout + run.stderr)  # pytest's colours
        # node ids up to the test function: a parameter id may hold spaces, and `--deselect`
        # takes a prefix
        failing = re.findall(r"^(?:FAILED|ERROR) (\S+?\.py(?:::[^\s\[]+)?)", output, re.MULTILINE)
        new = [node for node in dict.fromkeys(failing) if node not in deselected]
        if "failed to collect stats" not in output and "Failed to run clean test" not in output:
            break
        if not new:
            print(f"  mutmut cannot run {tests}: {output[-1500:]}", flush=True)
            return {}
        deselected += new
    if deselected:
        print(f"  deselected (they fail under mutmut): {', '.join(deselected)}", flush=True)
    listing = subprocess.run(
        [mutmut, "results", "--all", "true"], cwd=tree, capture_output=True, text=True, check=False
    ).stdout
    wanted = "|".join(re.escape(name) for name in chosen)
    found = re.findall(rf"\.(x_(?:{wanted})__mutmut_\d+): ([\w ]+)", listing)
    return {mutant: status.strip() for mutant, status in found}


def function_of(mutant: str) -> str:
    """The function a mutant belongs to (`x_f__mutmut_3` -> `f`)."""
    return re.sub(r"^x_|__mutmut_\d+$", "", mutant)


def score(statuses: Statuses, functions: set[str]) -> tuple[int, int]:
    """Mutants of `functions` killed (or timed out), and mutants checked."""
    checked = [
        s
        for m, s in statuses.items()
        if function_of(m) in functions and s not in ("not checked", "skipped")
    ]
    return sum(s in ("killed", "timeout") for s in checked), len(checked)


def killed(statuses: Statuses) -> set[str]:
    """The mutants `statuses` counts as killed."""
    return {m for m, s in statuses.items() if s in ("killed", "timeout")}


def doctest_module(module: str, docstrings: dict[str, str]) -> str:
    """A pytest module that runs each function's doctest examples (so mutmut can use them)."""
    dotted = (
        module.removeprefix("src/").removesuffix(".py").removesuffix("/__init__").replace("/", ".")
    )
    tests = "".join(
        f"\n\ndef test_doctests_of_{name}():\n    _run({name!r}, {text!r})\n"
        for name, text in docstrings.items()
    )
    return (
        "import doctest\nimport importlib\n\n\ndef _run(name, text):\n"
        f"    globs = dict(vars(importlib.import_module({dotted!r})))\n"
        "    test = doctest.DocTestParser().get_doctest(text, globs, name, None, 0)\n"
        "    runner = doctest.DocTestRunner(\n"
        "        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE\n"
        "    )\n"
        "    runner.run(test, out=lambda _: None)\n"
        "    assert test.examples and not runner.failures\n" + tests
    )


def docstrings_with_examples(source: str, chosen: list[str]) -> dict[str, str]:
    """The chosen functions' docstrings that hold doctest examples."""
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name in chosen:
            text = ast.get_docstring(node, clean=False) or ""
            if doctest.DocTestParser().get_examples(text):
                found[node.name] = text
    return found


def passing_doctests(tree: Path, path: Path, names: list[str]) -> list[str]:
    """The doctest tests of `names` that pass unmutated (mutmut needs a green clean run)."""
    run = subprocess.run(
        [sys.executable, "-m", "pytest", str(path), "-q", "-rf", "--tb=no",
         "-p", "no:cacheprovider"],
        cwd=tree, capture_output=True, text=True, check=False,
    )  # fmt: skip
    failed = set(re.findall(r"FAILED \S*::test_doctests_of_(\w+)", run.stdout))
    return [name for name in names if name not in failed]
