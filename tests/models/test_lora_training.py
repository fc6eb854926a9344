"""`codegen adapters train` on the tiny model, on a repository mined here.

The session's shop fixture mines the shop repository and trains its docs adapter on the CPU;
these tests read what it recorded, reload it, kill a second run of the same training half-way
and resume it, and check that packing keeps examples apart.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file

from codegen_bot.adapters.engines.hf.hf_config import HFConfig
from codegen_bot.adapters.engines.hf.loading import load_model, model_fingerprint
from codegen_bot.adapters.lora.metadata import AdapterMetadata
from codegen_bot.adapters.lora.packing import Tokenized, pack
from codegen_bot.adapters.lora.saving import save_adapter
from codegen_bot.adapters.lora.settings import TrainSettings
from codegen_bot.adapters.lora.trainer import load_dataset, tokenize_rows
from codegen_bot.adapters.lora.training_loop import Batch, TrainJob, train, weighted_loss, with_lora
from tests.conftest import HANG_GUARD
from tests.models.conftest import Shop
from tests.models.lora_shop import STEPS, train_args

pytestmark = pytest.mark.model


def test_training_lowers_the_loss_and_records_what_it_was(shop: Shop) -> None:
    folder = shop.adapters / "docs" / "1"
    metadata = AdapterMetadata.load(folder)
    metrics = metadata.metrics
    # Training fits the train split, and it carries over to the held-out file's docstrings.
    assert metrics["train_loss"] < 0.5 * metrics["train_loss_first"]
    assert metrics["eval_loss"] < metrics["eval_loss_base"]
    assert (metadata.task, metadata.version, metadata.base_model) == ("docs", "1", "tiny-qwen2")
    assert metadata.base_fingerprint == model_fingerprint(shop.model)
    counts = shop.manifest["tasks"]["docs"]
    assert metadata.data["rows_train"] == counts["train"] == 6
    assert metadata.data["rows_eval"] == counts["eval"] == 2
    assert metadata.data["examples_train"] == 6 and metadata.data["head"] == shop.manifest["head"]
    assert len(metadata.data_hash) == 16
    hyper = metadata.hyperparameters
    assert (hyper["rank"], hyper["alpha"], hyper["seq_len"], hyper["total_steps"]) == (
        16,
        32,
        1024,
        STEPS,
    )
    assert hyper["resumed_from"] == 0 and hyper["tokens"] > 0
    assert not (folder / "checkpoint").exists()  # removed once the adapter is saved
    assert re.search(
        rf"step {STEPS}/{STEPS}  loss [\d.]+  lr [\d.e+-]+  [\d,]+ tokens/s", shop.train_log
    )


def test_a_second_run_is_the_next_version_and_bad_input_is_refused(
    shop: Shop, run_cli: Any, tmp_path: Path
) -> None:
    missing = run_cli(*train_args(shop.model, tmp_path / "nothing", tmp_path / "a"))
    assert missing.code == 2 and "run `codegen adapters mine` first" in missing.err
    bad = run_cli(*train_args(shop.model, shop.data, tmp_path / "a", "--micro-batch", "3"))
    assert bad.code == 2 and "multiple of `micro_batch`" in bad.err
    nothing = run_cli(*train_args(shop.model, shop.data, tmp_path / "a", "--resume"))
    assert nothing.code == 2 and "no interrupted docs run to resume" in nothing.err
    adapters = tmp_path / "adapters"
    shutil.copytree(shop.adapters, adapters)
    again = run_cli(*train_args(shop.model, shop.data, adapters, "--steps", "2"))
    assert again.code == 0, again.err
    assert json.loads(again.out)["adapter"] == "docs@2"


def test_saved_adapter_reloads_with_identical_logits(shop: Shop, tmp_path: Path) -> None:
    dataset = load_dataset(shop.data, "docs")
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(shop.model)
    examples = tokenize_rows(dataset.split("train"), dataset.context, tokenizer, 2048, 1024)
    settings = TrainSettings(
        seq_len=1024, batch_size=2, micro_batch=1, steps=3, learning_rate=5e-3, warmup_steps=1
    )
    folder = tmp_path / "adapters" / "docs" / "7"
    folder.mkdir(parents=True)
    result = train(TrainJob(shop.model, folder, examples.tokenized, [], settings, device="cpu"))
    ids = torch.tensor([examples.tokenized[0].prompt])
    with torch.no_grad():
        trained = result.model(input_ids=ids).logits
        base = result.model.get_base_model()
        with result.model.disable_adapter():
            untouched = base(input_ids=ids).logits
    assert not torch.allclose(trained, untouched, atol=1e-4)  # the adapter does something
    save_adapter(result.model, folder, AdapterMetadata("docs", "7", "tiny-qwen2"))

    loaded = load_model(HFConfig(str(shop.model), str(tmp_path / "adapters"), device="cpu"))
    assert loaded.adapters["docs"].version == "7"
    with torch.no_grad(), loaded.weights.active("docs", merged=False):
        reloaded = loaded.model(input_ids=ids).logits
    assert torch.equal(reloaded, trained)
    with torch.no_grad(), loaded.weights.active("docs", merged=True):
        merged = loaded.model(input_ids=ids).logits  # the engine's fast path: merged weights
    assert torch.allclose(merged, trained, atol=1e-4)


def test_killed_run_resumes_where_it_stopped(shop: Shop, run_cli: Any, tmp_path: Path) -> None:
    adapters = tmp_path / "adapters"
    args = train_args(shop.model, shop.data, adapters, "--checkpoint-every", "5")
    codegen = Path(sys.executable).with_name("codegen")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GH_"))}
    state = adapters / "docs" / "1" / "checkpoint" / "state.pt"
    process = subprocess.Popen(
        [str(codegen), *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
    )
    try:
        # Training is bounded by its steps: wait for the checkpoint or the end, not for a clock.
        while not state.exists() and process.poll() is None:
            time.sleep(0.01)
        assert state.exists(), process.stderr.read().decode() if process.stderr else ""
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=HANG_GUARD)
        if process.stderr:
            process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    assert not (adapters / "docs" / "1" / "adapter_config.json").exists()  # really cut short

    resumed = run_cli(*args, "--resume")
    assert resumed.code == 0, resumed.err
    step = int(re.search(rf"resuming at step (\d+) of {STEPS}", resumed.err).group(1))
    assert step % 5 == 0 and 0 < step < STEPS
    metadata = AdapterMetadata.load(adapters / "docs" / "1")
    assert metadata.hyperparameters["resumed_from"] == step
    assert metadata.hyperparameters["steps_run"] == STEPS - step
    # It continued rather than restarted: the same weights as the uninterrupted run.
    mine = load_file(adapters / "docs" / "1" / "adapter_model.safetensors")
    reference = load_file(shop.adapters / "docs" / "1" / "adapter_model.safetensors")
    assert mine.keys() == reference.keys()
    for name, value in reference.items():
        assert torch.allclose(mine[name], value, atol=1e-5, rtol=1e-4), name
    assert metadata.metrics["train_loss"] == pytest.approx(
        AdapterMetadata.load(shop.adapters / "docs" / "1").metrics["train_loss"], rel=1e-4
    )


def test_packed_examples_do_not_see_each_other(shop: Shop) -> None:
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(shop.model).eval()
    first = Tokenized(tuple(range(10, 40)), tuple(range(40, 50)))
    second = Tokenized(tuple(range(100, 120)), tuple(range(120, 126)), weight=3.0)
    (sequence,) = pack([first, second], 80, pad_id=1)
    assert sequence.examples == 2 and sequence.padding == 80 - 40 - 26
    start = sequence.input_ids.index(100)
    ids = torch.tensor([sequence.input_ids])
    with torch.no_grad():
        # Without a cache and a mask, transformers reads the examples' bounds from the positions.
        positions = torch.tensor([sequence.position_ids])
        packed = model(input_ids=ids, position_ids=positions, use_cache=False).logits
        alone = model(input_ids=torch.tensor([[*second.prompt, *second.completion]])).logits
        leaky = model(input_ids=ids, use_cache=False).logits  # plain causal attention
    span = slice(start, start + len(second))
    assert torch.allclose(packed[0, span], alone[0], atol=1e-5)
    assert not torch.allclose(leaky[0, span], alone[0], atol=1e-3)

    # The training loss of the packed sequence is the two examples' losses, weighted: nothing
    # leaks across the boundary, and the prompt tokens count for nothing.
    peft_model = with_lora(model, TrainSettings(dropout=0.0), torch.device("cpu"))
    with torch.no_grad():
        both = weighted_loss(peft_model, Batch.of([sequence], torch.device("cpu")))
        each = [
            weighted_loss(peft_model, Batch.of(pack([e], 80, 1), torch.device("cpu")))
            for e in (first, second)
        ]
    assert torch.allclose(both, each[0] + each[1], rtol=1e-5)
    assert sequence.weight == len(first.completion) + 3.0 * len(second.completion)
