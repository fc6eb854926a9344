"""`codegen adapters eval` and `list`, and `codegen review` with a trained adapter and a pinned one.

The adapters are the ones the session's shop fixture trained on the mined shop repository.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from codegen_bot.adapters.lora.metadata import AdapterMetadata
from codegen_bot.adapters.lora.mining.dataset import read
from tests.conftest import GitRepo
from tests.models.conftest import Shop
from tests.models.lora_shop import TRAIN_FLAGS, make_shop

pytestmark = pytest.mark.model


def _table(text: str) -> dict[str, tuple[str, str]]:
    """The table's rows by name: (base, adapter)."""
    rows = {}
    for line in text.splitlines():
        found = re.match(r"^(\S.*?)\s{2,}(\S+)\s+(\S+)$", line)
        if found:
            rows[found.group(1)] = (found.group(2), found.group(3))
        elif line.startswith(" ") and len(line.split()) == 2:
            rows[""] = tuple(line.split())  # the header: base, then the adapter
    return rows


def test_docs_eval_prints_base_and_adapter_side_by_side(
    shop: Shop, run_cli: Any, tmp_path: Path
) -> None:
    adapters = tmp_path / "adapters"
    shutil.copytree(shop.adapters, adapters)  # eval writes into the metadata
    result = run_cli(
        "adapters", "eval", "--task", "docs", "--base", str(shop.model),
        "--adapters", str(adapters), "--data", str(shop.data), "--device", "cpu",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "eval of docs@1 on 2 held-out docs targets" in result.out
    table = _table(result.out)
    assert table[""] == ("base", "docs@1")
    metrics = AdapterMetadata.load(adapters / "docs" / "1").metrics
    for side, suffix in ((0, "_base"), (1, "")):
        parsed, passed = (
            table[name][side].split("/") for name in ("parsed answers", "passed the gates")
        )
        assert parsed[1] == passed[1] == "2" and int(passed[0]) <= int(parsed[0])
        assert float(table["pass rate"][side]) == pytest.approx(
            metrics[f"eval_pass_rate{suffix}"], abs=1e-3
        )
        assert int(passed[0]) / 2 == metrics[f"eval_pass_rate{suffix}"]
        rouge = float(table["ROUGE-L F1 (mean)"][side])
        assert rouge == pytest.approx(metrics[f"eval_rouge_l{suffix}"], abs=1e-3)
        assert 0 <= rouge <= 1
    # The random base model writes no usable docstring; the adapter learned the repository's.
    assert metrics["eval_pass_rate_base"] == 0 and metrics["eval_rouge_l_base"] < 0.1
    assert metrics["eval_rouge_l"] > metrics["eval_rouge_l_base"]
    assert metrics["eval_rows"] == 2 and "train_loss" in metrics  # training's figures are kept

    one = run_cli(
        "adapters", "eval", "--task", "docs", "--base", str(shop.model), "--adapters",
        str(adapters), "--data", str(shop.data), "--device", "cpu", "--limit", "1", "--no-save",
    )  # fmt: skip
    assert one.code == 0 and "on 1 held-out docs targets" in one.out
    assert AdapterMetadata.load(adapters / "docs" / "1").metrics == metrics  # --no-save


def test_tests_eval_runs_the_tests_task_in_the_sandbox(
    shop: Shop, run_cli: Any, tmp_path: Path
) -> None:
    adapters = tmp_path / "adapters"
    trained = run_cli(
        "adapters", "train", "--task", "tests", "--base", str(shop.model), "--data",
        str(shop.data), "--out", str(adapters), "--steps", "6", *TRAIN_FLAGS,
    )  # fmt: skip
    assert trained.code == 0, trained.err
    args = (
        "adapters", "eval", "--task", "tests", "--base", str(shop.model), "--adapters",
        str(adapters), "--data", str(shop.data), "--device", "cpu",
    )  # fmt: skip
    refused = run_cli(*args)
    assert refused.code == 2 and "--repo" in refused.err
    before = shop.repo.snapshot()
    result = run_cli(*args, "--repo", str(shop.repo.path))
    assert result.code == 0, result.err
    assert shop.repo.snapshot() == before  # the held-out tests were cut from a scratch copy
    table = _table(result.out)
    assert table[""] == ("base", "tests@1")
    # Both held-out functions lost their tests in the scratch copy, so the task tried both.
    assert table["left alone by the task"] == ("0", "0")
    assert "running the repository's suite once under coverage" in result.err
    metrics = AdapterMetadata.load(adapters / "tests" / "1").metrics
    passed = int(table["passed the gates"][1].split("/")[0])
    assert metrics["eval_pass_rate"] == passed / 2 and "eval_rouge_l" not in metrics


def test_list_shows_what_was_trained(shop: Shop, run_cli: Any) -> None:
    listed = run_cli("adapters", "list", "--adapters", str(shop.adapters))
    assert listed.code == 0, listed.err
    header, row = listed.out.splitlines()[:2]
    assert header.split() == [
        "adapter",
        "base",
        "model",
        "created",
        "rows",
        "train",
        "eval",
        "pass",
        "base",
        "pass",
    ]
    metadata = AdapterMetadata.load(shop.adapters / "docs" / "1")
    cells = row.split()
    assert cells[0] == "docs@1" and cells[1] == f"tiny-qwen2@{metadata.base_fingerprint[:8]}"
    assert cells[4] == "6/2" and cells[5] == f"{metadata.metrics['train_loss']:.3f}"
    as_json = json.loads(
        run_cli("adapters", "list", "--adapters", str(shop.adapters), "--format", "json").out
    )
    assert [(a["task"], a["version"], a["data"]["rows_train"]) for a in as_json] == [
        ("docs", "1", 6)
    ]
    missing = run_cli("adapters", "list", "--adapters", str(shop.adapters / "nope"))
    assert missing.code == 2 and "does not exist" in missing.err


def test_review_names_the_trained_adapter_and_honours_a_pinned_version(
    shop: Shop, run_cli: Any, tmp_path: Path
) -> None:
    adapters = tmp_path / "adapters"
    shutil.copytree(shop.adapters, adapters)
    # A second version: the same weights under version 2, so the latest is docs@2.
    shutil.copytree(adapters / "docs" / "1", adapters / "docs" / "2")
    metadata = AdapterMetadata.load(adapters / "docs" / "2")
    replace(metadata, version="2").save(adapters / "docs" / "2")

    (tmp_path / "repo").mkdir()
    repo = make_shop(tmp_path / "repo")
    base = repo.git("rev-parse", "HEAD")
    repo.commit(
        {"shop/fees.py": "def total_fees(prices: list[float]) -> float:\n    return sum(prices)\n"},
        "fees",
    )

    def review(*extra: str) -> dict[str, Any]:
        out = tmp_path / "report.json"
        result = run_cli(
            "review", "--repo", str(repo.path), "--base", base, "--engine", "hf", "--model",
            str(shop.model), "--adapters", str(adapters), "--device", "cpu", "--format", "json",
            "--out", str(out), *extra,
        )  # fmt: skip
        assert result.code == 0, result.err
        return json.loads(out.read_text())

    latest = review()
    assert latest["adapter"] == "docs@2"
    (proposal,) = latest["proposals"]
    assert (proposal["symbol"], proposal["adapter"]) == ("total_fees", "docs@2")
    pinned = review("--adapter-version", "docs=1")
    assert pinned["adapter"] == "docs@1" and pinned["proposals"][0]["adapter"] == "docs@1"
    bad = run_cli(
        "review", "--repo", str(repo.path), "--base", base, "--engine", "hf", "--model",
        str(shop.model), "--adapters", str(adapters), "--adapter-version", "docs=9",
    )  # fmt: skip
    assert bad.code == 2 and "no adapter docs/9" in bad.err


def _shipping(name: str, simple: bool) -> str:
    body = (
        "    return 2 * int(weight)\n"
        if simple
        else "    total = 0\n    for _ in range(int(weight)):\n        total = total + 2\n    return total\n"
    )
    return f"def shipping_{name}(weight):\n{body}"


def test_refactor_eval_runs_the_refactor_task_on_the_commit_before(
    shop: Shop, run_cli: Any, tmp_path: Path
) -> None:
    (tmp_path / "repo").mkdir()
    repo = GitRepo(tmp_path / "repo")
    names = ("air", "sea", "rail", "road")
    files = {"pyproject.toml": "[tool.ruff.lint]\nselect = ['F']\n", "ship/__init__.py": ""}
    for name in names:
        files[f"ship/{name}.py"] = _shipping(name, simple=False)
        files[f"tests/test_{name}.py"] = (
            f"from ship.{name} import shipping_{name}\n\n\n"
            f"def test_{name}():\n    assert shipping_{name}(3) == 6\n"
        )
    repo.commit(files, "Add shipping")
    simplified = repo.commit(
        {f"ship/{name}.py": _shipping(name, simple=True) for name in names}, "Simplify shipping"
    )
    data, adapters = tmp_path / "data", tmp_path / "adapters"
    assert run_cli("adapters", "mine", "--repo", str(repo.path), "--out", str(data), "-q").code == 0
    manifest = json.loads((data / "manifest.json").read_text())
    assert manifest["tasks"]["refactor"]["eval"] >= 1
    trained = run_cli(
        "adapters", "train", "--task", "refactor", "--base", str(shop.model), "--data",
        str(data), "--out", str(adapters), "--steps", "4", *TRAIN_FLAGS,
    )  # fmt: skip
    assert trained.code == 0, trained.err
    args = (
        "adapters", "eval", "--task", "refactor", "--base", str(shop.model), "--adapters",
        str(adapters), "--data", str(data), "--device", "cpu",
    )  # fmt: skip
    static = run_cli(*args, "--no-save")
    assert static.code == 0, static.err
    assert "note: static gates only" in static.out
    held_out = manifest["tasks"]["refactor"]["eval"]
    before = repo.snapshot()
    result = run_cli(*args, "--repo", str(repo.path))
    assert result.code == 0, result.err
    assert repo.snapshot() == before
    assert "note: static gates only" not in result.out
    assert f"on {held_out} held-out refactor targets" in result.out
    # The task ran on the parent of the refactoring commit, where the "before" code lives.
    assert "refactor:" in result.err and "proposed changes parse and pass ruff" in result.err
    table = _table(result.out)
    assert table[""] == ("base", "refactor@1")
    metrics = AdapterMetadata.load(adapters / "refactor" / "1").metrics
    assert metrics["eval_pass_rate"] == int(table["passed the gates"][1].split("/")[0]) / held_out
    assert 0 <= metrics["eval_rouge_l"] <= 1 and "eval_rouge_l_base" in metrics
    rows = read(data / "refactor.jsonl")
    assert {r.commit for r in rows} == {simplified} and all("for _ in" in r.source for r in rows)
