"""Configuration from `[tool.codegen]` or `.codegen.toml`: errors name the key and the file."""

from __future__ import annotations

import pytest

from codegen_bot.bot.config import Config, config_from_files, glob_match
from codegen_bot.bot.errors import ConfigError


def test_defaults_without_any_file() -> None:
    config = config_from_files(None, None)
    assert config == Config()
    assert config.source == "defaults"


def test_pyproject_table() -> None:
    config = config_from_files(
        '[project]\nname = "x"\n[tool.codegen]\nexclude = ["migrations/**"]\nmax_suggestions = 5\n'
        '[tool.codegen.docs]\nstyle = "numpy"\nskip_private = false\n',
        None,
    )
    assert config.exclude == ("migrations/**",)
    assert config.max_suggestions == 5
    assert config.docs.style == "numpy" and config.docs.skip_private is False
    assert config.source == "pyproject.toml"
    assert not config.wants("migrations/0001_initial.py")
    assert config.wants("app/models.py")


def test_codegen_toml_top_level() -> None:
    config = config_from_files(None, 'tasks = ["docs"]\n[docs]\nstyle = "sphinx"\n')
    assert config.docs.style == "sphinx" and config.source == ".codegen.toml"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[tool.codegen]\nmax_sugestions = 3\n", "unknown key `tool.codegen.max_sugestions`"),
        (
            "[tool.codegen]\nmax_suggestions = 'many'\n",
            "`tool.codegen.max_suggestions` must be an integer",
        ),
        (
            "[tool.codegen]\nmax_suggestions = true\n",
            "`tool.codegen.max_suggestions` must be an integer",
        ),
        (
            "[tool.codegen.docs]\nstyle = 'pep8'\n",
            "`tool.codegen.docs.style` must be 'auto' or 'google'",
        ),
        ("[tool.codegen]\ntasks = ['docs', 'lint']\n", "`tool.codegen.tasks[1]`"),
        ("[tool.codegen]\ndocs = 3\n", "`tool.codegen.docs` must be a table"),
        ("[tool.codegen\n", "not valid TOML"),
    ],
)
def test_errors_name_the_key_and_the_file(text: str, needle: str) -> None:
    with pytest.raises(ConfigError) as error:
        config_from_files(text, None)
    assert needle in str(error.value)
    assert str(error.value).startswith("pyproject.toml")


def test_both_files_is_an_error() -> None:
    with pytest.raises(ConfigError, match="keep one"):
        config_from_files("[tool.codegen]\ntasks = ['docs']\n", "tasks = ['docs']\n")


def test_a_broken_pyproject_without_our_table_is_not_our_business() -> None:
    assert config_from_files("[project\nname = 1", None) == Config()


@pytest.mark.parametrize(
    ("path", "pattern", "expected"),
    [
        ("a.py", "**/*.py", True),
        ("pkg/sub/a.py", "**/*.py", True),
        ("pkg/a.py", "*.py", False),
        ("tests/test_a.py", "tests/**", True),
        ("src/tests/x.py", "**/tests/**", True),
        ("a.pyi", "**/*.py", False),
    ],
)
def test_globs(path: str, pattern: str, expected: bool) -> None:
    assert glob_match(path, pattern) is expected
