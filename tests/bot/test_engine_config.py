"""`[tool.codegen.engine]`: how model engines propose, read and checked like every other table."""

from __future__ import annotations

import pytest

from codegen_bot.bot.config import config_from_files, with_engine
from codegen_bot.bot.errors import ConfigError


def test_engine_table_and_token_budgets() -> None:
    config = config_from_files(
        "[tool.codegen.engine]\nsamples = 4\ntemperature = 1\ncontext_tokens = 4096\n"
        "[tool.codegen.engine.max_new_tokens]\ndocs = 128\n",
        None,
    )
    assert config.engine.samples == 4
    assert config.engine.temperature == 1.0
    assert config.engine.context_tokens == 4096
    assert config.engine.max_new_tokens.docs == 128
    assert config.engine.max_new_tokens.tests == 1024  # untouched default


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[tool.codegen.engine]\nsamples = 0\n", "`engine.samples` must be from 1 to 16"),
        ("[tool.codegen.engine]\ntemperature = 0\n", "`engine.temperature` must be above 0"),
        ("[tool.codegen.engine]\ncontext_tokens = 10\n", "at least 256"),
        ("[tool.codegen.engine.max_new_tokens]\ntests = 0\n", "`engine.max_new_tokens.tests`"),
        ("[tool.codegen.engine]\nmodel = 'x'\n", "unknown key `tool.codegen.engine.model`"),
        ("[tool.codegen.engine]\nprompt_format = 'jinja'\n", "'auto' or 'completion' or 'chat'"),
    ],
)
def test_engine_table_errors_name_the_key(text: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        config_from_files(text, None)


def test_prompt_format_is_read_and_the_runner_overrides_it_and_samples() -> None:
    assert config_from_files(None, None).engine.prompt_format == "auto"
    config = config_from_files("[tool.codegen.engine]\nprompt_format = 'completion'\n", None)
    assert config.engine.prompt_format == "completion"
    assert with_engine(config, None, None) is config
    changed = with_engine(config, 8, "chat")
    assert (changed.engine.samples, changed.engine.prompt_format) == (8, "chat")
    assert changed.engine.context_tokens == config.engine.context_tokens
    with pytest.raises(ConfigError, match="from 1 to 16"):
        with_engine(config, 17, None)
