"""The real model: the fast decode path equals `generate`; a trained adapter reloads exactly."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import torch

from codegen_bot.adapters.engines.completion import Sampling
from codegen_bot.adapters.engines.hf.batch import Row
from codegen_bot.adapters.engines.hf.gguf import converted_folder
from codegen_bot.adapters.engines.hf.hf_config import HFConfig
from codegen_bot.adapters.engines.hf.loading import load_model
from codegen_bot.adapters.engines.hf.model import LoadedModel
from codegen_bot.adapters.lora.metadata import AdapterMetadata
from codegen_bot.adapters.lora.saving import save_adapter
from codegen_bot.adapters.lora.settings import TrainSettings
from codegen_bot.adapters.lora.trainer import load_dataset, tokenize_rows
from codegen_bot.adapters.lora.training_loop import TrainJob, train
from tests.smollm.conftest import GGUF_NAME, TRAIN_STEPS, SmolShop

# The first test to run pays the session fixtures (conversion on a fresh machine, training).
pytestmark = [pytest.mark.model, pytest.mark.timeout(1800)]

PROMPTS = [
    'def add(a: int, b: int) -> int:\n    """',
    "class Cart:\n    def total(self):\n        return sum(self.items)\n\n\ndef f(",
    "# Python\nimport math\n",
]


def _rows(model: LoadedModel, budget: int) -> list[Row]:
    """Prompts of different lengths, so the batch is left padded."""
    return [Row(model.tokenizer(p)["input_ids"], budget) for p in PROMPTS]


@pytest.mark.parametrize(("adapter", "merge"), [(None, True), ("docs", True), ("docs", False)])
def test_fast_path_greedy_tokens_equal_generate(
    smol_loaded: LoadedModel, adapter: str | None, merge: bool
) -> None:
    rows = _rows(smol_loaded, 6)
    fast = smol_loaded.decode_rows(adapter, rows, Sampling(), merge=merge, eos_ids=())
    plain = smol_loaded.decode_rows(adapter, rows, Sampling(), path="generate", eos_ids=())
    assert [d.ids for d in fast] == [d.ids for d in plain]
    assert [len(d.ids) for d in fast] == [6, 6, 6]
    # A real model writes words: the decoded text is not empty noise.
    assert all(smol_loaded.tokenizer.decode(d.ids).strip() for d in fast)


def test_training_on_mined_rows_lowers_the_loss(smol_shop: SmolShop) -> None:
    metadata = AdapterMetadata.load(smol_shop.adapters / "docs" / "1")
    metrics = metadata.metrics
    # Measured on the held-out file's rows, before and after: the shop's docstrings follow one
    # template, so even three steps carry over.
    assert metrics["eval_loss"] < metrics["eval_loss_base"]
    assert metadata.base_model == GGUF_NAME
    assert metadata.hyperparameters["total_steps"] == TRAIN_STEPS
    assert metadata.data["examples_train"] == metadata.data["rows_train"] > 0
    assert re.search(rf"step {TRAIN_STEPS}/{TRAIN_STEPS}  loss [\d.]+", smol_shop.train_log)


def test_saved_adapter_reloads_with_equal_logits(
    smollm: Path, smol_loaded: LoadedModel, smol_shop: SmolShop, tmp_path: Path
) -> None:
    dataset = load_dataset(smol_shop.data, "docs")
    examples = tokenize_rows(
        dataset.split("train")[:2], dataset.context, smol_loaded.tokenizer, 8192, 512
    )
    settings = TrainSettings(
        seq_len=512, batch_size=1, micro_batch=1, steps=1, learning_rate=1e-3, warmup_steps=0
    )
    folder = tmp_path / "adapters" / "docs" / "3"
    folder.mkdir(parents=True)
    model_dir = converted_folder(smollm, os.environ)
    result = train(TrainJob(model_dir, folder, examples.tokenized, [], settings, device="cpu"))
    ids = torch.tensor([examples.tokenized[0].prompt[:64]])
    with torch.no_grad():
        trained = result.model(input_ids=ids).logits
    save_adapter(result.model, folder, AdapterMetadata("docs", "3", GGUF_NAME))

    reloaded_model = load_model(HFConfig(str(smollm), str(tmp_path / "adapters"), device="cpu"))
    with torch.no_grad(), reloaded_model.weights.active("docs", merged=False):
        reloaded = reloaded_model.model(input_ids=ids).logits
    assert torch.equal(reloaded, trained)
    with torch.no_grad(), reloaded_model.weights.active("docs", merged=True):
        merged = reloaded_model.model(input_ids=ids).logits
    assert torch.allclose(merged, trained, atol=1e-3)
