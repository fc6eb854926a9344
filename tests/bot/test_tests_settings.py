"""`[tool.codegen.tests]`, the tests proposals' figures in the report, and the benchmark's plumbing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from codegen_bot.adapters.engines.base import EngineIdentity
from codegen_bot.bot import config as settings
from codegen_bot.bot.config import config_from_files
from codegen_bot.bot.errors import ConfigError
from codegen_bot.bot.markdown import render
from codegen_bot.bot.report import Proposal, Report
from codegen_bot.refactor.gates import Verdict
from tests.conftest import HANG_GUARD

ROOT = Path(__file__).resolve().parents[2]


def test_tests_section_is_validated() -> None:
    config = config_from_files(
        '[tool.codegen.tests]\nruns = 3\ntimeout = 4\nproperty_tests = "always"\n', None
    )
    assert config.tests == settings.TestsConfig(runs=3, timeout=4.0, property_tests="always")
    with pytest.raises(ConfigError, match=r"tests\.runs"):
        config_from_files("[tool.codegen.tests]\nruns = 0\n", None)
    with pytest.raises(ConfigError, match=r"unknown key `tool\.codegen\.tests\.run`"):
        config_from_files("[tool.codegen.tests]\nrun = 3\n", None)
    with pytest.raises(ConfigError, match=r"tests\.isolation"):
        config_from_files('[tool.codegen.tests]\nisolation = "docker"\n', None)


def _proposal(metrics: dict[str, object]) -> Proposal:
    return Proposal(
        task="tests",
        path="tests/test_m_f.py",
        symbol="f",
        kind="function",
        start=1,
        end=9,
        identity=EngineIdentity("heuristic"),
        status="accepted",
        gates=(Verdict("runs", True),),
        reason=None,
        patch="diff --git a/tests/test_m_f.py b/tests/test_m_f.py\n",
        suggestion=None,
        text="def test_f():\n    pass\n",
        metrics=metrics,
    )


def test_metrics_round_trip_and_show_in_markdown() -> None:
    metrics = {
        "target_path": "m.py",
        "runs": 5,
        "runs_passed": 5,
        "runs_text": "5/5",
        "lines_gained": 3,
        "branches_gained": 2,
        "seconds": 0.012,
        "isolation": "bubblewrap",
        "before": {
            "lines_total": 4,
            "lines_covered": 1,
            "branches_total": 2,
            "branches_covered": 0,
        },
    }
    report = Report(
        repo="r",
        base="b" * 40,
        head="h" * 40,
        tasks=("tests",),
        identity=EngineIdentity("heuristic"),
        proposals=(_proposal(metrics),),
    )
    again = Report.from_dict(report.to_dict())
    assert again == report and again.proposals[0].metrics == metrics
    # Reports written before the field existed still read back.
    old = report.to_dict()
    del old["proposals"][0]["metrics"]
    assert Report.from_dict(old).proposals[0].metrics == {}
    assert (
        "Tests `m.py` · `f`: +3 lines, +2 branches covered · passed 5/5 runs in the sandbox (`bubblewrap`)"
        in render(report)
    )


def test_benchmark_runs_on_a_local_project(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    (project / "pkg").mkdir(parents=True)
    (project / "tests").mkdir()
    (project / "pkg" / "__init__.py").write_text("")
    (project / "pkg" / "text.py").write_text(
        'def shout(s: str) -> str:\n    """Shout."""\n    return s.upper()\n'
    )
    (project / "tests" / "test_text.py").write_text(
        "from pkg.text import shout\n\n\ndef test_shout():\n    assert shout('a') == 'A'\n"
    )
    run = subprocess.run(
        [
            sys.executable,
            "bench/tests_bench.py",
            "--source",
            str(project),
            "--module",
            "pkg/text.py",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=HANG_GUARD,
    )
    assert run.returncode == 0, run.stderr
    assert "accepted 3 of 3" in run.stdout  # the three new functions; shout stays covered
    assert "ratio " in run.stdout and "skipped  shout: already fully covered" in run.stdout
