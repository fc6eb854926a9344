"""The GitHub host: the only module that imports PyGithub. Every call returns plain values.

Reliability lives here. PyGithub's own retry is switched off (it re-sends POSTs after a 5xx,
which duplicates comments); instead every call goes through `_call`, which waits out rate limits
and retries 5xx answers and lost connections with a capped backoff (`bot.github.retries`), and — for
a write whose answer was lost — first asks GitHub, by the hidden marker the write carries, whether
it landed. Every body written is first fitted to GitHub's size limit (`bot.github.bodies.fit`). The
sleep and the clock are injected, so tests never wait. The token is handed to PyGithub and never
appears in a message.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from github import Auth, Github, GithubException

from codegen_bot.bot.errors import CodegenError, UsageError
from codegen_bot.bot.github import markers
from codegen_bot.bot.github.answers import THREADS_QUERY, api_url_problem, error_types, message_of
from codegen_bot.bot.github.bodies import fit
from codegen_bot.bot.github.git_data import GitData
from codegen_bot.bot.github.retries import Outcome, RetryPolicy, retry_delay
from codegen_bot.bot.github.values import Comment, PullFile, PullRequest, PullSummary, Review

T = TypeVar("T")
DEFAULT_POLICY = RetryPolicy()


class ApiError(CodegenError):
    """A GitHub API call failed for good (after retries where retrying made sense)."""

    def __init__(self, what: str, outcome: Outcome) -> None:
        status = "no answer" if outcome.status is None else f"HTTP {outcome.status}"
        super().__init__(f"GitHub API: {what} failed ({status}: {outcome.message or 'no message'})")
        self.outcome = outcome


class Unprocessable(ApiError):
    """GitHub answered 422: the request is wrong as sent (e.g. a comment outside the diff)."""


def _summary(pull: Any) -> PullSummary:
    """A PyGithub pull request (as listed: `merged_at`, not `merged`) as a plain value."""
    return PullSummary(
        number=pull.number,
        state=pull.state,
        merged=pull.merged_at is not None,
        head_ref=pull.head.ref,
        head=pull.head.sha,
        base_ref=pull.base.ref,
        title=pull.title or "",
        body=pull.body or "",
        url=pull.html_url,
    )


def _silent(_: str) -> None:
    """Progress goes nowhere."""


class GitHubHost(GitData):
    """One repository on one GitHub API server, reached with one token; calls retried safely."""

    def __init__(
        self,
        repository: str,
        token: str,
        api_url: str = "https://api.github.com",
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        policy: RetryPolicy = DEFAULT_POLICY,
        timeout: int = 30,
        write_pause: float = 1.0,
        progress: Callable[[str], None] = _silent,
    ) -> None:
        problem = api_url_problem(api_url)
        if problem is not None:
            raise UsageError(problem)
        self.repository = repository
        self._owner, _, self._name = repository.partition("/")
        self._gh = Github(
            auth=Auth.Token(token),
            base_url=api_url.rstrip("/"),
            timeout=timeout,
            retry=0,
            per_page=100,
            lazy=True,
            # GitHub asks integrations to leave a second between writes; tests need no pause.
            seconds_between_requests=None,
            seconds_between_writes=write_pause or None,
        )
        self._repo = self._gh.get_repo(repository)
        self._sleep, self._clock, self._policy, self._progress = sleep, clock, policy, progress

    # --- the one place calls are made -------------------------------------------------------

    def _call(
        self, what: str, fn: Callable[[], T], landed: Callable[[], T | None] | None = None
    ) -> T:
        """Run `fn`, retrying what is worth it; for a write, `landed` finds it if it happened."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return fn()
            except GithubException as error:
                outcome = Outcome(
                    error.status,
                    dict(error.headers or {}),
                    message_of(error.data),
                    error_types(error.data),
                )
            except requests.RequestException as error:
                outcome = Outcome(None, {}, f"{type(error).__name__}: the connection failed")
            delay = retry_delay(outcome, attempt, self._clock(), self._policy)
            if delay is None:
                raise (Unprocessable if outcome.status == 422 else ApiError)(what, outcome)
            self._progress(f"{what}: {ApiError(what, outcome).args[0]}; retrying in {delay:.0f}s")
            self._sleep(delay)
            if landed is not None and outcome.ambiguous:
                found = landed()
                if found is not None:
                    self._progress(f"{what}: the first attempt had landed; not sent again")
                    return found

    # --- reading ----------------------------------------------------------------------------

    def pull_request(self, number: int) -> PullRequest:
        """Read the pull request with its files and their patches (every page)."""

        def read() -> PullRequest:
            """The pull request with its head, base and changed files."""
            pull = self._repo.get_pull(number)
            files = tuple(PullFile(f.filename, f.status, f.patch) for f in pull.get_files())
            return PullRequest(
                number=number,
                state=pull.state,
                draft=bool(pull.draft),
                head=pull.head.sha,
                head_ref=pull.head.ref,
                base=pull.base.sha,
                base_ref=pull.base.ref,
                files=files,
                head_repository=pull.head.repo.full_name if pull.head.repo else "",
            )

        return self._call(f"reading pull request #{number}", read)

    def issue_comments(self, number: int) -> list[Comment]:
        """Every comment of the pull request's conversation, oldest first."""
        return self._call(
            f"listing the comments of #{number}",
            lambda: [
                Comment(c.id, c.body or "", c.user.login if c.user else "")
                for c in self._repo.get_issue(number).get_comments()
            ],
        )

    def review_comments(self, number: int) -> list[tuple[int, str, bool | None]]:
        """List the review comments with a codegen marker, as (id, body, closed by a maintainer).

        Whether a comment is closed comes from GraphQL; when the threads cannot be read (after
        waiting out rate limits), it is None: unknown, so the caller posts nothing it replaces.
        """
        mine = self._call(
            f"listing the review comments of #{number}",
            lambda: [
                (c.id, c.body or "")
                for c in self._repo.get_pull(number).get_review_comments()
                if markers.first("suggestion", c.body)
            ],
        )
        if not mine:
            return []
        try:
            closed = self._closed_comments(number)
        except ApiError as error:
            self._progress(f"{error}: earlier suggestions are not posted again in this run")
            return [(comment_id, body, None) for comment_id, body in mine]
        return [(comment_id, body, comment_id in closed) for comment_id, body in mine]

    def _closed_comments(self, number: int) -> set[int]:
        """Ids of review comments in resolved threads, or hidden (minimized), by GraphQL."""
        closed: set[int] = set()
        cursor: str | None = None
        while True:
            variables = {
                "owner": self._owner,
                "name": self._name,
                "number": number,
                "cursor": cursor,
            }
            _, data = self._call(
                f"reading the review threads of #{number}",
                functools.partial(self._gh.requester.graphql_query, THREADS_QUERY, variables),
            )
            threads = data["data"]["repository"]["pullRequest"]["reviewThreads"]
            for thread in threads["nodes"]:
                for node in thread["comments"]["nodes"]:
                    if thread["isResolved"] or node.get("isMinimized"):
                        closed.add(int(node["databaseId"]))
            if not threads["pageInfo"]["hasNextPage"]:
                return closed
            cursor = threads["pageInfo"]["endCursor"]

    def reviews(self, number: int) -> list[Review]:
        """Every review of the pull request (the bot's own pending ones included)."""
        return self._call(
            f"listing the reviews of #{number}",
            lambda: [
                Review(r.id, r.state, r.body or "")
                for r in self._repo.get_pull(number).get_reviews()
            ],
        )

    def permission(self, login: str) -> str:
        """`login`'s permission on the repository: admin, write, read or none."""

        def read() -> str:
            """The user's permission, or `none` when GitHub does not know them here."""
            try:
                return str(self._repo.get_collaborator_permission(login))
            except GithubException as error:
                if error.status == 404:
                    return "none"
                raise

        return self._call(f"reading {login}'s permission", read)

    def default_branch(self) -> str:
        """The repository's default branch (e.g. `main`)."""
        return self._call(
            "reading the default branch", lambda: str(self._rest("GET", "")["default_branch"])
        )

    # --- writing ----------------------------------------------------------------------------

    def create_review(
        self,
        number: int,
        commit: str,
        body: str,
        comments: list[dict[str, object]],
        *,
        event: str | None = "COMMENT",
        marker_kind: str = "review",
    ) -> int:
        """Post one review (or a pending one when `event` is None); return its id.

        `body` must carry a unique `marker_kind` marker: after a lost answer the reviews are
        searched for it.
        """
        body = fit(body)
        mark = markers.first(marker_kind, body)
        comments = [{**c, "body": fit(str(c["body"]))} if "body" in c else c for c in comments]
        payload: dict[str, Any] = {"commit_id": commit, "body": body, "comments": comments}
        if event is not None:
            payload["event"] = event

        def post() -> int:
            """Post the review in one request; return its id."""
            return int(self._rest("POST", f"/pulls/{number}/reviews", payload)["id"])

        def landed() -> int | None:
            """The id of a review with this marker, if an earlier attempt created it."""
            return next(
                (r.id for r in self.reviews(number) if markers.first(marker_kind, r.body) == mark),
                None,
            )

        return self._call(f"posting a review on #{number}", post, landed)

    def delete_pending_review(self, number: int, review_id: int) -> None:
        """Delete one of the bot's pending reviews (already gone counts as done)."""

        def delete() -> None:
            """Delete the pending review; one that is already gone is fine."""
            try:
                self._rest("DELETE", f"/pulls/{number}/reviews/{review_id}")
            except GithubException as error:
                if error.status != 404:
                    raise

        self._call(f"deleting pending review {review_id}", delete)

    def create_comment(self, number: int, body: str, marker_kind: str) -> int:
        """Post a comment on the conversation; return its id. `body` has a `marker_kind` marker."""
        body = fit(body)
        mark = markers.first(marker_kind, body)

        def landed() -> int | None:
            """The id of a comment with this marker, if an earlier attempt created it."""
            return next(
                (
                    c.id
                    for c in self.issue_comments(number)
                    if markers.first(marker_kind, c.body) == mark
                ),
                None,
            )

        return self._call(
            f"commenting on #{number}",
            lambda: int(self._repo.get_issue(number).create_comment(body).id),
            landed,
        )

    def edit_comment(self, number: int, comment_id: int, body: str) -> None:
        """Replace the text of comment `comment_id` on #`number` (sending it twice does no harm)."""
        body = fit(body)
        self._call(
            f"editing comment {comment_id}",
            lambda: self._repo.get_issue(number).get_comment(comment_id).edit(body),
        )

    def react(self, number: int, comment_id: int, content: str) -> None:
        """Add a reaction to a comment on #`number` (GitHub keeps one per user and kind)."""
        self._call(
            f"reacting to comment {comment_id}",
            lambda: self._repo.get_issue(number).get_comment(comment_id).create_reaction(content),
        )

    # --- branches and pull requests, through the Git Data API (no checkout, no PR code) ------

    def _rest(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        """One REST call under this repository; returns the decoded JSON answer."""
        _, data = self._gh.requester.requestJsonAndCheck(
            method, f"/repos/{self.repository}{path}", input=payload
        )
        return data

    def _rest_or_none(self, path: str) -> Any:
        """A GET under this repository; None when GitHub answers 404 (no such thing)."""
        try:
            return self._rest("GET", path)
        except GithubException as error:
            if error.status == 404:
                return None
            raise

    def pulls_from(self, branch: str) -> list[PullSummary]:
        """Every pull request (open, closed, merged) whose head is `branch` of this repository."""
        return self._call(
            f"listing the pull requests from {branch}",
            lambda: [
                _summary(p)
                for p in self._repo.get_pulls(state="all", head=f"{self._owner}:{branch}")
            ],
        )

    def create_pull(
        self, branch: str, base_ref: str, title: str, body: str, marker_kind: str
    ) -> PullSummary:
        """Open a pull request from `branch` into `base_ref`; return it.

        `body` carries a `marker_kind` marker: after a lost answer the pull request is looked up
        by it before the request is sent again.
        """
        body = fit(body)
        mark = markers.first(marker_kind, body)

        def post() -> PullSummary:
            """Open the pull request from `branch` into `base_ref`."""
            return _summary(
                self._repo.create_pull(base=base_ref, head=branch, title=title, body=body)
            )

        def landed() -> PullSummary | None:
            """An open pull request from the branch with this marker, if one was opened before."""
            return next(
                (
                    p
                    for p in self.pulls_from(branch)
                    if p.state == "open" and markers.first(marker_kind, p.body) == mark
                ),
                None,
            )

        return self._call(f"opening a pull request from {branch}", post, landed)

    def edit_pull(self, number: int, title: str, body: str, base_ref: str | None = None) -> None:
        """Replace pull request #`number`'s title and body (and its base branch when given)."""
        payload: dict[str, Any] = {"title": title, "body": fit(body)}
        if base_ref is not None:
            payload["base"] = base_ref
        self._call(
            f"editing pull request #{number}",
            lambda: self._rest("PATCH", f"/pulls/{number}", payload),
        )
