"""How a repository writes and runs its tests, read from its files, so new tests fit in.

Where tests live and how their files are named, pytest or unittest style, the fixtures its
`conftest.py` files offer, whether it already uses Hypothesis, how its package is imported
(`src` layout or flat), and what to run. Pure: the caller passes the file list and a reader.
"""

from __future__ import annotations

import ast
import configparser
import fnmatch
import re
import shlex
import tomllib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal

Reader = Callable[[str], str | None]

_CONFIG_FILES = ("pyproject.toml", "setup.cfg", "tox.ini", "pytest.ini", ".pytest.ini", "setup.py")
_REQUIREMENTS = re.compile(r"(^|/)(requirements[^/]*\.(txt|in)|constraints[^/]*\.txt)$")
_DEFAULT_FILES = ("test_*.py", "*_test.py")
_SAMPLE = 40


@dataclass(frozen=True)
class Conventions:
    """What new tests must follow to look like the repository's own."""

    test_dir: str = "tests"
    #: The `python_files` pattern new test files follow (`test_*.py`, `*_test.py`, `check_*.py`).
    pattern: str = "test_*.py"
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
    #: Whether the project's pytest runs the doctests in its modules (`--doctest-modules`).
    runs_doctests: bool = False
    #: pytest's rootdir, relative to the repository ("" for its top): node ids, `testpaths`
    #: and the folders of new tests are relative to it.
    rootdir: str = ""

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
        if (
            self.pattern.count("*") == 1
            and self.pattern.endswith(".py")
            and "/" not in self.pattern
        ):
            return self.pattern.replace("*", stem)
        return f"test_{stem}.py"


def is_test_path(path: str) -> bool:
    """Whether `path` names a test module by the usual conventions."""
    name = PurePosixPath(path).name
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def pytest_settings(configs: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """The ini options of the file pytest reads its configuration from, as lists of words.

    pytest takes the first of `pytest.ini`, `.pytest.ini`, `pyproject.toml` (with
    `[tool.pytest.ini_options]`), `tox.ini` (`[pytest]`) and `setup.cfg` (`[tool:pytest]`).
    """
    for name, section in (
        ("pytest.ini", "pytest"),
        (".pytest.ini", "pytest"),
        ("pyproject.toml", None),
        ("tox.ini", "pytest"),
        ("setup.cfg", "tool:pytest"),
    ):
        text = configs.get(name) or ""
        if not text:
            continue
        if section is None:
            try:
                table = tomllib.loads(text).get("tool", {}).get("pytest", {})
            except tomllib.TOMLDecodeError:
                continue
            options = table.get("ini_options") if isinstance(table, dict) else None
            if isinstance(options, dict):
                return {key: _words(value) for key, value in options.items()}
            continue
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(text)
        except configparser.Error:
            continue
        if parser.has_section(section):
            return {key: _words(value) for key, value in parser.items(section)}
        if name.endswith("pytest.ini"):
            return {}  # pytest.ini wins even when empty
    return {}


def _words(value: object) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(item) for item in value)
    try:
        return tuple(shlex.split(str(value)))
    except ValueError:
        return tuple(str(value).split())


def detect(paths: Sequence[str], read: Reader, test_command: str = "") -> Conventions:
    """Read the repository's conventions from its file list and a few of its files.

    Only the test files the project's pytest would collect count (its `testpaths` or the
    paths of its test command, and its `python_files` patterns), so a folder of benchmarks
    named like tests cannot draw new tests where pytest never looks.
    """
    command_args, _ = _pytest_args(test_command, {})
    config_file, rootdir = _config_file_and_rootdir(command_args, paths, read)
    configs = {name: read(name) or "" for name in _CONFIG_FILES}
    if config_file:
        # pytest reads that file alone, whatever its name, as the ini of its kind.
        name = PurePosixPath(config_file).name
        kind = name if name in ("pyproject.toml", "tox.ini", "setup.cfg") else "pytest.ini"
        configs = {kind: read(config_file) or ""}
    settings = pytest_settings(configs)
    args, source = _pytest_args(test_command, settings)
    args = _without_rootdir(args)
    if source == "detected" and rootdir:
        # `testpaths` are relative to the rootdir; the runner starts pytest at the top.
        args = tuple(str(PurePosixPath(rootdir) / a) for a in args)
    patterns = settings.get("python_files") or _DEFAULT_FILES
    roots = [a.rstrip("/") for a in _path_args(args) if "::" not in a]
    tests = [
        p
        for p in paths
        if _collected_name(p, patterns)
        and (not roots or any(p == r or p.startswith(r + "/") or r == "." for r in roots))
    ]
    pattern = patterns[0]
    if tests:
        pattern = Counter(
            next(g for g in patterns if fnmatch.fnmatch(PurePosixPath(p).name, g)) for p in tests
        ).most_common(1)[0][0]
    folders = Counter(_top_test_folder(p) for p in tests)
    folder_roots = [r for r in roots if not r.endswith(".py")]
    test_dir = (
        folders.most_common(1)[0][0] if folders else (folder_roots[0] if folder_roots else "tests")
    )
    sample = [read(p) or "" for p in tests[:_SAMPLE]]
    style: Literal["pytest", "unittest"] = "pytest"
    unittest_files = sum(_is_unittest_module(text) for text in sample)
    if (
        sample
        and unittest_files > len(sample) / 2
        and not any("import pytest" in t for t in sample)
    ):
        style = "unittest"
    requirements = [read(p) or "" for p in paths if _REQUIREMENTS.search(p)]
    uses_hypothesis = any(
        re.search(r"\bhypothesis\b", text) for text in [*configs.values(), *requirements]
    ) or any(re.search(r"^\s*(from|import) hypothesis\b", t, re.MULTILINE) for t in sample)
    # Fixtures a new test in `test_dir` can use: those of the conftest.py files above it.
    visible = {"conftest.py"} | {
        "/".join(PurePosixPath(test_dir).parts[: n + 1]) + "/conftest.py"
        for n in range(len(PurePosixPath(test_dir).parts))
    }
    fixtures = sorted(
        {name for p in paths if p in visible for name in _fixture_names(read(p) or "")}
    )
    options = (*settings.get("addopts", ()), *args)
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
        runs_doctests="--doctest-modules" in options,
        rootdir=rootdir,
    )


def _config_file_and_rootdir(
    args: Sequence[str], paths: Sequence[str], read: Reader
) -> tuple[str, str]:
    """The configuration file and the rootdir pytest takes for a command (repository paths).

    As pytest decides: the `-c` file, else the first configuration file found from the
    common folder of the command's paths upwards ("" when that is the top's: codegen reads
    those itself); the rootdir is `--rootdir` when given, else that file's folder. A path
    that is absolute or leaves the repository is ignored.
    """
    options = {"-c": "", "--config-file": "", "--rootdir": ""}
    for index, word in enumerate(args):
        name, equals, value = word.partition("=")
        if name in options and equals:
            options[name] = value
        elif word in options and index + 1 < len(args):
            options[word] = args[index + 1]
        elif word.startswith("-c") and len(word) > 2 and not word.startswith("--"):
            options["-c"] = word[2:]
    config = _inside(options["-c"] or options["--config-file"])
    if not config:
        config = _config_above(_path_args(args), paths, read)
    rootdir = _within(options["--rootdir"]) if options["--rootdir"] else None
    if rootdir is None:
        rootdir = str(PurePosixPath(config).parent).removeprefix(".") if config else ""
    return config, rootdir


def _config_above(args: Sequence[str], paths: Sequence[str], read: Reader) -> str:
    """The first configuration file pytest finds from the arguments' common folder upwards."""
    folders = [_inside(a.split("::", 1)[0]) for a in args]
    if not args or not all(folders):
        return ""
    files = set(paths)
    parts = [
        PurePosixPath(f).parts if f not in files else PurePosixPath(f).parent.parts for f in folders
    ]
    common: list[str] = []
    for level in zip(*parts, strict=False):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    while common:
        folder = "/".join(common)
        for name in ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg"):
            path = f"{folder}/{name}"
            if path in files and (
                name.endswith("pytest.ini") or pytest_settings({name: read(path) or ""})
            ):
                return path
        common.pop()
    return ""


def _inside(path: str) -> str:
    """`path` normalised, relative to the repository; "" if empty, absolute or outside it."""
    return _within(path) or ""


def _within(path: str) -> str | None:
    """`path` normalised, relative to the repository ("" for its top); None if outside it."""
    if path.startswith(("/", "~", "$")):
        return None
    parts = [part for part in PurePosixPath(path).parts if part not in ("", ".")]
    return None if ".." in parts else "/".join(parts)


def _without_rootdir(args: Sequence[str]) -> tuple[str, ...]:
    """The arguments without `--rootdir`: the runner passes its own, at the same folder."""
    kept: list[str] = []
    skip = False
    for word in args:
        if skip:
            skip = False
        elif word == "--rootdir":
            skip = True
        elif not word.startswith("--rootdir="):
            kept.append(word)
    return tuple(kept)


#: pytest options whose value is the next word (`-k EXPR`, `-c FILE`), so not a test path.
_VALUED = frozenset(
    "-c --config-file --rootdir -k -m -p -o --override-ini -W --pythonwarnings --ignore "
    "--ignore-glob --deselect --confcutdir --basetemp --maxfail --durations --tb "
    "--import-mode --log-level --junitxml --junit-xml".split()
)


def _path_args(args: Sequence[str]) -> list[str]:
    """The test paths among pytest arguments: words that are neither options nor their values."""
    paths: list[str] = []
    valued = False
    for word in args:
        if valued:
            valued = False
        elif word in _VALUED:
            valued = True
        elif not word.startswith("-"):
            paths.append(word)
    return paths


def _collected_name(path: str, patterns: Sequence[str]) -> bool:
    name = PurePosixPath(path).name
    return name.endswith(".py") and any(fnmatch.fnmatch(name, g) for g in patterns)


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


def _pytest_args(command: str, settings: dict[str, tuple[str, ...]]) -> tuple[tuple[str, ...], str]:
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
    found = settings.get("testpaths", ())
    if found:
        return tuple(found), "detected"
    return (), "default"
