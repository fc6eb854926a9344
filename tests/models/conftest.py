"""Session-wide tiny models: built once, shared by every model-engine test (a few seconds in all).

And the shop repository mined and its docs adapter trained once, for the adapters tests.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from codegen_bot.adapters.engines.hf.hf_config import HFConfig
from codegen_bot.adapters.engines.hf.loading import load_model
from codegen_bot.adapters.engines.hf.model import LoadedModel
from tests.conftest import HANG_GUARD, GitRepo
from tests.models import tiny
from tests.models.lora_shop import cli, make_shop, train_args


@dataclass(frozen=True)
class TinyModels:
    """Where the tiny model and its adapters are."""

    model: Path
    adapters: Path
    #: The same model with no docs adapter (the tests adapter only): garbage answers.
    adapters_without_docs: Path


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> TinyModels:
    """A Qwen2-shaped model, a docs adapter trained on the sample repository, a random tests adapter."""
    root = tmp_path_factory.mktemp("tiny")
    model = tiny.make_model(root / "tiny-qwen2", tiny.make_tokenizer())
    (root / "sample").mkdir()
    repo = GitRepo(root / "sample")
    base = repo.commit(tiny.BASE_FILES, "base")
    head = repo.commit(tiny.HEAD_FILES, "head")
    prompts, indent = tiny.sample_prompts(model, repo.path, base, head)
    adapters = root / "adapters"
    tiny.train_docs_adapter(model, adapters, prompts, indent)
    tiny.random_adapter(model, adapters, "tests", "1")
    without_docs = root / "adapters-tests-only"
    tiny.random_adapter(model, without_docs, "tests", "1")
    return TinyModels(model, adapters, without_docs)


@dataclass(frozen=True)
class Shop:
    """The mined shop repository and its trained docs adapter."""

    repo: GitRepo
    model: Path
    data: Path
    adapters: Path
    manifest: dict[str, Any]
    train_log: str


@pytest.fixture(scope="session")
def shop(tiny_models: TinyModels, tmp_path_factory: pytest.TempPathFactory) -> Shop:
    """Mine the shop repository, then train docs@1 on it."""
    root = tmp_path_factory.mktemp("shop")
    repo = make_shop(root)
    data, adapters = root / "data", root / "adapters"
    code, _, err = cli("adapters", "mine", "--repo", str(repo.path), "--out", str(data), "-q")
    assert code == 0, err
    code, out, err = cli(*train_args(tiny_models.model, data, adapters, "--checkpoint-every", "10"))
    assert code == 0, err
    assert json.loads(out)["adapter"] == "docs@1"
    manifest = json.loads((data / "manifest.json").read_text())
    return Shop(repo, tiny_models.model, data, adapters, manifest, err)


@pytest.fixture(scope="session")
def loaded(tiny_models: TinyModels) -> LoadedModel:
    """The tiny model with both adapters, loaded once on the CPU (fast decode path)."""
    return load_model(HFConfig(str(tiny_models.model), str(tiny_models.adapters), device="cpu"))


def sample_repo(make_repo: object) -> tuple[GitRepo, str, str]:
    """The sample repository the docs adapter was trained on, freshly committed."""
    repo = make_repo()  # type: ignore[operator]
    base = repo.commit(tiny.BASE_FILES, "base")
    head = repo.commit(tiny.HEAD_FILES, "head")
    return repo, base, head


@dataclass(frozen=True)
class Served:
    """A `codegen serve` process: its URL and its stderr so far."""

    url: str
    log: Path


@contextlib.contextmanager
def serve_process(
    model: Path, adapters: Path, log: Path, *extra: str, start_within: float
) -> Iterator[str]:
    """`codegen serve` in its own process on a free port of 127.0.0.1; its URL.

    Its stderr goes to `log`. Leaving the block stops it with SIGTERM, and it must exit 0.
    """
    codegen = Path(sys.executable).with_name("codegen")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GH_"))}
    argv = [str(codegen), "serve", "--model", str(model), "--adapters", str(adapters)]
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [*argv, "--port", "0", "--device", "cpu", *extra],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=env,
        )
    try:
        url = None
        deadline = (
            time.monotonic() + start_within
        )  # loading is bounded by work; this catches a hang
        while url is None and time.monotonic() < deadline and process.poll() is None:
            found = re.search(r"listening on (http://\S+)", log.read_text())
            url = found.group(1) if found else None
            time.sleep(0.1)
        assert url is not None, f"codegen serve did not start:\n{log.read_text()}"
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=HANG_GUARD)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert code == 0, log.read_text()


@pytest.fixture(scope="session")
def served(tiny_models: TinyModels, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`codegen serve` of the tiny model and adapters, warmed up, stopped with SIGTERM."""
    log = tmp_path_factory.mktemp("serve") / "stderr.txt"
    with serve_process(
        tiny_models.model, tiny_models.adapters, log, "--warmup", start_within=HANG_GUARD
    ) as url:
        assert "warmed up in" in log.read_text()
        yield Served(url, log)
    assert "stopped" in log.read_text()


def review_json(run_cli: Any, repo: Path, base: str, *engine: str, out: Path) -> dict[str, Any]:
    """`codegen review --format json` of `repo` from `base` with `engine`'s flags; the report."""
    result = run_cli(
        "review",
        "--repo",
        str(repo),
        "--base",
        base,
        "--format",
        "json",
        "--out",
        str(out),
        *engine,
    )
    assert result.code == 0, result.err
    return json.loads(out.read_text())
