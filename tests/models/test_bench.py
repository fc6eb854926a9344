"""bench/engine.py runs (CI never times it): tiny shapes on the CPU, every variant, its JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.engine import VARIANTS, main

pytestmark = pytest.mark.model


def test_engine_benchmark_runs_at_small_shapes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bench.json"
    main(
        [
            "--shape",
            "tiny",
            "--device",
            "cpu",
            "--batches",
            "2",
            "--prompt",
            "12",
            "--new",
            "6",
            "--repeat",
            "1",
            "--json",
            str(out),
        ]
    )
    printed = capsys.readouterr().out
    assert "goal: >=50% of roofline at batch 2" in printed
    assert "model load, cold process" in printed
    figures = json.loads(out.read_text())
    assert figures["cold_load"]["process_s"] > figures["cold_load"]["load_s"] > 0
    results = figures["results"]
    assert [(r["variant"], r["batch"]) for r in results] == [(v, 2) for v in VARIANTS]
    for result in results:
        assert result["tokens_per_s"] > 0 and result["roofline_tokens_per_s"] > 0
        if result["variant"].startswith("fast"):
            # fp32 on the CPU: the fast path chooses exactly the tokens `generate` chooses.
            assert result["agreement"] == 1.0, result
