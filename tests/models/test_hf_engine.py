"""The hf engine on the tiny model: the fast path equals `generate`, adapters switch cleanly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from codegen_bot.adapters.engines.base import EngineError, RunContext, TokenBudgets
from codegen_bot.adapters.engines.completion import CompletionError, CompletionRequest, Sampling
from codegen_bot.adapters.engines.hf.batch import Row
from codegen_bot.adapters.engines.hf.engine import HFCompleter
from codegen_bot.adapters.engines.hf.hf_config import HFConfig
from codegen_bot.adapters.engines.hf.loading import load_model, model_fingerprint
from codegen_bot.adapters.engines.hf.model import LoadedModel
from codegen_bot.adapters.engines.prompted import PromptedEngine
from codegen_bot.refactor.targets import find_definitions
from tests.models.conftest import TinyModels

pytestmark = pytest.mark.model

PROMPTS = [
    "def add(a, b):\n    return a + b\n",
    "class Cart:\n    def total(self):\n        return sum(self.items)\n\n\ndef f(",
    "x = 1",
    '"""Prices."""\n\nimport math\n\n\ndef area(r: float) -> float:\n    return math.pi * r * r\n',
]


def _rows(model: LoadedModel, budgets: list[int]) -> list[Row]:
    """Prompts of different lengths (so the batch is left padded), with their own budgets."""
    return [Row(model.tokenizer(p)["input_ids"], n) for p, n in zip(PROMPTS, budgets, strict=True)]


@pytest.mark.parametrize("adapter", [None, "docs", "tests"])
def test_fast_path_greedy_tokens_equal_generate(loaded: LoadedModel, adapter: str | None) -> None:
    rows = _rows(loaded, [12, 7, 12, 3])
    # End-of-text suppressed: every row writes its whole budget, as in the benchmark.
    fast = loaded.decode_rows(adapter, rows, Sampling(), path="fast", eos_ids=())
    plain = loaded.decode_rows(adapter, rows, Sampling(), path="generate", eos_ids=())
    assert [d.ids for d in fast] == [d.ids for d in plain]
    assert [len(d.ids) for d in fast] == [12, 7, 12, 3]
    for a, b in zip(fast, plain, strict=True):
        assert a.logprobs == pytest.approx(b.logprobs, abs=1e-4)


def test_fast_path_unmerged_and_compiled_agree(
    tiny_models: TinyModels, loaded: LoadedModel
) -> None:
    rows = _rows(loaded, [10, 10, 10, 10])
    merged = loaded.decode_rows("docs", rows, Sampling(), eos_ids=())
    unmerged = loaded.decode_rows("docs", rows, Sampling(), merge=False, eos_ids=())
    # The compiled step is traced whole (fullgraph) by torch.compile; the "eager" backend runs
    # the traced graph without generating kernels, which a CPU test can afford.
    compiled = load_model(
        HFConfig(
            str(tiny_models.model),
            str(tiny_models.adapters),
            device="cpu",
            compile="on",
            compile_backend="eager",
            max_batch=4,
        )
    )
    traced = compiled.decode_rows("docs", rows, Sampling(), eos_ids=())
    assert [d.ids for d in merged] == [d.ids for d in unmerged] == [d.ids for d in traced]


def test_adapters_change_answers_and_the_base_weights_come_back_exactly(
    loaded: LoadedModel,
) -> None:
    weights = {
        n: p.detach().clone() for n, p in loaded.model.named_parameters() if "lora_" not in n
    }
    rows = _rows(loaded, [8, 8, 8, 8])
    base = [d.ids for d in loaded.decode_rows(None, rows, Sampling(), eos_ids=())]
    docs = [d.ids for d in loaded.decode_rows("docs", rows, Sampling(), eos_ids=())]
    tests = [d.ids for d in loaded.decode_rows("tests", rows, Sampling(), eos_ids=())]
    assert loaded.weights.merged == "tests"
    again = [d.ids for d in loaded.decode_rows(None, rows, Sampling(), eos_ids=())]
    assert loaded.weights.merged is None
    assert base == again
    assert tests != base
    assert docs != tests
    for name, parameter in loaded.model.named_parameters():
        if "lora_" not in name:
            assert torch.equal(parameter, weights[name]), name


def test_stop_strings_end_and_are_cut(loaded: LoadedModel) -> None:
    request = CompletionRequest(PROMPTS[0], 20)
    [full] = loaded.complete(None, [request])
    assert not isinstance(full, CompletionError)
    text = full[0].text
    assert full[0].finish_reason == "length" and full[0].tokens == 20
    stop = text[5:8]
    [cut] = loaded.complete(None, [CompletionRequest(PROMPTS[0], 20, (stop,))])
    assert not isinstance(cut, CompletionError)
    assert cut[0].text == text[: text.index(stop)]
    assert cut[0].finish_reason == "stop"
    assert cut[0].tokens < 20
    assert cut[0].logprob == pytest.approx(sum(full[0].token_logprobs[: cut[0].tokens]))


def test_samples_are_reproducible_with_a_seed_and_come_n_times(loaded: LoadedModel) -> None:
    sampling = Sampling(temperature=1.0, top_p=0.9, seed=3)
    request = CompletionRequest(PROMPTS[1], 10, (), 3, sampling)
    [first] = loaded.complete("tests", [request])
    [second] = loaded.complete("tests", [request])
    assert not isinstance(first, CompletionError) and not isinstance(second, CompletionError)
    assert len(first) == 3
    assert [c.text for c in first] == [c.text for c in second]
    assert len({c.text for c in first}) > 1


def test_a_prompt_too_long_for_the_model_is_an_error_not_a_crash(loaded: LoadedModel) -> None:
    results = loaded.complete(None, [CompletionRequest("x " * 3000, 8), CompletionRequest("y", 4)])
    assert isinstance(results[0], CompletionError)
    assert "exceeds the model's 2048" in results[0].reason
    assert not isinstance(results[1], CompletionError)


def test_engine_candidates_name_model_and_adapter_and_come_greedy_first(
    loaded: LoadedModel,
) -> None:
    source = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n"
    targets = find_definitions("m.py", source)
    engine = PromptedEngine("hf", HFCompleter(loaded))
    context = RunContext(samples=3, max_new_tokens=TokenBudgets(docs=8))
    candidates = engine.propose("docs", targets, context)
    assert {c.target.qualname for c in candidates} == {"add", "sub"}
    for candidate in candidates:
        assert candidate.identity.engine == "hf"
        assert candidate.identity.adapter == "docs@1"
        assert candidate.identity.model == f"tiny-qwen2@{loaded.fingerprint}"
        # Either a parsed docstring for the gates to judge, or the reason there is none.
        assert (candidate.text is None) == (candidate.error is not None)
    # Greedy first (this prompt was never trained on: garbage), then up to two distinct samples.
    for name in ("add", "sub"):
        per_target = [c for c in candidates if c.target.qualname == name]
        assert 1 <= len(per_target) <= 3
        assert per_target[0].error == "the model did not close the docstring within 8 tokens"
    assert engine.identity.adapter == "docs@1, tests@1"


def test_loading_errors_are_engine_errors(tiny_models: TinyModels, tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="not a folder on this machine"):
        load_model(HFConfig("Qwen/Qwen2-1.5B"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(EngineError, match=r"has no config\.json"):
        load_model(HFConfig(str(tmp_path / "empty")))
    with pytest.raises(EngineError, match=r"adapters directory .* does not exist"):
        load_model(HFConfig(str(tiny_models.model), str(tmp_path / "nowhere")))
    with pytest.raises(EngineError, match="no adapter docs/9"):
        load_model(
            HFConfig(
                str(tiny_models.model), str(tiny_models.adapters), adapter_versions={"docs": "9"}
            )
        )
    if not torch.cuda.is_available():
        with pytest.raises(EngineError, match="no CUDA device"):
            load_model(HFConfig(str(tiny_models.model), device="cuda"))


def test_fingerprint_follows_the_weights_not_the_folder(
    tiny_models: TinyModels, tmp_path: Path
) -> None:
    import shutil

    copy = tmp_path / "elsewhere"
    shutil.copytree(tiny_models.model, copy)
    assert model_fingerprint(copy) == model_fingerprint(tiny_models.model)
    config = json.loads((copy / "config.json").read_text())
    config["rms_norm_eps"] = 1e-5
    (copy / "config.json").write_text(json.dumps(config))
    assert model_fingerprint(copy) != model_fingerprint(tiny_models.model)


def test_a_step_that_cannot_compile_falls_back_to_eager_with_a_warning(
    tiny_models: TinyModels, loaded: LoadedModel
) -> None:
    broken = load_model(
        HFConfig(
            str(tiny_models.model),
            str(tiny_models.adapters),
            device="cpu",
            compile="on",
            compile_backend="no-such-backend",
        )
    )
    rows = _rows(loaded, [6, 6, 6, 6])
    with pytest.warns(RuntimeWarning, match="compiling the decode step failed"):
        fallen = broken.decode_rows("docs", rows, Sampling(), eos_ids=())
    assert broken.describe()["compile_error"].startswith("InvalidBackend")
    assert broken.describe()["compiled"] is False
    expected = loaded.decode_rows("docs", rows, Sampling(), eos_ids=())
    assert [d.ids for d in fallen] == [d.ids for d in expected]
