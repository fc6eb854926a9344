"""The endpoints the bot calls, with GitHub's answers: shapes, status codes, errors, rules."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.github_emulator import shapes
from tests.github_emulator.state import (
    LINE_OUTSIDE_DIFF,
    IssueComment,
    Reaction,
    Review,
    ReviewComment,
    State,
    User,
    hunk_of,
)

DOCS = "https://docs.github.com/rest"


@dataclass
class Request:
    """One parsed request, as handlers see it."""

    state: State
    api: str
    caller: User
    method: str
    path: str
    query: dict[str, str]
    body: Any
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class Response:
    """A handler's answer; `items` (a list to paginate) replaces `body` for list endpoints."""

    status: int
    body: Any = None
    items: list[Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


def error(status: int, message: str, errors: list[str] | None = None, doc: str = "") -> Response:
    """GitHub's error body: a message, maybe errors, and a documentation link."""
    body: dict[str, Any] = {"message": message, "documentation_url": f"{DOCS}{doc}"}
    if errors is not None:
        body["errors"] = errors
        body["status"] = str(status)
    return Response(status, body)


def _pull(req: Request) -> Any:
    return req.state.pulls.get(int(req.params["number"]))


def get_pull(req: Request) -> Response:
    """GET /repos/{owner}/{repo}/pulls/{pull_number}."""
    item = _pull(req)
    return Response(200, shapes.pull(req.api, req.state, item)) if item else error(404, "Not Found")


def list_files(req: Request) -> Response:
    """GET /repos/{owner}/{repo}/pulls/{pull_number}/files."""
    item = _pull(req)
    if item is None:
        return error(404, "Not Found")
    return Response(200, items=[shapes.diff_entry(req.api, req.state, item, f) for f in item.files])


def list_review_comments(req: Request) -> Response:
    """GET /repos/{owner}/{repo}/pulls/{pull_number}/comments (pending reviews' comments hidden)."""
    number = int(req.params["number"])
    pending = {r.id for r in req.state.reviews if r.state == "PENDING"}
    return Response(
        200,
        items=[
            shapes.review_comment(req.api, req.state, c)
            for c in req.state.review_comments
            if c.number == number and c.review_id not in pending
        ],
    )


def list_reviews(req: Request) -> Response:
    """GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews (pending ones: to the author)."""
    return Response(
        200,
        items=[
            shapes.review(req.api, req.state, r)
            for r in req.state.reviews_on(int(req.params["number"]))
            if r.state != "PENDING" or r.user is req.caller
        ],
    )


def _check_comment(req: Request, files: dict[str, str | None], comment: Any) -> str | None:
    """Why GitHub refuses one draft comment, or None. Only `line`-style comments are emulated."""
    if not isinstance(comment, dict) or "path" not in comment or "body" not in comment:
        return "Invalid request: comments need path and body."
    if comment["path"] not in files:
        return "Path could not be resolved"
    line, start = comment.get("line"), comment.get("start_line", comment.get("line"))
    if not isinstance(line, int) or not isinstance(start, int) or start > line:
        return "Line could not be resolved"
    refused = {(comment["path"], n) for n in range(start, line + 1)} & req.state.unplaceable
    if (
        refused
        or comment.get("side", "RIGHT") != "RIGHT"
        or hunk_of(files[comment["path"]], start, line) is None
    ):
        return LINE_OUTSIDE_DIFF
    return None


def create_review(req: Request) -> Response:
    """POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews — all comments placed, or a 422."""
    item, body = _pull(req), req.body or {}
    doc = "/pulls/reviews#create-a-review-for-a-pull-request"
    if item is None:
        return error(404, "Not Found")
    event = body.get("event")
    if event in ("COMMENT", "REQUEST_CHANGES") and not body.get("body"):
        return error(422, "Unprocessable Entity", ["Body is required for this event"], doc)
    commit = body.get("commit_id", item.head_sha)
    if commit not in item.heads:
        return error(422, "Unprocessable Entity", ["Commit could not be resolved"], doc)
    if (
        event is None
        and req.state.reviews_on(item.number, "PENDING")
        and any(r.user is req.caller for r in req.state.reviews_on(item.number, "PENDING"))
    ):
        return error(
            422,
            "Unprocessable Entity",
            ["User can only have one pending review per pull request"],
            doc,
        )
    files = {f.filename: f.patch for f in item.files}
    for comment in body.get("comments", []):
        problem = _check_comment(req, files, comment)
        if problem is not None:
            return error(422, "Unprocessable Entity", [problem], doc)
    state = req.state
    review = Review(
        state.new_id(),
        item.number,
        req.caller,
        body.get("body", ""),
        "PENDING" if event is None else "COMMENTED",
        commit,
        state.clock,
    )
    state.reviews.append(review)
    for comment in body.get("comments", []):
        start = comment.get("start_line")
        hunk = hunk_of(files[comment["path"]], start or comment["line"], comment["line"]) or ""
        state.review_comments.append(
            ReviewComment(
                state.new_id(),
                review.id,
                item.number,
                req.caller,
                comment["path"],
                comment["line"],
                start,
                comment["body"],
                commit,
                hunk,
                state.clock,
            )
        )
    return Response(200, shapes.review(req.api, state, review))


def delete_review(req: Request) -> Response:
    """DELETE /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id} — pending ones only."""
    state = req.state
    review = next((r for r in state.reviews if r.id == int(req.params["review_id"])), None)
    if review is None or review.user is not req.caller:
        return error(404, "Not Found")
    if review.state != "PENDING":
        return error(
            422, "Unprocessable Entity", ["Can not delete a non-pending pull request review"]
        )
    state.reviews.remove(review)
    state.review_comments[:] = [c for c in state.review_comments if c.review_id != review.id]
    return Response(200, shapes.review(req.api, state, review))


def list_issue_comments(req: Request) -> Response:
    """GET /repos/{owner}/{repo}/issues/{issue_number}/comments."""
    number = int(req.params["number"])
    return Response(
        200,
        items=[shapes.issue_comment(req.api, req.state, c) for c in req.state.conversation(number)],
    )


def create_issue_comment(req: Request) -> Response:
    """POST /repos/{owner}/{repo}/issues/{issue_number}/comments."""
    number = int(req.params["number"])
    if number not in req.state.pulls:
        return error(404, "Not Found")
    text = (req.body or {}).get("body")
    if not isinstance(text, str) or not text:
        return error(422, "Validation Failed", ["body is missing"])
    state = req.state
    comment = IssueComment(state.new_id(), number, req.caller, text, state.clock, state.clock)
    state.issue_comments.append(comment)
    return Response(201, shapes.issue_comment(req.api, state, comment))


def _comment(req: Request) -> IssueComment | None:
    return next(
        (c for c in req.state.issue_comments if c.id == int(req.params["comment_id"])), None
    )


def get_issue_comment(req: Request) -> Response:
    """GET /repos/{owner}/{repo}/issues/comments/{comment_id}."""
    comment = _comment(req)
    return (
        Response(200, shapes.issue_comment(req.api, req.state, comment))
        if comment
        else error(404, "Not Found")
    )


def edit_issue_comment(req: Request) -> Response:
    """PATCH /repos/{owner}/{repo}/issues/comments/{comment_id} — only its author may."""
    comment = _comment(req)
    if comment is None:
        return error(404, "Not Found")
    if comment.user is not req.caller:
        return error(403, "Resource not accessible by integration")
    comment.body = (req.body or {}).get("body", comment.body)
    comment.updated = req.state.new_id() and req.state.clock
    return Response(200, shapes.issue_comment(req.api, req.state, comment))


def create_reaction(req: Request) -> Response:
    """POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions — 200 if it was there."""
    comment = _comment(req)
    if comment is None:
        return error(404, "Not Found")
    content = (req.body or {}).get("content")
    if content not in ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"):
        return error(422, "Validation Failed", ["content is not included in the list"])
    for existing in comment.reactions:
        if existing.user is req.caller and existing.content == content:
            return Response(200, shapes.reaction(req.api, existing))
    made = Reaction(req.state.new_id(), req.caller, content, req.state.clock)
    comment.reactions.append(made)
    return Response(201, shapes.reaction(req.api, made))


def collaborator_permission(req: Request) -> Response:
    """GET /repos/{owner}/{repo}/collaborators/{username}/permission."""
    account = req.state.users.get(req.params["username"])
    if account is None:
        return error(404, "Not Found")
    return Response(200, shapes.collaborator_permission(req.api, req.state, account))


def get_repo(req: Request) -> Response:
    """GET /repos/{owner}/{repo}."""
    return Response(200, shapes.repository(req.api, req.state))


Handler = Callable[[Request], Response]
Route = tuple[str, re.Pattern[str], Handler]
_REPO = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"


def compile_routes(*table: tuple[str, str, Handler]) -> list[Route]:
    """(method, path pattern under /repos/{owner}/{repo}, handler) → matchable routes."""
    return [
        (method, re.compile(f"^{_REPO}{pattern}$"), handler) for method, pattern, handler in table
    ]


ROUTES: list[Route] = compile_routes(
    ("GET", "", get_repo),
    ("GET", r"/pulls/(?P<number>\d+)", get_pull),
    ("GET", r"/pulls/(?P<number>\d+)/files", list_files),
    ("GET", r"/pulls/(?P<number>\d+)/comments", list_review_comments),
    ("GET", r"/pulls/(?P<number>\d+)/reviews", list_reviews),
    ("POST", r"/pulls/(?P<number>\d+)/reviews", create_review),
    ("DELETE", r"/pulls/(?P<number>\d+)/reviews/(?P<review_id>\d+)", delete_review),
    ("GET", r"/issues/(?P<number>\d+)/comments", list_issue_comments),
    ("POST", r"/issues/(?P<number>\d+)/comments", create_issue_comment),
    ("GET", r"/issues/comments/(?P<comment_id>\d+)", get_issue_comment),
    ("PATCH", r"/issues/comments/(?P<comment_id>\d+)", edit_issue_comment),
    ("POST", r"/issues/comments/(?P<comment_id>\d+)/reactions", create_reaction),
    ("GET", r"/collaborators/(?P<username>[^/]+)/permission", collaborator_permission),
)
