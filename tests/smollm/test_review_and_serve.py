"""`codegen review --engine hf` and `--engine openai` (behind `codegen serve`) on the real model.

Whatever the model writes, every proposal either passed every gate (and the patched file is
clean under ruff, checked here again) or was rejected with the reason of the gate, or of the
answer, that stopped it; and greedy answers are the same in process and over HTTP.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import GitRepo, ruff_check
from tests.models import tiny
from tests.models.conftest import review_json, serve_process
from tests.models.lora_shop import cli
from tests.smollm.conftest import GGUF_NAME, SmolShop

# The first test to run pays the session fixtures (conversion on a fresh machine, training).
pytestmark = [pytest.mark.model, pytest.mark.timeout(1800)]

#: The sample repository of the tiny-model tests, with budgets a real model can close a
#: docstring in (measured: a one-line summary takes 15-30 tokens).
PYPROJECT = tiny.PYPROJECT.replace("docs = 24", "docs = 48")

#: Reasons an answer is refused before any gate (adapters.prompts.parse).
ANSWER_REASONS = re.compile(
    r"the model did not close the docstring within \d+ tokens|the model wrote an empty docstring"
    r"|the docstring's first line says nothing|the docstring holds control characters"
    r"|the summary repeats a line of the prompt"
)


def _check_every_proposal(report: dict[str, Any], repo: GitRepo, tmp_path: Path) -> None:
    assert {p["symbol"] for p in report["proposals"]} == {"apply_discount", "round_cents", "clamp"}
    for proposal in report["proposals"]:
        gates = proposal["gates"]
        if proposal["status"] == "accepted":
            assert gates and all(g["passed"] for g in gates), proposal
            assert proposal["reason"] is None
            # Independently: the patched file parses and is clean under the repository's ruff.
            patched = tmp_path / "patched"
            patched.mkdir(exist_ok=True)
            (patched / "pyproject.toml").write_text(PYPROJECT)
            source = (repo.path / proposal["path"]).read_text()
            lines = source.splitlines(keepends=True)
            suggestion = proposal["suggestion"]
            start, end = suggestion["start_line"], suggestion["end_line"]
            lines[start - 1 : end] = [suggestion["text"] + "\n"]
            (patched / "prices.py").write_text("".join(lines))
            compile("".join(lines), "prices.py", "exec")
            checked = ruff_check(patched, "prices.py")
            assert checked.returncode == 0, checked.stdout
        else:
            assert proposal["status"] == "rejected" and proposal["reason"], proposal
            failed = [g for g in gates if not g["passed"]]
            if failed:
                # The first failing gate is the last one run, and it is the reason given.
                assert gates[-1] is failed[0]
                assert proposal["reason"] == f"{failed[0]['gate']}: {failed[0]['reason']}"
            else:
                assert ANSWER_REASONS.search(proposal["reason"]) or proposal["reason"].startswith(
                    "edit:"
                ), proposal["reason"]


@dataclass(frozen=True)
class HFReview:
    """The sample repository and its review by the real model with its adapter (run once)."""

    repo: GitRepo
    base: str
    before: dict[str, tuple[int, bytes]]
    report: dict[str, Any]


@pytest.fixture(scope="module")
def hf_review(
    smollm: Path, smol_shop: SmolShop, tmp_path_factory: pytest.TempPathFactory
) -> HFReview:
    """`codegen review --engine hf` of the sample repository, shared by the tests below."""
    root = tmp_path_factory.mktemp("smolreview")
    repo = GitRepo(root)
    base = repo.commit({**tiny.BASE_FILES, "pyproject.toml": PYPROJECT}, "base")
    repo.commit(tiny.HEAD_FILES, "head")
    before = repo.snapshot()
    out = root / "hf.json"
    code, _, err = cli(
        "review",
        "--repo",
        str(repo.path),
        "--base",
        base,
        "--format",
        "json",
        "--out",
        str(out),
        "--engine",
        "hf",
        "--model",
        str(smollm),
        "--adapters",
        str(smol_shop.adapters),
        "--device",
        "cpu",
    )
    assert code == 0, err
    return HFReview(repo, base, before, json.loads(out.read_text()))


def test_review_with_the_real_model_and_its_adapter(hf_review: HFReview, tmp_path: Path) -> None:
    report = hf_review.report
    _check_every_proposal(report, hf_review.repo, tmp_path)
    assert report["model"].startswith(f"{GGUF_NAME}@")
    assert report["adapter"] == "docs@1"
    assert all(p["adapter"] == "docs@1" for p in report["proposals"])
    assert hf_review.repo.snapshot() == hf_review.before


@pytest.fixture(scope="module")
def smol_served(
    smollm: Path, smol_shop: SmolShop, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """`codegen serve` of the real model and adapter on a free port, stopped with SIGTERM."""
    log = tmp_path_factory.mktemp("smolserve") / "stderr.txt"
    # Generous: loading is seconds on an idle machine, minutes on a very busy one.
    with serve_process(smollm, smol_shop.adapters, log, start_within=600) as url:
        yield url


def test_serve_answers_completions_with_the_real_model(smol_served: str) -> None:
    body = json.dumps(
        {"model": "docs", "prompt": "def add(a, b):\n    return a + b\n", "max_tokens": 8}
    ).encode()
    request = urllib.request.Request(
        smol_served + "/v1/completions", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        answer = json.loads(response.read())
    assert answer["object"] == "text_completion"
    assert answer["choices"][0]["text"].strip()
    assert GGUF_NAME in answer["system_fingerprint"] and "docs@1" in answer["system_fingerprint"]
    assert answer["usage"]["completion_tokens"] <= 8


def test_the_openai_engine_gets_the_same_proposals_as_hf(
    run_cli: Any, hf_review: HFReview, smol_served: str, tmp_path: Path
) -> None:
    hf = hf_review.report
    # A generous client timeout: on a busy machine a CPU server may take minutes to answer,
    # and a retried request would only add to its queue.
    served = review_json(
        run_cli,
        hf_review.repo.path,
        hf_review.base,
        "--engine",
        "openai",
        "--server",
        smol_served,
        "--timeout",
        "3600",
        out=tmp_path / "oa.json",
    )
    _check_every_proposal(served, hf_review.repo, tmp_path)

    def essence(report: dict[str, Any]) -> list[tuple[Any, ...]]:
        return sorted(
            (p["symbol"], p["status"], p["text"], p["reason"], p["patch"], p["adapter"])
            for p in report["proposals"]
        )

    assert essence(served) == essence(hf)
    assert served["model"] == hf["model"]
