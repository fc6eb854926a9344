"""`codegen nightly` end to end: real git repositories, real ruff, real pytest and coverage in the
sandbox, with the heuristic engine (stub engines that break behaviour: test_nightly_proofs.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass

import pytest

from codegen_bot.bot.cli.main import main
from codegen_bot.bot.nightly.pull_body import (
    drop_closed,
    is_closed,
    keys_in_body,
    pr_body,
    pr_title,
)
from codegen_bot.bot.report import Report
from codegen_bot.bot.tasks.refactor.task import CLOSED_REASON, proposal_key
from tests.bot.nightly_shop import MONEY, PYPROJECT, SHOP, by_symbol
from tests.conftest import GitRepo, ruff_check


@dataclass
class Night:
    """One nightly run of the shop repository, as the CLI wrote it."""

    repo: GitRepo
    report: Report
    data: dict
    body: str
    unchanged: bool


@pytest.fixture(scope="module")
def shop_night(tmp_path_factory: pytest.TempPathFactory) -> Night:
    root = tmp_path_factory.mktemp("shop")
    repo = GitRepo(root)
    repo.commit(SHOP, "base")
    before = repo.snapshot()
    out, body = root / "report.json", root / "body.md"
    code = main(["nightly", "--repo", str(repo.path), "--date", "2024-05-01", "--format", "json",
                 "--out", str(out), "--pr-body", str(body), "-q"])  # fmt: skip
    assert code == 0
    data = json.loads(out.read_text())
    return Night(repo, Report.from_dict(data), data, body.read_text(), repo.snapshot() == before)


FINAL_MONEY = (
    MONEY.replace("from typing import List\n", "")
    .replace("List[int]", "list[int]")
    .replace("range(0, n)]\n\n\ndef uncovered", "range(n)]\n\n\ndef uncovered")
)


def test_only_covered_changes_that_pass_the_suite_are_accepted(shop_night: Night, tmp_path) -> None:
    report, repo = shop_night.report, shop_night.repo
    assert shop_night.unchanged, "the nightly run changed the repository"
    assert (
        report.tasks == ("refactor",) and report.base == report.head == repo.repo.head.commit.hexsha
    )
    proposals = by_symbol(report)
    # plain() has nothing to refactor; .github/ is never looked at.
    assert set(proposals) == {"total", "squares", "uncovered", "Till.sign"}
    assert {p.symbol for p in report.accepted} == {"total", "squares"}
    assert proposals["uncovered"].reason == "not covered by tests"
    assert proposals["Till.sign"].reason == "not covered by tests: changed line(s) 31 never run"
    assert [f.path for f in report.files] == ["shop/__init__.py", "shop/money.py"]

    total = proposals["total"]
    assert [g.gate for g in total.gates] == [
        "syntax",
        "ruff",
        "coverage",
        "covering-tests",
        "suite",
    ]
    assert total.metrics["rules"] == "ruff UP006 (added by nightly.extra_rules)"
    assert total.metrics["what"] == "Use `list` instead of `List` for type annotation"
    assert total.metrics["covering_tests"] == ["tests/test_money.py::test_total"]
    assert total.metrics["imports_removed"] == ["typing.List"]
    old = "".join(MONEY.splitlines(keepends=True)[6:11])
    assert total.metrics["key"] == proposal_key("shop/money.py", "total", old, total.text)
    assert total.suggestion is not None and (total.suggestion.start, total.suggestion.end) == (
        7,
        11,
    )
    assert total.text == total.suggestion.text == old.replace("List", "list")
    assert proposals["squares"].metrics["rules"] == "ruff PIE808 (added by nightly.extra_rules)"

    # The final file: both changes, the import only they used gone, the unused json kept.
    assert report.final_files == {"shop/money.py": FINAL_MONEY}
    assert any("the suite ran 2 times" in note for note in report.notes)
    # Each patch applies to the base with git; the final file passes ruff and the real suite.
    for proposal in report.accepted:
        (tmp_path / "p.diff").write_text(proposal.patch)
        subprocess.run(["git", "apply", "--check", str(tmp_path / "p.diff")], cwd=repo.path,
                       check=True)  # fmt: skip
    (repo.path / "shop/money.py").write_text(FINAL_MONEY)
    try:
        # The json import was unused before: still the one finding, nothing new.
        linted = ruff_check(repo.path, "shop/money.py").stdout
        assert "Found 1 error." in linted and "F401 [*] `json` imported but unused" in linted
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                             cwd=repo.path, capture_output=True, text=True, check=False)  # fmt: skip
        assert run.returncode == 0 and "4 passed" in run.stdout, run.stdout
    finally:
        repo.git("checkout", "--", "shop/money.py")
    assert Report.from_dict(report.to_dict()).to_dict() == shop_night.data


def test_the_pull_request_text_lists_each_change_and_its_keys(shop_night: Night) -> None:
    report, body = shop_night.report, shop_night.body
    assert body == pr_body(report) == pr_body(Report.from_dict(report.to_dict()))
    assert pr_title(report) == "codegen: nightly refactoring (2 changes in 1 file)"
    assert (
        "| `shop/money.py` | `total` | ``Use `list` instead of `List` for type annotation (removes "
        "the now unused import typing.List)`` | `ruff UP006 (added by nightly.extra_rules)` |"
        " `tests/test_money.py::test_total` |"
    ) in body
    assert "| `shop/money.py` | `squares` | `` Unnecessary `start` argument in `range` `` |" in body
    assert "- `shop/money.py` · `uncovered`" in body
    assert keys_in_body(body) == {p.metrics["key"] for p in report.accepted}


def test_a_closed_change_is_dropped_and_the_file_rebuilt(shop_night: Night) -> None:
    report = shop_night.report
    total_key = by_symbol(report)["total"].metrics["key"]
    kept = drop_closed(report, {total_key}, lambda path: MONEY if path == "shop/money.py" else None)
    proposals = by_symbol(kept)
    assert is_closed(proposals["total"], {total_key})
    assert proposals["total"].status == "rejected" and proposals["total"].reason == CLOSED_REASON
    assert [p.symbol for p in kept.accepted] == ["squares"]
    # Without total's change, List is still used: the import stays.
    assert kept.final_files == {"shop/money.py": MONEY.replace("range(0, n)]\n\n\ndef uncovered",
                                                                "range(n)]\n\n\ndef uncovered", 1)}  # fmt: skip
    assert drop_closed(report, {"0" * 16}, lambda path: None) is report


def test_a_closed_pull_requests_changes_are_not_proposed_again(
    shop_night: Night, run_cli, tmp_path
) -> None:
    closed = tmp_path / "closed-body.md"
    closed.write_text(shop_night.body)  # what a maintainer closed without merging
    out = tmp_path / "again.json"
    result = run_cli("nightly", "--repo", str(shop_night.repo.path), "--date", "2024-05-01",
                     "--closed-keys", str(closed), "--format", "json", "--out", str(out))  # fmt: skip
    assert result.code == 0, result.err
    report = Report.from_dict(json.loads(out.read_text()))
    proposals = by_symbol(report)
    assert report.accepted == [] and report.final_files == {}
    assert proposals["total"].reason == proposals["squares"].reason == CLOSED_REASON
    assert proposals["uncovered"].reason == "not covered by tests"
    # Only the baseline ran: no covered change was left to prove.
    assert "running the suite with" not in result.err
    assert any("no change was covered" in note for note in report.notes)


def test_the_action_runs_the_nightly_job_on_workflow_dispatch(
    make_repo, run_cli, monkeypatch, tmp_path
) -> None:
    repo = make_repo()
    repo.commit(SHOP | {"pyproject.toml": PYPROJECT + "max_proposals = 1\n"})
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"ref": "refs/heads/main", "inputs": {}}))
    for name, value in {"GITHUB_EVENT_NAME": "workflow_dispatch", "GITHUB_EVENT_PATH": str(event),
                        "GITHUB_REPOSITORY": "o/shop"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    out = tmp_path / "nightly.json"
    result = run_cli("action", "--repo", str(repo.path), "--no-publish", "--report", str(out))
    assert result.code == 0, result.err
    assert "workflow_dispatch: nightly job for o/shop" in result.err
    assert "1 of 4 refactorings passed every gate" in result.err
    report = Report.from_dict(json.loads(out.read_text()))
    proposals = by_symbol(report)
    assert [p.symbol for p in report.accepted] == ["total"]
    assert proposals["squares"].reason == (
        "over the limit of 1 changes per night (nightly.max_proposals)"
    )
    assert set(report.final_files) == {"shop/money.py"}


def test_a_night_whose_baseline_came_from_the_cache_says_so_not_the_cached_seconds(
    make_repo, monkeypatch, tmp_path
) -> None:
    monkeypatch.setenv("CODEGEN_CACHE_DIR", str(tmp_path / "cache"))
    repo = make_repo()
    repo.commit(SHOP, "base")
    notes = []
    for number in (1, 2):
        out = tmp_path / f"night{number}.json"
        code = main(["nightly", "--repo", str(repo.path), "--date", "2024-05-01", "--format",
                     "json", "--out", str(out), "-q"])  # fmt: skip
        assert code == 0
        report = Report.from_dict(json.loads(out.read_text()))
        notes.append(next(n for n in report.notes if n.startswith("the suite ran")))
    first, second = notes
    assert first.startswith("the suite ran 2 times: once at base under coverage ("), first
    # The second night ran the suite only with the changes: its coverage at base was cached.
    assert second.startswith("the suite ran once: suite with 2 changes ("), second
    assert "its coverage at base came from the cache of an earlier run on the same tree" in second
    assert " s here; measured in " in second and "once at base" not in second
