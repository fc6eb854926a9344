"""The real model: the fast decode path equals `generate`; a trained adapter reloads exactly."""

from __future__ import annotations

import re

import pytest
import torch

from codegen_bot.adapters.engines.completion import Sampling
from codegen_bot.adapters.engines.hf.batch import Row
from codegen_bot.adapters.engines.hf.model import LoadedModel
from codegen_bot.adapters.lora.metadata import AdapterMetadata
from codegen_bot.adapters.lora.packing import pack
from codegen_bot.adapters.lora.settings import TrainSettings
from codegen_bot.adapters.lora.trainer import load_dataset, tokenize_rows
from codegen_bot.adapters.lora.training_loop import evaluate_loss
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


def test_the_saved_adapter_reloads_to_the_trained_model(
    smol_loaded: LoadedModel, smol_shop: SmolShop
) -> None:
    """The adapter `codegen adapters train` saved, loaded from disk, scores the held-out rows
    exactly as the trained model did in memory before saving (the session's adapter: no second
    training): unmerged it is the same computation, and with the adapter off the base model's
    loss. (Merged equals unmerged: the fast-path test compares them token for token.)"""
    metadata = AdapterMetadata.load(smol_shop.adapters / "docs" / "1")
    settings = TrainSettings(seq_len=512, batch_size=1, micro_batch=1)  # as TRAIN_FLAGS
    dataset = load_dataset(smol_shop.data, "docs")
    trained_prompt = smol_loaded.trained_prompt("docs")
    assert trained_prompt is not None and trained_prompt.format == "chat"  # auto: the template
    examples = tokenize_rows(
        dataset.split("eval"),
        dataset.context,
        smol_loaded.tokenizer,
        smol_loaded.max_context,
        512,
        frame=smol_loaded.chat_frame,
    )
    pad_id = smol_loaded.model.config.pad_token_id
    sequences = pack(examples.tokenized, 512, pad_id if isinstance(pad_id, int) else 0)
    assert len(sequences) == metadata.data["eval_sequences"] > 0
    cpu = torch.device("cpu")

    def loss(adapter: str | None, merged: bool) -> float:
        with smol_loaded.weights.active(adapter, merged=merged):
            return evaluate_loss(smol_loaded.model, sequences, settings, cpu)

    trained, base = metadata.metrics["eval_loss"], metadata.metrics["eval_loss_base"]
    assert loss("docs", merged=False) == pytest.approx(trained, rel=1e-6)
    assert loss(None, merged=False) == pytest.approx(base, rel=1e-6)
    assert trained != pytest.approx(base, rel=1e-3)  # the adapter does change the model
