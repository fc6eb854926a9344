"""How a repository writes and runs its tests, read from its files, so new tests fit in.

Where tests live and how their files are named, pytest or unittest style, the fixtures its
`conftest.py` files offer, whether it already uses Hypothesis, how its package is imported
(`src` layout or flat), and what to run. Pure: the caller passes the file list and a reader.
"""

from __future__ import annotations

import ast
import re
import shlex
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal

Reader = Callable[[str], str | None]

_CONFIG_FILES = ("pyproject.toml", "setup.cfg", "tox.ini", "pytest.ini", "setup.py")
_REQUIREMENTS = re.compile(r"(^|/)(requirements[^/]*\.(txt|in)|constraints[^/]*\.txt)$")
_TESTPATHS = re.compile(r"^\s*testpaths\s*=\s*(.+)$", re.MULTILINE)
_SAMPLE = 40


@dataclass(frozen=True)
class Conventions:
    """What new tests must follow to look like the repository's own."""

    test_dir: str = "tests"
    pattern: Literal["test_*.py", "*_test.py"] = "test_*.py"
    style: Literal["pytest", "unittest"] = "pytest"
    #: The folder packages are imported from: "" (the repository's root) or e.g. "src".
    import_root: str = ""
    uses_hypothesis: bool = False
    fixtures: tuple[str, ...] = ()
    #: What the repository's suite runs: pytest arguments (paths and options).
    pytest_args: tuple[str, ...] = ()
    #: Where the test command came from: "config", "detected" or "default".
    command_source: str = "default"
    test_files: int = 0

    def module_name(self, path: str) -> str | None:
        """The import name of a repository file (`src/pkg/mod.py` → `pkg.mod`), or None."""
        if not path.endswith(".py"):
            return None
        if self.import_root:
            root = self.import_root.rstrip("/") + "/"
            if not path.startswith(root):
                return None
            path = path[len(root) :]
        parts = list(PurePosixPath(path[: -len(".py")]).parts)
        if parts and parts[-1] == "__init__":
            parts.pop()
        if not parts or not all(part.isidentifier() for part in parts):
            return None
        return ".".join(parts)

    def test_file_name(self, stem: str) -> str:
        """A test file name for `stem` in the repository's pattern."""
        return f"{stem}_test.py" if self.pattern == "*_test.py" else f"test_{stem}.py"


def is_test_path(path: str) -> bool:
    """Whether `path` names a test module by the usual conventions."""
    name = PurePosixPath(path).name
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def detect(paths: Sequence[str], read: Reader, test_command: str = "") -> Conventions:
    """Read the repository's conventions from its file list and a few of its files."""
    tests = [p for p in paths if is_test_path(p)]
    pattern: Literal["test_*.py", "*_test.py"] = "test_*.py"
    if sum(PurePosixPath(p).name.endswith("_test.py") for p in tests) > len(tests) / 2:
        pattern = "*_test.py"
    folders = Counter(_top_test_folder(p) for p in tests)
    test_dir = folders.most_common(1)[0][0] if folders else "tests"
    sample = [read(p) or "" for p in tests[:_SAMPLE]]
    style: Literal["pytest", "unittest"] = "pytest"
    unittest_files = sum(_is_unittest_module(text) for text in sample)
    if (
        sample
        and unittest_files > len(sample) / 2
        and not any("import pytest" in t for t in sample)
    ):
        style = "unittest"
    configs = {name: read(name) or "" for name in _CONFIG_FILES}
    requirements = [read(p) or "" for p in paths if _REQUIREMENTS.search(p)]
    uses_hypothesis = any(
        re.search(r"\bhypothesis\b", text) for text in [*configs.values(), *requirements]
    ) or any(re.search(r"^\s*(from|import) hypothesis\b", t, re.MULTILINE) for t in sample)
    fixtures = sorted(
        {
            name
            for p in paths
            if PurePosixPath(p).name == "conftest.py"
            for name in _fixture_names(read(p) or "")
        }
    )
    args, source = _pytest_args(test_command, configs)
    return Conventions(
        test_dir=test_dir,
        pattern=pattern,
        style=style,
        import_root=_import_root(paths),
        uses_hypothesis=uses_hypothesis,
        fixtures=tuple(fixtures),
        pytest_args=args,
        command_source=source,
        test_files=len(tests),
    )


def _top_test_folder(path: str) -> str:
    """The outermost folder of a test file that is a tests folder, else its own folder."""
    parts = PurePosixPath(path).parts[:-1]
    for index, part in enumerate(parts):
        if part in ("tests", "test", "testing"):
            return "/".join(parts[: index + 1])
    return "/".join(parts) or "."


def _is_unittest_module(text: str) -> bool:
    return bool(re.search(r"\(\s*(unittest\.)?TestCase\s*\)", text)) and not re.search(
        r"^def test_", text, re.MULTILINE
    )


def _fixture_names(text: str) -> list[str]:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    names = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if ast.unparse(target).endswith("fixture"):
                    names.append(node.name)
    return names


def _import_root(paths: Sequence[str]) -> str:
    """`src` when packages live in `src/` and not at the top, else the root."""
    top = {p.split("/", 1)[0] for p in paths if p.endswith("/__init__.py") and p.count("/") == 1}
    in_src = any(
        p.startswith("src/") and p.endswith("/__init__.py") and p.count("/") == 2 for p in paths
    )
    return "src" if in_src and not (top - {"tests", "test", "docs"}) else ""


def _pytest_args(command: str, configs: dict[str, str]) -> tuple[tuple[str, ...], str]:
    """Pytest arguments from the configured command, else the `testpaths` setting, else none."""
    try:
        words = shlex.split(command)
    except ValueError:  # an unbalanced quote: the configuration check names it; detect instead
        words = []
    if words:
        for index, word in enumerate(words):
            if PurePosixPath(word).name in ("pytest", "py.test"):
                return tuple(words[index + 1 :]), "config"
            if word == "-m" and index + 1 < len(words) and words[index + 1] == "pytest":
                return tuple(words[index + 2 :]), "config"
            if word == "-m" and index + 1 < len(words) and words[index + 1] == "unittest":
                # pytest runs unittest suites too, and gives each test a node id.
                return tuple(
                    w for w in words[index + 2 :] if not w.startswith("-") and w != "discover"
                ), "config"
    for name in ("pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg"):
        match = _TESTPATHS.search(configs.get(name, ""))
        if match:
            found = re.findall(r"[\w./-]+", match.group(1).split("#", 1)[0])
            return tuple(f for f in found if f not in ("testpaths",)), "detected"
    return (), "default"
