"""bench/nightly.py runs on a local project (CI never times it; the figures come from PyPI's boltons)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.bot.nightly_shop import SHOP
from tests.conftest import HANG_GUARD


def test_the_benchmark_runs_on_a_local_project(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    for path, text in SHOP.items():
        (project / path).parent.mkdir(parents=True, exist_ok=True)
        (project / path).write_text(text)
    run = subprocess.run(
        [
            sys.executable,
            "bench/nightly.py",
            "--source",
            str(project),
            "--nights",
            "1",
            "--plain-runs",
            "1",
            "--extra-rules",
            "UP,SIM,C4,PIE,RET,PERF102,RUF015,F401,F541",
        ],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=False,
        timeout=HANG_GUARD,
    )
    assert run.returncode == 0, run.stderr
    assert "4 proposed, 2 accepted · rejected: 2 not covered by tests" in run.stdout
    assert (
        "shop/money.py::total: ruff UP006 (added by nightly.extra_rules) (1 covering tests)"
        in run.stdout
    )
    assert "nights per hour" in run.stdout
