"""What the GitHub host sends and reads that needs no PyGithub: the GraphQL query, error texts.

Pure helpers of `bot.github.host`: the review-threads query, GitHub's error message and GraphQL
error types in an answer, and whether a URL can be GitHub's API address.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

THREADS_QUERY = """
query($owner: String!, $name: String!, $number: Int!, $cursor: String) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      reviewThreads(first: 100, after: $cursor) {
        pageInfo { hasNextPage endCursor }
        nodes { isResolved comments(first: 100) { nodes { databaseId isMinimized } } }
      }
    }
  }
}
"""


def message_of(data: Any) -> str:
    """GitHub's error message in an answer, with its `errors` list when there is one."""
    if isinstance(data, dict):
        errors = data.get("errors")
        detail = (
            f" ({'; '.join(str(e) for e in errors)})" if isinstance(errors, list) and errors else ""
        )
        return f"{data.get('message', '')}{detail}"
    return "" if data is None else str(data)[:200]


def api_url_problem(url: str) -> str | None:
    """Why `url` cannot be GitHub's API address (GITHUB_API_URL), or None when it can."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.hostname:
        return None
    return f"GITHUB_API_URL {url!r} is not an http(s) URL (GitHub's is https://api.github.com)"


def error_types(data: Any) -> tuple[str, ...]:
    """The `type` of each GraphQL error in an answer (REST answers have none)."""
    errors = data.get("errors") if isinstance(data, dict) else None
    if not isinstance(errors, list):
        return ()
    return tuple(str(e["type"]) for e in errors if isinstance(e, dict) and "type" in e)
