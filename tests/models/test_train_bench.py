"""bench/train.py runs (CI never times it): tiny shapes on the CPU, every variant, its JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bench.train import VARIANTS, main

pytestmark = pytest.mark.model


def test_training_benchmark_runs_at_small_shapes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bench.json"
    results = main(
        [
            "--shape", "tiny", "--device", "cpu", "--seq-len", "96", "--batch", "2",
            "--shortest", "8", "--longest", "40", "--steps", "1", "--warmup", "1",
            "--compile-backend", "eager", "--json", str(out),
        ]
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert "goal: MFU >= 35%" in printed and "16,600 tokens/s" in printed
    figures = json.loads(out.read_text())
    assert [f["variant"] for f in figures] == list(VARIANTS) == [r.variant for r in results]
    for figure in figures:
        assert figure["tokens_per_s"] > 0 and math.isfinite(figure["loss"])
        # MFU is 6 x every parameter x tokens/s against the peak.
        parameters = figure["settings"]["parameters"]
        assert figure["mfu"] == pytest.approx(6 * parameters * figure["tokens_per_s"] / 989e12)
        assert 0 < figure["settings"]["trainable"] < parameters
    anchor, packed, fast = (f["settings"] for f in figures)
    assert anchor["gradient_checkpointing"] == packed["gradient_checkpointing"] == "on"
    assert (fast["gradient_checkpointing"], fast["compile"]) == ("off", "on")
