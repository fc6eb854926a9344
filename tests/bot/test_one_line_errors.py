"""Mistakes a new user makes get one line on stderr and exit code 2, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import GitRepo

ROOT = Path(__file__).resolve().parents[2]


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


@pytest.mark.parametrize(
    ("name", "text", "needle"),
    [
        (".codegen.toml", 'tool = "x"\n', "`tool` must be a table"),
        (".codegen.toml", "tool = 1\n", "`tool` must be a table"),
        ("pyproject.toml", 'tool = "codegen"\n', "`tool` must be a table"),
        ("pyproject.toml", "tool = 1\n", "`tool` must be a table"),
        ("pyproject.toml", "[tool]\ncodegen = 1\n", "`tool.codegen` must be a table"),
    ],
)
def test_a_config_whose_tool_is_not_a_table(
    make_repo: Callable[[], GitRepo], run_cli, name: str, text: str, needle: str
) -> None:
    repo = make_repo()
    base = repo.commit({name: text, "a.py": "x = 1\n"}, "base")  # the settings come from the base
    repo.commit({"a.py": "def f(a):\n    return a\n"}, "change")
    result = run_cli("review", "--repo", str(repo.path), "--base", base)
    assert result.code == 2
    line = one_line(result.err)
    assert needle in line and name in line


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (".codegen.toml", "tool = 1\n"),
        ("pyproject.toml", "tool = 1\n"),
        ("pyproject.toml", "[tool]\ncodegen = 1\n"),
    ],
)
def test_a_pull_request_that_breaks_the_config_changes_nothing_of_this_run(
    make_repo: Callable[[], GitRepo], run_cli, name: str, text: str
) -> None:
    """A broken config in the head is not this run's (it is the base's): no error, one note."""
    repo = make_repo()
    base = repo.commit({"a.py": "x = 1\n"}, "base")
    repo.commit({name: text, "a.py": "def load_users(path):\n    return open(path).read()\n"}, "pr")
    result = run_cli("review", "--repo", str(repo.path), "--base", base, "--format", "json")
    assert result.code == 0, result.err
    assert any("apply once merged" in note for note in json.loads(result.out)["notes"])


def test_show_on_a_json_array(tmp_path: Path, run_cli) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps([1, 2]))
    for args in (("show", "--report", str(path)), ("publish", "--report", str(path))):
        result = run_cli(*args)
        assert result.code == 2
        assert "is not a codegen JSON report" in one_line(result.err)


def test_serve_refuses_a_bad_port_and_an_open_host_before_loading_the_model(
    run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CODEGEN_SERVER_API_KEY", raising=False)
    port = run_cli("serve", "--model", "no/such/model", "--port", "99999")
    assert port.code == 2 and "--port must be from 0 to 65535" in one_line(port.err)
    open_host = run_cli("serve", "--model", "no/such/model", "--host", "0.0.0.0")
    assert open_host.code == 2
    line = one_line(open_host.err)
    assert "CODEGEN_SERVER_API_KEY" in line and "--insecure" in line
    # told --insecure, or given a key, it goes on to load the model (here: a missing one)
    insecure = run_cli("serve", "--model", "no/such/model", "--host", "0.0.0.0", "--insecure")
    assert "--insecure" not in insecure.err and "CODEGEN_SERVER_API_KEY" not in insecure.err
    monkeypatch.setenv("CODEGEN_SERVER_API_KEY", "k")
    keyed = run_cli("serve", "--model", "no/such/model", "--host", "10.1.2.3")
    assert "CODEGEN_SERVER_API_KEY" not in keyed.err


#: `codegen ARGS` in a fresh interpreter where `import torch` fails, as without the model extra.
WITHOUT_TORCH = "import sys; sys.modules['torch'] = None; from codegen_bot.bot.cli.main import main; sys.exit(main(sys.argv[1:]))"


def test_the_hf_engine_without_the_model_extra(make_repo: Callable[[], GitRepo]) -> None:
    repo = make_repo()
    base = repo.commit({"a.py": "x = 1\n"}, "base")
    repo.commit({"a.py": "def f(a):\n    return a\n"}, "change")
    commands = [
        ["review", "--repo", str(repo.path), "--base", base, "--engine", "hf", "--model", "m"],
        ["serve", "--model", "m"],
    ]
    for args in commands:
        result = subprocess.run(
            [sys.executable, "-c", WITHOUT_TORCH, *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        assert result.returncode == 2, result.stderr
        line = one_line(result.stderr.splitlines()[-1] if result.stderr else "")
        assert "needs the model extra (torch cannot be imported)" in line
        assert "Traceback" not in result.stderr
