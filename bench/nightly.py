"""Nights per hour: `codegen nightly` on a real project, over one plain run of its suite.

Downloads a pure-Python project's source distribution from PyPI (its tests ship in the sdist),
makes a git repository of it, times one plain `pytest` run of its suite, then runs `codegen
nightly` for successive dates (each night a different rotation of files) and reports, per night,
the files, the changes proposed and accepted, the suite runs, and the wall time; then the mean
night over one plain suite run (the median of several), and nights per hour (3600 s over the
mean night). Nights on the same commit share the suite's baseline (`CODEGEN_CACHE_DIR`, a folder
of the benchmark's own) unless `--no-cache`. `--before PYTHON` also times each night with another
installation of codegen (an interpreter with an older checkout installed), in the same run, with
a cache of its own.

    .venv/bin/python bench/nightly.py [--project boltons==26.2.0] [--nights 3] [--max-files 10]
        [--plain-runs 3] [--extra-rules UP,SIM] [--no-cache] [--before PYTHON]
    .venv/bin/python bench/nightly.py --source DIR            # a local project
"""

from __future__ import annotations

import argparse
import collections
import datetime
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import git
from tests_bench import (  # the sibling benchmark (bench/ is sys.path[0])
    download,
    median_plain_run,
    timed,
)

ROOT = Path(__file__).resolve().parent.parent


def make_repo(project: Path, root: Path) -> str:
    """A git repository of `project` with one commit; returns its SHA."""
    shutil.copytree(project, root)
    repo = git.Repo.init(root, initial_branch="main")
    author = git.Actor("Bench", "bench@example.com")
    repo.git.add("--all")
    return repo.index.commit("the sdist as released", author=author, committer=author).hexsha


def night(
    root: Path, date: datetime.date, config: Path, out: Path, python: str = sys.executable
) -> tuple[float, dict]:
    """Run `codegen nightly` for `date`; return its wall time and its JSON report."""
    command = [python, "-m", "codegen_bot.bot.cli", "nightly", "--repo", str(root),
               "--date",
               date.isoformat(), "--config", str(config), "--format", "json", "--out", str(out),
               "-q"]  # fmt: skip
    took, completed = timed(command, ROOT)
    if completed.returncode != 0:
        raise SystemExit(f"codegen nightly failed: {completed.stderr}")
    return took, json.loads(out.read_text())


def reasons(report: dict) -> str:
    """Rejections counted by their first words."""
    counted = collections.Counter(
        " ".join((p["reason"] or "").split(":")[0].split()[:4]) for p in report["proposals"]
        if p["status"] == "rejected"
    )  # fmt: skip
    return ", ".join(f"{count} {reason}" for reason, count in counted.most_common())


def before_night(python: str, root: Path, date: datetime.date, config: Path, out: Path) -> float:
    """One night by the `--before` installation (a cache of its own); its wall time."""
    cache = os.environ.get("CODEGEN_CACHE_DIR")
    if cache:
        os.environ["CODEGEN_CACHE_DIR"] = cache + "-before"
    took, _ = night(root, date, config, out, python)
    if cache:
        os.environ["CODEGEN_CACHE_DIR"] = cache
    print(f"  before: night {date}: {took:.2f} s")
    return took


def main(argv: list[str] | None = None) -> float:
    """Run the benchmark, print its figures, and return nights per hour."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", default="boltons==26.2.0", help="a PyPI requirement")
    parser.add_argument("--source", type=Path, help="a local project folder instead of PyPI")
    parser.add_argument("--nights", type=int, default=3, help="successive nights to run")
    parser.add_argument("--date", default="2024-05-01", help="the first night")
    parser.add_argument("--max-files", type=int, default=10)
    parser.add_argument("--max-proposals", type=int, default=20)
    parser.add_argument("--plain-runs", type=int, default=3, help="plain runs (median taken)")
    parser.add_argument("--extra-rules", default="", help="nightly.extra_rules, comma-separated")
    parser.add_argument(
        "--no-cache", action="store_true", help="measure every night's baseline afresh"
    )
    parser.add_argument(
        "--before", help="an interpreter with another codegen installed, timed in the same run"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="codegen-bench-") as scratch:
        folder = Path(scratch)
        project = args.source or download(args.project, folder / "download")
        root = folder / "repo"
        make_repo(project, root)
        config = folder / "codegen.toml"
        rules = [rule for rule in args.extra_rules.split(",") if rule]
        config.write_text(
            f"[nightly]\nmax_files = {args.max_files}\nmax_proposals = {args.max_proposals}\n"
            f"extra_rules = {json.dumps(rules)}\n"
        )
        if not args.no_cache:
            os.environ["CODEGEN_CACHE_DIR"] = str(folder / "cache")
        plain, summary, plains = median_plain_run(root, args.plain_runs)
        print(f"project: {args.source or args.project} · max_files {args.max_files}")
        shown = ", ".join(f"{t:.2f}" for t in plains)
        print(f"plain suite: median {plain:.2f} s of {len(plains)} runs ({shown}) ({summary})")
        walls, befores = [], []
        first = datetime.date.fromisoformat(args.date)
        for number in range(args.nights):
            date = first + datetime.timedelta(days=number)
            if args.before:
                out = folder / f"before{number}.json"
                befores.append(before_night(args.before, root, date, config, out))
            took, report = night(root, date, config, folder / f"night{number}.json")
            walls.append(took)
            accepted = [p for p in report["proposals"] if p["status"] == "accepted"]
            runs = next((n for n in report["notes"] if n.startswith("the suite ran")), "no runs")
            t = report["timings"]
            print(
                f"night {date}: {took:.2f} s ({took / plain:.2f}x) · "
                f"{sum(f['status'] == 'reviewed' for f in report['files'])} files · "
                f"{len(report['proposals'])} proposed, {len(accepted)} accepted · "
                f"rejected: {reasons(report) or 'none'}"
            )
            phases = ", ".join(
                f"{name} {t.get('refactor_' + key, 0):.2f}"
                for name, key in (
                    ("propose", "propose"),
                    ("edit+ruff gates", "edit_gates"),
                    ("baseline", "baseline"),
                    ("prove", "prove"),
                )
            )
            print(f"  phases: {phases} · {runs}")
            for proposal in accepted:
                m = proposal["metrics"]
                print(
                    f"    {proposal['path']}::{proposal['symbol']}: {m['rules']} "
                    f"({len(m['covering_tests'])} covering tests)"
                )
        mean = sum(walls) / len(walls)
        if befores:
            old = sum(befores) / len(befores)
            print(f"before ({args.before}): mean night {old:.2f} s = {old / plain:.2f}x")
        print(
            f"mean night {mean:.2f} s = {mean / plain:.2f}x one plain suite run · "
            f"{3600 / mean:.0f} nights per hour"
        )
    return 3600 / mean


if __name__ == "__main__":
    main()
