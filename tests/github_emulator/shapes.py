"""GitHub's JSON shapes for the emulator's objects, with every field GitHub's OpenAPI requires."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.github_emulator.state import (
    FileEntry,
    IssueComment,
    Pull,
    Reaction,
    Review,
    ReviewComment,
    State,
    User,
)

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
WEB = "https://github.com"


def when(seconds: int) -> str:
    """An ISO 8601 timestamp `seconds` after the emulator's epoch."""
    return (EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def user(api: str, account: User) -> dict[str, Any]:
    """A `simple-user`."""
    url = f"{api}/users/{account.login}"
    return {
        "login": account.login,
        "id": account.id,
        "node_id": f"U_{account.id}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{account.id}",
        "gravatar_id": "",
        "url": url,
        "html_url": f"{WEB}/{account.login}",
        "followers_url": f"{url}/followers",
        "following_url": f"{url}/following{{/other_user}}",
        "gists_url": f"{url}/gists{{/gist_id}}",
        "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{url}/subscriptions",
        "organizations_url": f"{url}/orgs",
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events{{/privacy}}",
        "received_events_url": f"{url}/received_events",
        "type": account.type,
        "site_admin": False,
        "user_view_type": "public",
    }


_REPO_TEMPLATES = {
    "archive_url": "/{archive_format}{/ref}",
    "assignees_url": "/assignees{/user}",
    "blobs_url": "/git/blobs{/sha}",
    "branches_url": "/branches{/branch}",
    "collaborators_url": "/collaborators{/collaborator}",
    "comments_url": "/comments{/number}",
    "commits_url": "/commits{/sha}",
    "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}",
    "contributors_url": "/contributors",
    "deployments_url": "/deployments",
    "downloads_url": "/downloads",
    "events_url": "/events",
    "forks_url": "/forks",
    "git_commits_url": "/git/commits{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "hooks_url": "/hooks",
    "issue_comment_url": "/issues/comments{/number}",
    "issue_events_url": "/issues/events{/number}",
    "issues_url": "/issues{/number}",
    "keys_url": "/keys{/key_id}",
    "labels_url": "/labels{/name}",
    "languages_url": "/languages",
    "merges_url": "/merges",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "pulls_url": "/pulls{/number}",
    "releases_url": "/releases{/id}",
    "stargazers_url": "/stargazers",
    "statuses_url": "/statuses/{sha}",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "tags_url": "/tags",
    "teams_url": "/teams",
    "trees_url": "/git/trees{/sha}",
}


def repository(api: str, state: State, full_name: str | None = None) -> dict[str, Any]:
    """A `repository`: this one, or another (a fork) named `owner/name`."""
    full_name = full_name or state.full_name
    owner, _, name = full_name.partition("/")
    url = f"{api}/repos/{full_name}"
    html = f"{WEB}/{full_name}"
    shape: dict[str, Any] = {name: url + suffix for name, suffix in _REPO_TEMPLATES.items()}
    shape.update(
        {
            "id": 1296269 if full_name == state.full_name else 1296270,
            "node_id": f"R_{full_name}",
            "name": name,
            "full_name": full_name,
            "owner": user(
                api, state.user(owner, kind="Organization" if owner == state.owner else "User")
            ),
            "private": False,
            "html_url": html,
            "description": None,
            "fork": full_name != state.full_name,
            "url": url,
            "git_url": f"git://github.com/{full_name}.git",
            "ssh_url": f"git@github.com:{full_name}.git",
            "clone_url": f"{html}.git",
            "svn_url": html,
            "mirror_url": None,
            "homepage": None,
            "language": "Python",
            "forks": 0,
            "forks_count": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "watchers": 0,
            "size": 1,
            "default_branch": "main",
            "open_issues": len(state.pulls),
            "open_issues_count": len(state.pulls),
            "has_issues": True,
            "has_projects": False,
            "has_wiki": False,
            "has_pages": False,
            "has_downloads": True,
            "archived": False,
            "disabled": False,
            "license": None,
            "pushed_at": when(state.clock),
            "created_at": when(0),
            "updated_at": when(state.clock),
            "visibility": "public",
        }
    )
    return shape


def _link(href: str) -> dict[str, str]:
    return {"href": href}


def pull(api: str, state: State, item: Pull) -> dict[str, Any]:
    """A `pull-request`."""
    repo = repository(api, state)
    url = f"{api}/repos/{state.full_name}/pulls/{item.number}"
    issue = f"{api}/repos/{state.full_name}/issues/{item.number}"
    html = f"{WEB}/{state.full_name}/pull/{item.number}"
    owner = user(api, state.user(state.owner, kind="Organization"))

    def part(ref: str, sha: str, full_name: str | None = None) -> dict[str, Any]:
        if full_name is None:
            return {
                "label": f"{state.owner}:{ref}",
                "ref": ref,
                "sha": sha,
                "repo": repo,
                "user": owner,
            }
        fork = repository(api, state, full_name)
        return {
            "label": f"{fork['owner']['login']}:{ref}",
            "ref": ref,
            "sha": sha,
            "repo": fork,
            "user": fork["owner"],
        }

    return {
        "url": url,
        "id": 10_000 + item.number,
        "node_id": f"PR_{item.number}",
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": issue,
        "commits_url": f"{url}/commits",
        "review_comments_url": f"{url}/comments",
        "review_comment_url": f"{api}/repos/{state.full_name}/pulls/comments{{/number}}",
        "comments_url": f"{issue}/comments",
        "statuses_url": f"{api}/repos/{state.full_name}/statuses/{item.head_sha}",
        "number": item.number,
        "state": item.state,
        "locked": False,
        "title": item.title,
        "user": user(api, item.user),
        "body": item.body,
        "labels": [],
        "milestone": None,
        "active_lock_reason": None,
        "created_at": when(item.created),
        "updated_at": when(state.clock),
        "closed_at": None if item.closed_at is None else when(item.closed_at),
        "merged_at": when(item.closed_at) if item.merged and item.closed_at is not None else None,
        "merge_commit_sha": None,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": part(item.head_ref, item.head_sha, item.head_repo),
        "base": part(item.base_ref, item.base_sha),
        "_links": {
            "self": _link(url),
            "html": _link(html),
            "issue": _link(issue),
            "comments": _link(f"{issue}/comments"),
            "review_comments": _link(f"{url}/comments"),
            "review_comment": _link(f"{api}/repos/{state.full_name}/pulls/comments{{/number}}"),
            "commits": _link(f"{url}/commits"),
            "statuses": _link(f"{api}/repos/{state.full_name}/statuses/{item.head_sha}"),
        },
        "author_association": "CONTRIBUTOR",
        "auto_merge": None,
        "draft": item.draft,
        "merged": item.merged,
        "mergeable": True,
        "rebaseable": True,
        "mergeable_state": "clean",
        "merged_by": None,
        "comments": len(state.conversation(item.number)),
        "review_comments": sum(1 for c in state.review_comments if c.number == item.number),
        "maintainer_can_modify": item.head_repo is not None,
        "commits": len(item.heads),
        "additions": sum(f.additions for f in item.files),
        "deletions": sum(f.deletions for f in item.files),
        "changed_files": len(item.files),
    }


def diff_entry(api: str, state: State, item: Pull, entry: FileEntry) -> dict[str, Any]:
    """A `diff-entry` (one file of the files endpoint)."""
    raw = f"{WEB}/{state.full_name}/raw/{item.head_sha}/{entry.filename}"
    shape: dict[str, Any] = {
        "sha": hashlib.sha1(entry.filename.encode()).hexdigest(),
        "filename": entry.filename,
        "status": entry.status,
        "additions": entry.additions,
        "deletions": entry.deletions,
        "changes": entry.additions + entry.deletions,
        "blob_url": f"{WEB}/{state.full_name}/blob/{item.head_sha}/{entry.filename}",
        "raw_url": raw,
        "contents_url": f"{api}/repos/{state.full_name}/contents/{entry.filename}"
        f"?ref={item.head_sha}",
    }
    if entry.patch is not None:  # GitHub leaves `patch` out for binary and very large files
        shape["patch"] = entry.patch
    return shape


def issue_comment(api: str, state: State, comment: IssueComment) -> dict[str, Any]:
    """An `issue-comment`."""
    url = f"{api}/repos/{state.full_name}/issues/comments/{comment.id}"
    counts = {
        kind: sum(1 for r in comment.reactions if r.content == kind)
        for kind in ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")
    }
    return {
        "id": comment.id,
        "node_id": f"IC_{comment.id}",
        "url": url,
        "html_url": f"{WEB}/{state.full_name}/pull/{comment.number}#issuecomment-{comment.id}",
        "body": comment.body,
        "user": user(api, comment.user),
        "created_at": when(comment.created),
        "updated_at": when(comment.updated),
        "issue_url": f"{api}/repos/{state.full_name}/issues/{comment.number}",
        "author_association": "NONE" if comment.user.type == "Bot" else "CONTRIBUTOR",
        "reactions": {"url": f"{url}/reactions", "total_count": len(comment.reactions), **counts},
    }


def reaction(api: str, item: Reaction) -> dict[str, Any]:
    """A `reaction`."""
    return {
        "id": item.id,
        "node_id": f"REA_{item.id}",
        "user": user(api, item.user),
        "content": item.content,
        "created_at": when(item.created),
    }


def review(api: str, state: State, item: Review) -> dict[str, Any]:
    """A `pull-request-review`."""
    pull_url = f"{api}/repos/{state.full_name}/pulls/{item.number}"
    html = f"{WEB}/{state.full_name}/pull/{item.number}#pullrequestreview-{item.id}"
    shape = {
        "id": item.id,
        "node_id": f"PRR_{item.id}",
        "user": user(api, item.user),
        "body": item.body,
        "state": item.state,
        "html_url": html,
        "pull_request_url": pull_url,
        "_links": {"html": {"href": html}, "pull_request": {"href": pull_url}},
        "commit_id": item.commit_id,
        "author_association": "NONE",
    }
    if item.state != "PENDING":
        shape["submitted_at"] = when(item.created)
    return shape


def review_comment(api: str, state: State, item: ReviewComment) -> dict[str, Any]:
    """A `pull-request-review-comment` (GitHub's `line` is null once the comment is outdated)."""
    url = f"{api}/repos/{state.full_name}/pulls/comments/{item.id}"
    pull_url = f"{api}/repos/{state.full_name}/pulls/{item.number}"
    html = f"{WEB}/{state.full_name}/pull/{item.number}#discussion_r{item.id}"
    current = state.pulls[item.number].head_sha == item.commit_id
    shape = {
        "url": url,
        "id": item.id,
        "node_id": f"PRRC_{item.id}",
        "pull_request_review_id": item.review_id,
        "diff_hunk": item.diff_hunk,
        "path": item.path,
        "commit_id": item.commit_id,
        "original_commit_id": item.commit_id,
        "user": user(api, item.user),
        "body": item.body,
        "created_at": when(item.created),
        "updated_at": when(item.created),
        "html_url": html,
        "pull_request_url": pull_url,
        "author_association": "NONE",
        "_links": {
            "self": {"href": url},
            "html": {"href": html},
            "pull_request": {"href": pull_url},
        },
        "original_line": item.line,
        "side": "RIGHT",
        "start_line": item.start_line if current else None,
        "original_start_line": item.start_line,
        "subject_type": "line",
    }
    # GitHub sends `line: null` once a comment is outdated, and `start_side: null` for one-line
    # comments, though its description allows neither: leave them out instead.
    if current:
        shape["line"] = item.line
    if item.start_line:
        shape["start_side"] = "RIGHT"
    if item.in_reply_to is not None:
        shape["in_reply_to_id"] = item.in_reply_to
    return shape


def collaborator_permission(api: str, state: State, account: User) -> dict[str, Any]:
    """A `repository-collaborator-permission`."""
    permission = state.permissions.get(account.login, "read")
    return {
        "permission": permission,
        "role_name": permission,
        "user": {**user(api, account), "role_name": permission},
    }
