"""An adapter earns its place: `codegen adapters eval` promotes it only when it beats the base
model and the version promoted before it; engines run the promoted version and say why."""

from __future__ import annotations

import json
from pathlib import Path

from codegen_bot.adapters.lora.evaluation import promote, save_metrics
from codegen_bot.adapters.lora.layout import choose_adapter
from codegen_bot.adapters.lora.metadata import METADATA_FILE
from codegen_bot.adapters.lora.promotion import Promotion, judge, read_promotion, write_promotion


def _adapter(root: Path, version: str, metrics: dict[str, float] | None = None) -> Path:
    folder = root / "docs" / version
    folder.mkdir(parents=True)
    (folder / "adapter_config.json").write_text("{}")
    data = {"task": "docs", "version": version, "base_model": "m", "metrics": metrics or {}}
    (folder / METADATA_FILE).write_text(json.dumps(data))
    return folder


def _eval(rate: float, rouge: float, base_rate: float, base_rouge: float) -> dict[str, float]:
    return {
        "eval_pass_rate": rate,
        "eval_rouge_l": rouge,
        "eval_pass_rate_base": base_rate,
        "eval_rouge_l_base": base_rouge,
    }


def test_an_adapter_must_beat_the_base_model() -> None:
    worse = judge("docs@2", "2", _eval(0.0, 0.1, 0.8, 0.3), None, None)
    assert worse.version is None
    assert "docs@2 held back" in worse.why and "does not beat the base model" in worse.why
    tie = judge("docs@2", "2", _eval(0.8, 0.3, 0.8, 0.3), None, None)
    assert tie.version is None  # a tie does not earn the load and merge
    better = judge("docs@2", "2", _eval(0.8, 0.35, 0.8, 0.3), None, None)
    assert better == Promotion("2", better.why) and "promoted by eval" in better.why
    unjudged = judge("docs@2", "2", {}, None, None)
    assert unjudged.version is None and "no eval figures" in unjudged.why


def test_an_adapter_must_beat_the_promoted_version() -> None:
    current = Promotion("1", "docs@1 promoted by eval")
    previous = _eval(0.9, 0.4, 0.5, 0.2)
    lower = judge("docs@2", "2", _eval(0.7, 0.5, 0.5, 0.2), current, previous)
    assert lower.version == "1" and "does not beat the promoted version 1" in lower.why
    higher = judge("docs@2", "2", _eval(1.0, 0.5, 0.5, 0.2), current, previous)
    assert higher.version == "2"


def test_engines_run_the_promoted_version_and_say_why(tmp_path: Path) -> None:
    _adapter(tmp_path, "1")
    _adapter(tmp_path, "2")
    ref, why = choose_adapter(tmp_path, "docs")
    assert ref is not None and ref.version == "2" and "not evaluated yet" in why
    write_promotion(tmp_path, "docs", Promotion("1", "docs@1 promoted by eval: x"))
    ref, why = choose_adapter(tmp_path, "docs")
    assert ref is not None and ref.version == "1" and ref.why == "docs@1 promoted by eval: x"
    assert why == "docs: docs@1 (docs@1 promoted by eval: x)"
    ref, why = choose_adapter(tmp_path, "docs", "2")
    assert ref is not None and ref.version == "2" and "pinned" in why
    write_promotion(tmp_path, "docs", Promotion(None, "docs@2 held back"))
    ref, why = choose_adapter(tmp_path, "docs")
    assert ref is None and why == "docs: base model (docs@2 held back)"
    assert choose_adapter(tmp_path, "tests") == (None, "tests: base model (no adapter)")


def test_eval_figures_decide_and_a_losing_version_is_kept_on_disk(tmp_path: Path) -> None:
    first = _adapter(tmp_path, "1")
    second = _adapter(tmp_path, "2")
    one = promote(tmp_path, save_metrics(first, _eval(0.6, 0.3, 0.4, 0.2)))
    assert one.version == "1"
    two = promote(tmp_path, save_metrics(second, _eval(0.5, 0.4, 0.4, 0.2)))
    assert two.version == "1" and "docs@2 held back" in two.why
    assert read_promotion(tmp_path, "docs") == two
    assert (second / "adapter_config.json").is_file()  # saved, not deleted
    ref, _ = choose_adapter(tmp_path, "docs")
    assert ref is not None and ref.version == "1"
