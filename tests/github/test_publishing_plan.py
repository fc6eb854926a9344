"""The pure parts of publishing: markers, which proposals are posted, the summary."""

from __future__ import annotations

import dataclasses
import json

from codegen_bot.adapters.engines.base import EngineIdentity
from codegen_bot.bot.github import markers
from codegen_bot.bot.publish import summary
from codegen_bot.bot.publish.suggestions import (
    InlineComment,
    PostedSuggestion,
    commentable,
    fence,
    plan_review,
    posted_from,
    refuse,
    suggestion_digest,
)
from codegen_bot.bot.report import Proposal, PullRequestRef, Report
from codegen_bot.refactor.gates import Verdict
from codegen_bot.refactor.patches import Replacement

PATCH = "@@ -1,3 +1,5 @@\n a\n+b\n+c\n d\n e\n@@ -20,2 +22,3 @@\n x\n+y\n z"


def proposal(
    symbol: str, start: int, end: int, path: str = "m.py", status: str = "accepted"
) -> Proposal:
    return Proposal(
        task="docs",
        path=path,
        symbol=symbol,
        kind="function",
        start=start,
        end=end,
        identity=EngineIdentity("heuristic"),
        status=status,  # type: ignore[arg-type]
        gates=(Verdict("syntax", True),),
        reason=None if status == "accepted" else "ruff: E501",
        patch=f"diff --git a/{path} b/{path}\n+doc for {symbol}\n",
        suggestion=Replacement(start, end, f'def {symbol}():\n    """Doc."""\n')
        if status == "accepted"
        else None,
        text="Doc.",
    )


def test_markers_round_trip_and_cannot_be_closed_early() -> None:
    data = {"key": "docs:a--b.py:f-->x", "n": 3}
    mark = markers.hidden("suggestion", data)
    assert "--" not in mark[4:-3] and ">" not in mark[4:-3]
    assert markers.find(
        "suggestion", f"text {mark} more {markers.hidden('summary', {'a': 1})}"
    ) == [data]
    assert markers.first("summary", "no marker here") is None
    assert markers.find("suggestion", "<!-- codegen:suggestion {broken -->") == []


def test_commentable_lines_are_the_hunks_new_ranges() -> None:
    assert commentable(PATCH) == [range(1, 6), range(22, 25)]
    assert commentable(None) == [] and commentable("") == []


def test_plan_places_each_proposal() -> None:
    proposals = [
        proposal("inside", 2, 2),
        proposal("multi", 3, 5),
        proposal("across", 5, 22),
        proposal("outside", 10, 10),
        proposal("posted", 23, 23),
        proposal("resolved", 24, 24),
        proposal("deleted", 1, 1),
        proposal("rejected", 1, 1, status="rejected"),
        proposal("elsewhere", 1, 1, path="other.py"),
    ]
    by = {p.symbol: p for p in proposals}
    posted = [
        PostedSuggestion(1, by["posted"].key, suggestion_digest(by["posted"]), closed=False),
        PostedSuggestion(2, by["resolved"].key, "old digest", closed=True),
    ]
    remembered = {by["deleted"].key: suggestion_digest(by["deleted"])}
    plan = plan_review(proposals, {"m.py": PATCH, "other.py": None}, posted, remembered, limit=20)
    where = {key.split(":")[-1]: place for key, place in plan.placements.items()}
    assert where == {
        "inside": "new",
        "multi": "new",
        "across": "outside",
        "outside": "outside",
        "posted": "posted",
        "resolved": "dismissed",
        "deleted": "dismissed",
        "elsewhere": "outside",
    }
    inside, multi = plan.comments
    assert inside.to_api() == {"path": "m.py", "line": 2, "side": "RIGHT", "body": inside.body}
    assert multi.to_api()["start_line"] == 3 and multi.to_api()["line"] == 5
    assert multi.to_api()["start_side"] == "RIGHT"
    assert set(plan.remembered) == {by[s].key for s in ("inside", "multi", "posted", "deleted")}


def test_the_cap_sends_the_rest_to_the_summary_and_refusals_are_forgotten() -> None:
    proposals = [proposal(f"f{i}", 2, 2) for i in range(3)]
    plan = plan_review(proposals, {"m.py": PATCH}, [], {}, limit=2)
    assert len(plan.comments) == 2 and list(plan.placements.values()) == [
        "new",
        "new",
        "over_limit",
    ]
    after = refuse(plan, [plan.comments[0]], {})
    assert len(after.comments) == 1 and after.placements[plan.comments[0].key] == "refused"
    assert plan.comments[0].key not in after.remembered


def test_suggestion_comments_are_recognised_and_fenced_safely() -> None:
    p = dataclasses.replace(proposal("f", 2, 2), suggestion=Replacement(2, 2, "x = '```'\n"))
    plan = plan_review([p], {"m.py": PATCH}, [], {}, limit=5)
    [comment] = plan.comments
    assert "````suggestion\nx = '```'\n````" in comment.body
    assert posted_from([(9, comment.body, False), (10, "a human comment", False)]) == [
        PostedSuggestion(9, p.key, suggestion_digest(p), False)
    ]
    assert fence("", "suggestion") == "```suggestion\n```"
    assert isinstance(comment, InlineComment)


def test_summary_is_deterministic_and_remembers() -> None:
    proposals = (proposal("a", 2, 2), proposal("b", 10, 10), proposal("c", 1, 1, status="rejected"))
    report = Report(
        repo="/r",
        base="b" * 40,
        head="h" * 40,
        tasks=("docs",),
        identity=EngineIdentity("hf", "tiny", "docs@2"),
        proposals=proposals,
        tool_version="0.1.0",
    )
    placements = {proposals[0].key: "new", proposals[1].key: "outside"}
    memory = {proposals[0].key: "abc"}
    body = summary.render(report, placements, memory)
    assert body == summary.render(report, placements, memory)
    assert summary.is_summary(body) and summary.remembered(body) == memory
    assert "| `m.py` | `c` | rejected: `ruff: E501` |" in body
    assert "hf (model tiny, adapter docs@2)" in body
    assert "Accepted patches not posted inline" in body and "+doc for b" in body
    assert "+doc for a" not in body  # posted inline, so not repeated


def test_report_round_trips_with_its_pull_request() -> None:
    report = Report(
        repo="/r",
        base="b",
        head="h",
        tasks=("docs",),
        identity=EngineIdentity("heuristic"),
        proposals=(proposal("a", 2, 2),),
        pull_request=PullRequestRef("o/r", 7, 99, 5),
    )
    again = Report.from_dict(json.loads(report.to_json()))
    assert again == report
    old = json.loads(report.to_json())
    del old["pull_request"]  # reports written before the field existed still read
    assert Report.from_dict(old).pull_request is None
