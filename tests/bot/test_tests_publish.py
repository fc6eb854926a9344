"""The pure texts of `/codegen tests`: the figures table, the fork's comment, titles and replies."""

from __future__ import annotations

from codegen_bot.adapters.engines.base import EngineIdentity
from codegen_bot.bot.github import markers
from codegen_bot.bot.publish.branch import PullOutcome, files_digest, full_body, with_trailer
from codegen_bot.bot.publish.tests_pull import (
    COMMENT_KIND,
    MAX_CHARS,
    PublishedTests,
    branch_name,
    figures_table,
    fork_comment,
    pull_body,
    reply_text,
)
from codegen_bot.bot.report import Proposal, PullRequestRef, Report, SkippedTarget
from codegen_bot.refactor.gates import Verdict


def proposal_for(symbol: str, text: str = "def test_x():\n    assert True\n") -> Proposal:
    return Proposal(
        task="tests",
        path=f"tests/test_m_{symbol}.py",
        symbol=symbol,
        kind="function",
        start=1,
        end=2,
        identity=EngineIdentity("heuristic"),
        status="accepted",
        gates=(Verdict("runs", True),),
        reason=None,
        patch="(patch)",
        suggestion=None,
        text=text,
        metrics={
            "target_path": "pkg/m.py",
            "lines_gained": 4,
            "branches_gained": 2,
            "before": {
                "lines_covered": 1,
                "lines_total": 5,
                "branches_covered": 0,
                "branches_total": 2,
            },
            "after": {
                "lines_covered": 5,
                "lines_total": 5,
                "branches_covered": 2,
                "branches_total": 2,
            },
            "runs_text": "5/5",
            "seconds": 0.0123,
            "newly_covers": {"lines": [3, 4, 5, 6], "branches": ["2->3", "2->5"]},
        },
    )


def report(*proposals: Proposal, **extra) -> Report:
    return Report(
        repo=".",
        base="b" * 40,
        head="a" * 40,
        tasks=("tests",),
        identity=EngineIdentity("heuristic"),
        proposals=proposals,
        pull_request=PullRequestRef("o/r", 7, 99, command="tests"),
        **extra,
    )


def test_each_test_has_a_row_with_its_figures() -> None:
    header, rule, row = figures_table([proposal_for("clamp")])
    assert header.startswith(
        "| test | target | lines gained | branches gained | newly covers | runs passed"
    )
    assert rule.count("---") == 7
    assert row == (
        "| `tests/test_m_clamp.py` | `pkg/m.py` · `clamp` | +4 (1/5 → 5/5) | +2 (0/2 → 2/2)"
        " | `lines 3, 4, 5, 6; branches 2->3, 2->5` | 5/5 | 0.012 s |"
    )


def test_the_pull_request_body_names_the_branch_to_merge_into_and_what_got_no_test() -> None:
    rejected = Proposal(
        **{**proposal_for("ratio").__dict__, "status": "rejected", "reason": "flaky: 3/5 runs"}
    )
    skipped = SkippedTarget("tests", "pkg/m.py", "_private", "private name")
    text = pull_body(
        report(proposal_for("clamp"), rejected, skipped=(skipped,), notes=("a | note",)),
        [proposal_for("clamp")],
        7,
        "feature",
    )
    assert "1 test module for the code #7 changes" in text and "into `feature`" in text
    assert (
        "- `ratio`: `flaky: 3/5 runs`" in text
        and "- `_private` (`pkg/m.py`): `private name`" in text
    )
    assert "> `a | note`" in text and "tested at `aaaaaaaaaaaa`" in text


def test_a_forks_comment_collapses_each_file_and_stays_under_githubs_limit() -> None:
    small = [proposal_for(f"f{i}") for i in range(3)]
    text = fork_comment(report(*small), small)
    assert markers.first(COMMENT_KIND, text)["head"] == "a" * 40
    assert text.count("<details><summary><code>") == 3
    assert "```python\ndef test_x():\n    assert True\n```" in text
    huge = [proposal_for(f"g{i}", "x = 1\n" * 4000) for i in range(5)]
    clipped = fork_comment(report(*huge), huge)
    assert len(clipped) < MAX_CHARS and "more: see the JSON report" in clipped


def test_the_pull_request_body_marker_records_the_bots_commit_and_the_files() -> None:
    from codegen_bot.bot.publish.branch import BranchChange

    change = BranchChange("codegen/x", "main", "c" * 40, {"a.py": "1\n"}, "msg", "t", "body")
    body = full_body(change, "d" * 40)
    marker = markers.first("pull", body)
    assert marker["commit"] == "d" * 40 and marker["base"] == "c" * 40
    assert marker["files"] == files_digest({"a.py": "1\n"}, "msg") != files_digest({}, "msg")
    assert with_trailer("msg\n", "codegen/x").endswith("\n\nCodegen-Branch: codegen/x\n")


def test_replies_say_what_happened() -> None:
    tests = (proposal_for("clamp"), proposal_for("slug"))

    def outcome(status: str, number: int | None = 8) -> PublishedTests:
        result = PullOutcome(status, number, "u", "c", "`codegen/tests/pr-7` has commits")
        return PublishedTests(7, "pull", tests, result, head_ref="feature")

    assert reply_text(outcome("opened")).startswith(
        "Done: opened #8 with 2 tests (`clamp`, `slug`)"
    )
    assert "merge it into `feature`" in reply_text(outcome("opened"))
    assert reply_text(outcome("updated")).startswith("Done: updated #8")
    assert "already holds these 2 tests" in reply_text(outcome("unchanged"))
    assert reply_text(outcome("blocked")).startswith("Not updated: `codegen/tests/pr-7` has")
    assert reply_text(outcome("blocked", None)).startswith("Not published:")
    fork = PublishedTests(7, "comment", tests[:1], comment_id=5)
    assert "1 test (`clamp`) in the comment above" in reply_text(fork)
    nothing = PublishedTests(7, "nothing", note="no test passed every gate")
    assert reply_text(nothing) == "Nothing published: no test passed every gate"
    assert branch_name(7) == "codegen/tests/pr-7"
