"""Checks on the code itself: types, docstrings, module sizes, and the direction of imports.

The import graph is read with the standard library's `ast` (every import, module-level or not),
so a cycle or an import against the layering fails here before it fails anyone at run time.
"""

from __future__ import annotations

import ast
import hashlib
import os
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: What the wheel's import names start with, before the folder's name ("" for a top-level package).
IMPORT_ROOT = "codegen_bot."
#: The folders of our packages, in layer order: each may import only the ones after it.
LAYERS = ("bot", "adapters", "refactor")
MAX_LINES = 400
MIN_DOCSTRING_COVERAGE = 0.95


def _sources() -> dict[str, Path]:
    """Every module of ours by its import name."""
    found: dict[str, Path] = {}
    for folder in LAYERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[IMPORT_ROOT + ".".join(parts)] = path
    return found


def _imported(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of ours that `name` imports anywhere in its file (lazy imports too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    named: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            named.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                kept = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*kept, base] if base else kept)
            for alias in node.names:
                member = f"{base}.{alias.name}"
                named.add(member if member in modules else base)
    ours: set[str] = set()
    for dotted in named:
        module = dotted
        while module and module not in modules:  # `bot.config.load` -> `bot.config`
            module = module.rpartition(".")[0]
        if module and module != name:
            ours.add(module)
    return ours


def _graph() -> dict[str, set[str]]:
    modules = _sources()
    return {name: _imported(name, path, modules) for name, path in modules.items()}


def _layer(module: str) -> int:
    return LAYERS.index(module.removeprefix(IMPORT_ROOT).split(".")[0])


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for child in edges:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_the_import_graph_is_read_from_the_sources() -> None:
    graph = _graph()
    assert len(graph) > 50
    assert (
        IMPORT_ROOT + "refactor.results" in graph[IMPORT_ROOT + "refactor.edits.insert_docstring"]
    )


def test_no_import_cycles() -> None:
    assert _cycles(_graph()) == []


def test_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_imports_go_down_the_layers_only() -> None:
    upward = [
        f"{module} imports {target}"
        for module, targets in sorted(_graph().items())
        for target in sorted(targets)
        if _layer(target) < _layer(module)
    ]
    assert upward == []


def test_no_module_is_longer_than_the_limit() -> None:
    long = [
        f"{path.relative_to(ROOT)}: {count} lines"
        for path in _sources().values()
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    ]
    assert long == []


def _public_definitions(path: Path) -> list[tuple[str, bool]]:
    """(qualified name, has a docstring) for the module and each public class and function.

    A name is public when neither it nor anything enclosing it starts with an underscore;
    a module in a private file (`_name.py`) is private with everything in it.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    if path.name != "__init__.py" and path.name.startswith("_"):
        return []
    found = [("<module>", ast.get_docstring(tree) is not None)]
    pending: list[tuple[str, ast.AST]] = [("", tree)]
    while pending:
        prefix, node = pending.pop()
        for child in getattr(node, "body", []):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                if child.name.startswith("_"):
                    continue
                name = f"{prefix}{child.name}"
                found.append((name, ast.get_docstring(child) is not None))
                pending.append((f"{name}.", child))
    return found


def test_public_names_have_docstrings() -> None:
    missing: list[str] = []
    total = 0
    for path in _sources().values():
        for name, documented in _public_definitions(path):
            total += 1
            if not documented:
                missing.append(f"{path.relative_to(ROOT)}: {name}")
    coverage = 1 - len(missing) / total
    assert coverage >= MIN_DOCSTRING_COVERAGE, "\n".join(missing)


def test_docstring_count_sees_a_missing_docstring(tmp_path: Path) -> None:
    module = tmp_path / "shop.py"
    module.write_text(
        '"""A shop."""\n\n\ndef total(prices):\n    return sum(prices)\n\n\n'
        'def _hidden():\n    pass\n\n\nclass Cart:\n    """A cart."""\n\n'
        "    def add(self, item):\n        pass\n",
        encoding="utf-8",
    )
    assert sorted(_public_definitions(module)) == [
        ("<module>", True),
        ("Cart", True),
        ("Cart.add", False),
        ("total", False),
    ]


def _mypy_targets() -> tuple[list[str], dict[str, str]]:
    """What mypy checks, and its environment.

    Under an import root, mypy (which does not follow setuptools' editable finder) reads the
    folders through a link tree `<tmp>/<root>/<folder> -> ROOT/<folder>`, kept at a fixed place
    so that its cache stays warm.
    """
    if not IMPORT_ROOT:
        return list(LAYERS), dict(os.environ)
    root = IMPORT_ROOT.rstrip(".")
    digest = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    tree = Path(tempfile.gettempdir()) / f"codegen-mypy-tree-{digest}"
    for folder in LAYERS:
        link = tree / root / folder
        if not link.is_symlink():
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(ROOT / folder, target_is_directory=True)
    targets = [arg for folder in LAYERS for arg in ("-p", f"{root}.{folder}")]
    return targets, dict(os.environ, MYPYPATH=str(tree))


@pytest.mark.model
# A cold cache over torch and transformers takes minutes beside busy neighbours (it passed 300 s
# once with two busy loops on the 2 cores): the suite's hang guard is widened for it alone.
@pytest.mark.timeout(900)
def test_mypy_finds_no_errors() -> None:
    """mypy in default mode over the three packages (settings in pyproject.toml's [tool.mypy])."""
    pytest.importorskip("mypy")
    pytest.importorskip("torch")
    # A cache that outlives the run: a warm check takes seconds, a cold one a minute.
    cache = Path(tempfile.gettempdir()) / "codegen-mypy-cache"
    targets, env = _mypy_targets()
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(cache), "--no-error-summary", *targets],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == ""


def test_the_wheel_lists_every_package() -> None:
    """pyproject's explicit package list (package-dir mapping) matches the tree."""
    listed = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    found = sorted(
        ".".join(["codegen_bot", *init.parent.relative_to(ROOT).parts])
        for folder in LAYERS
        for init in (ROOT / folder).rglob("__init__.py")
    )
    assert sorted(listed) == found


def test_imports_use_the_import_root() -> None:
    """No file imports `bot`, `adapters` or `refactor` bare: they exist only as `codegen_bot.*`."""
    bare = []
    for folder in (*LAYERS, "tests", "bench"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                bare += [
                    f"{path.relative_to(ROOT)}:{node.lineno} {name}"
                    for name in names
                    if name.split(".")[0] in LAYERS
                ]
    assert bare == []
