"""The one GraphQL query the bot sends: a pull request's review threads (resolved? hidden?)."""

from __future__ import annotations

from typing import Any

from tests.github_emulator.state import State


def answer(state: State, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """The `data` (or `errors`) GitHub's GraphQL API gives for the review-threads query."""
    if "reviewThreads" not in query:
        return {"errors": [{"message": "the emulator only answers the reviewThreads query"}]}
    if (variables.get("owner"), variables.get("name")) != (state.owner, state.name):
        return {"errors": [{"type": "NOT_FOUND", "message": "Could not resolve to a Repository"}]}
    number = variables.get("number")
    if number not in state.pulls:
        return {"errors": [{"type": "NOT_FOUND", "message": "Could not resolve to a PullRequest"}]}
    pending = {r.id for r in state.reviews if r.state == "PENDING"}
    comments = [
        c for c in state.review_comments if c.number == number and c.review_id not in pending
    ]
    roots = [c for c in comments if c.in_reply_to is None]
    start = int(variables.get("cursor") or 0)
    page = roots[start : start + min(100, state.page_cap)]
    nodes = [
        {
            "isResolved": root.id in state.resolved,
            "comments": {
                "nodes": [
                    {"databaseId": c.id, "isMinimized": c.id in state.minimized}
                    for c in comments
                    if root.id in (c.id, c.in_reply_to)
                ]
            },
        }
        for root in page
    ]
    end = start + len(page)
    info = {"hasNextPage": end < len(roots), "endCursor": str(end) if page else None}
    pull = {"reviewThreads": {"pageInfo": info, "nodes": nodes}}
    return {"data": {"repository": {"pullRequest": pull}}}
