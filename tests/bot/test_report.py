"""The JSON report round-trips, and the Markdown report fences any patch safely."""

from __future__ import annotations

import json

import pytest

from codegen_bot.bot.cli.demo import run as run_demo  # noqa: F401  (the demo imports cleanly)
from codegen_bot.bot.markdown import render
from codegen_bot.bot.report import Report


def test_round_trip(make_repo, run_cli) -> None:
    from codegen_bot.bot.cli.demo_repo import make_sample_repo

    repo = make_repo()
    base, _ = make_sample_repo(repo.path.parent / "shop")
    out = run_cli(
        "review", "--repo", str(repo.path.parent / "shop"), "--base", base, "--format", "json"
    ).out
    report = Report.from_dict(json.loads(out))
    assert report.to_dict() == json.loads(out)
    assert len(report.accepted) >= 4


def test_unknown_version_is_refused() -> None:
    with pytest.raises(ValueError, match="version 99"):
        Report.from_dict({"version": 99})


def test_fence_outgrows_backticks_in_the_patch() -> None:
    from codegen_bot.bot.markdown import fence

    fenced = fence("+ ````python\n+ x\n", "diff")
    assert fenced.startswith("`````diff\n") and fenced.endswith("\n`````")
    assert render  # rendering is exercised end to end in test_review
