"""Configuration: one frozen object, built once from defaults, the repository's file and the CLI.

The repository's settings live in `[tool.codegen]` of `pyproject.toml` or in `.codegen.toml`.
Unknown keys and wrong types are errors that name the key and the file.
"""

from __future__ import annotations

import dataclasses
import re
import shlex
import tomllib
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from codegen_bot.adapters.lora.settings import TrainSettings
from codegen_bot.bot.errors import ConfigError


@dataclass(frozen=True)
class DocsConfig:
    """`[tool.codegen.docs]`: the docstring task."""

    style: Literal["auto", "google", "numpy", "sphinx", "plain"] = "auto"
    #: Whether parameter entries carry types (`x (int): ...`); auto: as the repository does.
    arg_types: Literal["auto", "always", "never"] = "auto"
    skip_dunder: bool = True
    skip_overloads: bool = True
    skip_private: bool = True
    skip_trivial_properties: bool = True
    skip_tests: bool = True
    skip_private_modules: bool = True  # `_impl.py`: not the package's public face
    #: Files whose definitions get no docstring proposed (globs, `**` spans folders).
    exclude: tuple[str, ...] = ("setup.py", "**/conftest.py", "docs/conf.py", "doc/conf.py")


@dataclass(frozen=True)
class TestsConfig:
    """`[tool.codegen.tests]`: the tests task."""

    runs: int = 5  # a new test must pass this many runs in a row
    timeout: float = 10.0  # seconds one run of one new test module may take
    suite_timeout: float = 900.0  # seconds one run of the repository's own suite may take
    memory_mb: int = 4096  # address space for each sandboxed run
    property_tests: Literal["auto", "always", "never"] = "auto"  # auto: if the repo uses Hypothesis
    #: bubblewrap: required. "none" (a plain subprocess) is the runner operator's to choose
    #: (`--isolation none`); from a repository's file it is ignored with a note.
    isolation: Literal["auto", "bubblewrap", "none"] = "auto"
    python: str = ""  # the interpreter that runs tests (needs pytest, coverage); empty: codegen's
    skip_private: bool = True
    max_targets: int = 30


@dataclass(frozen=True)
class MaxNewTokensConfig:
    """`[tool.codegen.engine.max_new_tokens]`: how long a model's answer may be, per task."""

    docs: int = 256
    tests: int = 1024
    refactor: int = 1024


@dataclass(frozen=True)
class EngineConfig:
    """`[tool.codegen.engine]`: how model engines propose (the heuristic engine needs none of it).

    Where the model and its adapters are is the runner's business (command-line flags), not the
    reviewed repository's.
    """

    samples: int = 1  # candidates per target: 1 is greedy; k adds k - 1 samples after it
    temperature: float = 0.8  # for the samples
    context_tokens: int = 2048  # the most tokens a prompt may hold; far code is cut first
    max_new_tokens: MaxNewTokensConfig = field(default_factory=MaxNewTokensConfig)
    #: completion, chat (the model's chat template) or auto (chat when the model has one);
    #: auto measured best (README, "Prompts that fit the model"). A task whose adapter
    #: recorded its training format and budget uses those instead
    prompt_format: Literal["auto", "completion", "chat"] = "auto"


#: Python files that are not the project's code: docs configuration (Sphinx's conf.py and its
#: extensions), build and task scripts, examples. Nightly leaves them alone unless configured.
NOT_PROJECT_CODE = (
    "doc/**",
    "docs/**",
    "setup.py",
    "noxfile.py",
    "tasks.py",
    "fabfile.py",
    "build.py",
    "hatch_build.py",
    "build_*.py",
    "examples/**",
    "example/**",
)


@dataclass(frozen=True)
class NightlyConfig:
    """`[tool.codegen.nightly]`: the nightly refactoring job."""

    include: tuple[str, ...] = ("**/*.py",)  # on top of the top-level include/exclude
    #: Not the project's code: docs configuration, build scripts, examples (`[]` takes them in).
    exclude: tuple[str, ...] = NOT_PROJECT_CODE
    max_files: int = 10  # files looked at per night (half of them at most recently changed)
    max_proposals: int = 20  # changes proven per night
    recent_days: int = 7  # "recently changed": touched this many days before the head commit
    #: Ruff rules proposed on top of the project's own selection: none unless asked (e.g. "UP").
    extra_rules: tuple[str, ...] = ()
    changed_lines_covered: bool = True  # every changed statement must be run by a passing test


@dataclass(frozen=True)
class Config:
    """`[tool.codegen]`: everything a run needs to know about the repository's wishes."""

    include: tuple[str, ...] = ("**/*.py",)
    exclude: tuple[str, ...] = ()
    tasks: tuple[Literal["docs", "tests", "refactor"], ...] = ("docs",)
    max_suggestions: int = 20
    max_file_bytes: int = 500_000
    test_command: str = ""
    docs: DocsConfig = field(default_factory=DocsConfig)
    tests: TestsConfig = field(default_factory=TestsConfig)
    engine: EngineConfig = field(default_factory=EngineConfig)
    nightly: NightlyConfig = field(default_factory=NightlyConfig)
    #: `[tool.codegen.lora]`: how `codegen adapters train` trains this repository's adapters.
    lora: TrainSettings = field(default_factory=TrainSettings)
    #: Where the settings came from, for messages and the report ("defaults" when nowhere).
    source: str = "defaults"
    #: What the file asked for and did not get (one line each), for the report's notes.
    notes: tuple[str, ...] = ()

    def wants(self, path: str) -> bool:
        """Whether `path` matches `include` and not `exclude`."""
        return any(glob_match(path, g) for g in self.include) and not any(
            glob_match(path, g) for g in self.exclude
        )


def glob_match(path: str, pattern: str) -> bool:
    """Match a repository path against a glob where `**` spans folders and `*` does not."""
    return re.fullmatch(_glob_regex(pattern), path) is not None


def _glob_regex(pattern: str) -> str:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


# --- validation --------------------------------------------------------------------------------


def _type_name(kind: Any) -> str:
    origin = get_origin(kind)
    if origin is Literal:
        return " or ".join(repr(a) for a in get_args(kind))
    if origin in (tuple, list):
        return f"a list of {_type_name(get_args(kind)[0])}"
    if origin in (Union, types.UnionType):
        return " or ".join(_type_name(a) for a in get_args(kind))
    if kind is type(None):
        return "nothing"
    return {bool: "true or false", int: "an integer", float: "a number", str: "a string"}.get(
        kind, getattr(kind, "__name__", str(kind))
    )


def _convert(value: Any, kind: Any, key: str, where: str) -> Any:
    """Check `value` against the annotation `kind`; return it in the dataclass's own types."""
    origin = get_origin(kind)
    wrong = ConfigError(f"{where}: `{key}` must be {_type_name(kind)}, not {value!r}")
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}: `{key}` must be a table")
        return _build(kind, value, key, where)
    if origin is Literal:
        if value not in get_args(kind):
            raise wrong
        return value
    if origin in (Union, types.UnionType):
        for option in get_args(kind):
            try:
                return _convert(value, option, key, where)
            except ConfigError:
                continue
        raise wrong
    if origin in (tuple, list):
        if not isinstance(value, list):
            raise wrong
        item = get_args(kind)[0]
        return tuple(_convert(v, item, f"{key}[{i}]", where) for i, v in enumerate(value))
    if kind is type(None):
        if value is not None:
            raise wrong
        return value
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    # bool is a subclass of int: `max_suggestions = true` must not pass as 1.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise wrong
    return value


def _build(cls: type, table: Mapping[str, Any], prefix: str, where: str) -> Any:
    hints = get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls) if f.name not in ("source", "notes")}
    values = {}
    for key, value in table.items():
        full = f"{prefix}.{key}"
        if key not in names:
            known = ", ".join(sorted(names))
            raise ConfigError(f"{where}: unknown key `{full}` (known keys: {known})")
        values[key] = _convert(value, hints[key], full, where)
    return cls(**values)


def parse_config(table: Mapping[str, Any], where: str) -> Config:
    """Build a `Config` from the `[tool.codegen]` table found in `where` (a file name)."""
    config = _build(Config, table, "tool.codegen", where)
    if config.max_suggestions < 0 or config.max_file_bytes <= 0:
        raise ConfigError(f"{where}: `max_suggestions` and `max_file_bytes` must be positive")
    tests = config.tests
    if tests.runs < 1 or tests.timeout <= 0 or tests.suite_timeout <= 0 or tests.memory_mb < 64:
        raise ConfigError(
            f"{where}: `tests.runs`, `tests.timeout`, `tests.suite_timeout` must be positive "
            "and `tests.memory_mb` at least 64"
        )
    try:
        shlex.split(config.test_command)
    except ValueError as error:  # an unbalanced quote
        raise ConfigError(
            f"{where}: `tool.codegen.test_command` is not a command line: {error}"
        ) from error
    _check_engine(config.engine, where)
    nightly = config.nightly
    if nightly.max_files < 1 or nightly.max_proposals < 0 or nightly.recent_days < 0:
        raise ConfigError(
            f"{where}: `nightly.max_files` must be at least 1, `nightly.max_proposals` and "
            "`nightly.recent_days` not negative"
        )
    problems = config.lora.problems()
    if problems:
        raise ConfigError(f"{where}: lora: {'; '.join(problems)}")
    notes: tuple[str, ...] = ()
    if tests.isolation == "none":
        # A file is the repository's (and a pull request can write one): lowering isolation is
        # the runner operator's decision alone.
        notes = (
            f'{where}: `tests.isolation = "none"` is ignored: only the runner\'s operator can '
            "lower isolation (`--isolation none`)",
        )
        config = dataclasses.replace(config, tests=dataclasses.replace(tests, isolation="auto"))
    return dataclasses.replace(config, source=where, notes=notes)


def _check_engine(engine: EngineConfig, where: str) -> None:
    if not 1 <= engine.samples <= 16:
        raise ConfigError(f"{where}: `engine.samples` must be from 1 to 16, not {engine.samples}")
    if not 0 < engine.temperature <= 2:
        raise ConfigError(f"{where}: `engine.temperature` must be above 0 and at most 2")
    if engine.context_tokens < 256:
        raise ConfigError(f"{where}: `engine.context_tokens` must be at least 256")
    for task in ("docs", "tests", "refactor"):
        if getattr(engine.max_new_tokens, task) < 1:
            raise ConfigError(f"{where}: `engine.max_new_tokens.{task}` must be positive")


def config_from_files(
    pyproject: str | None, codegen_toml: str | None, codegen_name: str = ".codegen.toml"
) -> Config:
    """Build the configuration from `pyproject.toml` and `.codegen.toml` texts (None: absent).

    `.codegen.toml` holds the table at its top level (with or without a `[tool.codegen]`
    wrapper). Defining settings in both files is an error, so there is never a doubt which wins.
    """
    tables: list[tuple[str, Mapping[str, Any]]] = []
    for name, text in ((codegen_name, codegen_toml), ("pyproject.toml", pyproject)):
        if text is None:
            continue
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            # A broken pyproject.toml is the project's problem unless it is ours to read.
            if name == "pyproject.toml" and "[tool.codegen" not in text:
                continue
            raise ConfigError(f"{name}: not valid TOML: {error}") from error
        tool = document.get("tool", {})
        if not isinstance(tool, Mapping):
            raise ConfigError(f"{name}: `tool` must be a table, not {tool!r}")
        if name == codegen_name:
            tables.append((name, tool.get("codegen", document)))
        elif "codegen" in tool:
            tables.append((name, tool["codegen"]))
    if len(tables) == 2:
        raise ConfigError(
            f"both {codegen_name} and [tool.codegen] in pyproject.toml configure codegen; keep one"
        )
    if not tables:
        return Config()
    name, table = tables[0]
    if not isinstance(table, Mapping):
        raise ConfigError(f"{name}: `tool.codegen` must be a table, not {table!r}")
    return parse_config(table, name)


IsolationChoice = Literal["auto", "bubblewrap", "none"]


def with_isolation(config: Config, operator: IsolationChoice | None) -> Config:
    """Apply the runner operator's isolation choice (None: not given) over the repository's.

    The operator may lower isolation (`none`) or require bubblewrap; the repository may only
    require it (its `none` never gets here, see `parse_config`).
    """
    if operator is None or operator == "auto":
        return config
    return dataclasses.replace(config, tests=dataclasses.replace(config.tests, isolation=operator))


def with_engine(config: Config, samples: int | None, prompt_format: str | None) -> Config:
    """Apply the runner's `--samples` and `--prompt-format` (None: not given) over the repo's."""
    changes: dict[str, Any] = {}
    if samples is not None:
        changes["samples"] = samples
    if prompt_format is not None:
        changes["prompt_format"] = prompt_format
    if not changes:
        return config
    engine = dataclasses.replace(config.engine, **changes)
    _check_engine(engine, "--samples")
    return dataclasses.replace(config, engine=engine)


def with_overrides(config: Config, **changes: Any) -> Config:
    """Return `config` with command-line values applied (None means 'not given')."""
    given = {key: value for key, value in changes.items() if value is not None}
    return dataclasses.replace(config, **given)
