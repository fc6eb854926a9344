"""`codegen review --engine hf` and `--engine openai` end to end, on a real git repository.

The docs adapter was trained (in the session fixture) to answer the sample repository's three
targets: one docstring that passes every gate, one answer that never closes its docstring
(malformed: the engine rejects it), one docstring whose summary lacks a period (ruff rejects it
under the repository's D400 rule). The same adapter answers in process and behind codegen serve.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.models import tiny
from tests.models.conftest import Served, TinyModels, review_json, sample_repo

pytestmark = pytest.mark.model


def _check(report: dict[str, Any], engine: str) -> None:
    by_symbol = {p["symbol"]: p for p in report["proposals"]}
    assert set(by_symbol) == {"apply_discount", "round_cents", "clamp"}

    good = by_symbol["apply_discount"]
    assert good["status"] == "accepted", good
    assert f'    """{tiny.GOOD_DOCSTRING}"""' in good["patch"]
    assert good["suggestion"]["text"].count('"""') == 2
    assert (good["engine"], good["adapter"]) == (engine, "docs@1")
    assert good["model"].startswith("tiny-qwen2@")

    malformed = by_symbol["round_cents"]
    assert malformed["status"] == "rejected"
    assert malformed["reason"] == "the model did not close the docstring within 24 tokens"
    assert malformed["gates"] == []

    unpunctuated = by_symbol["clamp"]
    assert unpunctuated["status"] == "rejected"
    assert unpunctuated["reason"].startswith("ruff:") and "D400" in unpunctuated["reason"]

    assert report["engine"] == engine
    assert report["model"].startswith("tiny-qwen2@")
    assert "docs@1" in report["adapter"]


def test_review_with_the_hf_engine(
    make_repo: Any, run_cli: Any, tiny_models: TinyModels, tmp_path: Path
) -> None:
    repo, base, _ = sample_repo(make_repo)
    before = repo.snapshot()
    report = review_json(
        run_cli,
        repo.path,
        base,
        "--engine",
        "hf",
        "--model",
        str(tiny_models.model),
        "--adapters",
        str(tiny_models.adapters),
        "--device",
        "cpu",
        out=tmp_path / "r.json",
    )
    _check(report, "hf")
    assert report["adapter"] == "docs@1, tests@1"
    assert "engine" in report["timings"]
    assert repo.snapshot() == before


def test_review_with_the_plain_generate_path_gives_the_same_report(
    make_repo: Any, run_cli: Any, tiny_models: TinyModels, tmp_path: Path
) -> None:
    repo, base, _ = sample_repo(make_repo)
    report = review_json(
        run_cli,
        repo.path,
        base,
        "--engine",
        "hf",
        "--model",
        str(tiny_models.model),
        "--adapters",
        str(tiny_models.adapters),
        "--device",
        "cpu",
        "--decode",
        "generate",
        out=tmp_path / "r.json",
    )
    _check(report, "hf")


def test_without_a_docs_adapter_the_base_model_answers_garbage_and_nothing_is_accepted(
    make_repo: Any, run_cli: Any, tiny_models: TinyModels, tmp_path: Path
) -> None:
    repo, base, _ = sample_repo(make_repo)
    report = review_json(
        run_cli,
        repo.path,
        base,
        "--engine",
        "hf",
        "--model",
        str(tiny_models.model),
        "--adapters",
        str(tiny_models.adapters_without_docs),
        "--device",
        "cpu",
        out=tmp_path / "r.json",
    )
    assert len(report["proposals"]) == 3
    for proposal in report["proposals"]:
        assert proposal["status"] == "rejected"
        assert proposal["adapter"] is None  # the base model, named as such
        assert proposal["reason"]
    assert report["adapter"] == "tests@1"


def test_review_with_the_openai_engine_against_codegen_serve(
    make_repo: Any, run_cli: Any, served: Served, tmp_path: Path
) -> None:
    repo, base, _ = sample_repo(make_repo)
    report = review_json(
        run_cli,
        repo.path,
        base,
        "--engine",
        "openai",
        "--server",
        served.url,
        out=tmp_path / "r.json",
    )
    _check(report, "openai")


def test_markdown_report_names_model_and_adapter(
    make_repo: Any, run_cli: Any, served: Served
) -> None:
    repo, base, _ = sample_repo(make_repo)
    result = run_cli(
        "review",
        "--repo",
        str(repo.path),
        "--base",
        base,
        "--engine",
        "openai",
        "--server",
        served.url + "/v1",
    )
    assert result.code == 0, result.err
    assert "openai (model tiny-qwen2@" in result.out
    assert "adapter docs@1" in result.out


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--engine", "hf"], "the hf engine needs a model: --model PATH"),
        (["--engine", "openai"], "the openai engine needs a server: --server URL"),
        (["--engine", "hf", "--model", "no/such/folder"], "is not a folder on this machine"),
        (["--engine", "openai", "--server", "http://x", "--served-model", "docs"], "TASK=NAME"),
    ],
)
def test_engine_misuse_is_a_usage_error(
    make_repo: Any, run_cli: Any, flags: list[str], message: str
) -> None:
    repo, base, _ = sample_repo(make_repo)
    result = run_cli("review", "--repo", str(repo.path), "--base", base, *flags)
    assert result.code == 2
    assert message in result.err


def test_an_adapter_trained_on_another_base_model_is_refused(
    make_repo: Any, run_cli: Any, tiny_models: TinyModels, tmp_path: Path
) -> None:
    other = tiny.make_model(tmp_path / "other", tiny.make_tokenizer(), seed=7)
    repo, base, _ = sample_repo(make_repo)
    result = run_cli(
        "review",
        "--repo",
        str(repo.path),
        "--base",
        base,
        "--engine",
        "hf",
        "--model",
        str(other),
        "--adapters",
        str(tiny_models.adapters),
    )
    assert result.code == 2
    assert "was trained on base model tiny-qwen2" in result.err


def test_the_heuristic_path_never_imports_torch(make_repo: Any) -> None:
    repo, base, _ = sample_repo(make_repo)
    script = (
        "import sys\n"
        "from codegen_bot.bot.cli.main import main\n"
        f"code = main(['review', '--repo', {str(repo.path)!r}, '--base', {base!r}, '-q'])\n"
        "assert code == 0, code\n"
        "heavy = sorted(m for m in ('torch', 'transformers', 'peft') if m in sys.modules)\n"
        "print('heavy:', heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "heavy: []" in done.stdout
