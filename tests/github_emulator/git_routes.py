"""Branches and pull requests made through the API: Git Data (trees, commits, refs) and pulls.

Backed by `State.git`, a real bare repository, so what the bot writes can be read back with git.
GitHub's rules that matter to a bot are kept: a ref that exists cannot be created again, a ref
moves without `force` only by fast-forward, one open pull request per head and base, a pull
request's head follows its branch.
"""

from __future__ import annotations

from typing import Any

from tests.github_emulator import shapes
from tests.github_emulator.gitdata import MODES, GitDataError, GitStore, TreeEntry
from tests.github_emulator.routes import Request, Response, compile_routes, error
from tests.github_emulator.state import Pull, State

GIT_DOCS = "/git"
#: The fields of a `pull-request-simple` (what the list endpoint gives per pull request).
SIMPLE = (
    "url id node_id html_url diff_url patch_url issue_url commits_url review_comments_url"
    " review_comment_url comments_url statuses_url number state locked title user body labels"
    " milestone active_lock_reason created_at updated_at closed_at merged_at merge_commit_sha"
    " assignee assignees requested_reviewers requested_teams head base _links author_association"
    " auto_merge draft"
).split()


def _store(req: Request) -> GitStore | None:
    return req.state.git


def _no_store() -> Response:
    return error(409, "Git Repository is empty.", doc=GIT_DOCS)


def _base_url(req: Request) -> str:
    return f"{req.api}/repos/{req.state.full_name}"


def ref_shape(req: Request, full: str, sha: str) -> dict[str, Any]:
    """A `git-ref`."""
    base = _base_url(req)
    return {
        "ref": full,
        "node_id": f"REF_{full}",
        "url": f"{base}/git/{full}",
        "object": {"type": "commit", "sha": sha, "url": f"{base}/git/commits/{sha}"},
    }


def commit_shape(req: Request, store: GitStore, sha: str) -> dict[str, Any]:
    """A `git-commit`."""
    commit = store.commit(sha)
    base = _base_url(req)

    def person(actor: Any, when: Any) -> dict[str, str]:
        return {"name": actor.name, "email": actor.email, "date": when.isoformat()}

    return {
        "sha": sha,
        "node_id": f"C_{sha}",
        "url": f"{base}/git/commits/{sha}",
        "html_url": f"{shapes.WEB}/{req.state.full_name}/commit/{sha}",
        "author": person(commit.author, commit.authored_datetime),
        "committer": person(commit.committer, commit.committed_datetime),
        "message": commit.message,
        "tree": {"sha": commit.tree.hexsha, "url": f"{base}/git/trees/{commit.tree.hexsha}"},
        "parents": [
            {
                "sha": p.hexsha,
                "url": f"{base}/git/commits/{p.hexsha}",
                "html_url": f"{shapes.WEB}/{req.state.full_name}/commit/{p.hexsha}",
            }
            for p in commit.parents
        ],
        "verification": {
            "verified": False,
            "reason": "unsigned",
            "signature": None,
            "payload": None,
            "verified_at": None,
        },
    }


def get_ref(req: Request) -> Response:
    """GET /repos/{owner}/{repo}/git/ref/{ref} — exactly that ref, or 404."""
    store = _store(req)
    if store is None:
        return _no_store()
    full = f"refs/{req.params['ref']}"
    sha = store.ref(full)
    if sha is None:
        return error(404, "Not Found", doc="/git/refs#get-a-reference")
    return Response(200, ref_shape(req, full, sha))


def create_ref(req: Request) -> Response:
    """POST /repos/{owner}/{repo}/git/refs."""
    store, body = _store(req), req.body or {}
    if store is None:
        return _no_store()
    full, sha = body.get("ref"), body.get("sha")
    if not isinstance(full, str) or not full.startswith("refs/") or full.count("/") < 2:
        return error(422, "Reference name must start with 'refs/' and have at least two slashes.")
    if not isinstance(sha, str) or not store.has(sha, "commit"):
        return error(422, "Object does not exist", doc="/git/refs#create-a-reference")
    if store.ref(full) is not None:
        return error(422, "Reference already exists", doc="/git/refs#create-a-reference")
    store.set_ref(full, sha)
    req.state.new_id()
    return Response(201, ref_shape(req, full, sha))


def update_ref(req: Request) -> Response:
    """PATCH /repos/{owner}/{repo}/git/refs/{ref} — a fast-forward, or anything with `force`."""
    store, body = _store(req), req.body or {}
    if store is None:
        return _no_store()
    full, sha = f"refs/{req.params['ref']}", body.get("sha")
    doc = "/git/refs#update-a-reference"
    old = store.ref(full)
    if old is None:
        return error(422, "Reference does not exist", doc=doc)
    if not isinstance(sha, str) or not store.has(sha, "commit"):
        return error(422, "Object does not exist", doc=doc)
    if not body.get("force") and not store.is_ancestor(old, sha):
        return error(422, "Update is not a fast forward", doc=doc)
    store.set_ref(full, sha)
    req.state.new_id()
    return Response(200, ref_shape(req, full, sha))


def create_tree(req: Request) -> Response:
    """POST /repos/{owner}/{repo}/git/trees — `base_tree` plus entries (`sha: null` deletes)."""
    store, body = _store(req), req.body or {}
    if store is None:
        return _no_store()
    doc = "/git/trees#create-a-tree"
    entries = []
    for item in body.get("tree") or []:
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            return error(422, "Invalid tree info", ["tree.path is missing"], doc)
        if item.get("mode") not in MODES or ("sha" in item and "content" in item):
            return error(422, "Invalid tree info", ["use either tree.sha or content"], doc)
        entries.append(
            TreeEntry(
                item["path"],
                item["mode"],
                item.get("type", "blob"),
                item.get("sha"),
                item.get("content"),
            )
        )
    try:
        sha = store.make_tree(body.get("base_tree"), entries)
    except GitDataError as problem:
        return error(422, str(problem), doc=doc)
    base = _base_url(req)
    listed = [
        {
            "path": line.split("\t", 1)[1],
            "mode": line.split()[0],
            "type": line.split()[1],
            "sha": line.split()[2],
            "url": f"{base}/git/{line.split()[1]}s/{line.split()[2]}",
        }
        for line in store.repo.git.ls_tree(sha).splitlines()
    ]
    return Response(
        201, {"sha": sha, "url": f"{base}/git/trees/{sha}", "truncated": False, "tree": listed}
    )


def create_commit(req: Request) -> Response:
    """POST /repos/{owner}/{repo}/git/commits — authored by the caller (a bot: its noreply)."""
    store, body = _store(req), req.body or {}
    if store is None:
        return _no_store()
    if not isinstance(body.get("message"), str) or not isinstance(body.get("tree"), str):
        return error(422, "Invalid request", ["message and tree are required"])
    caller = req.caller
    email = f"{caller.id}+{caller.login}@users.noreply.github.com"
    try:
        sha = store.make_commit(
            body["message"],
            body["tree"],
            list(body.get("parents") or []),
            name=caller.login,
            email=email,
            date=f"{int(shapes.EPOCH.timestamp()) + req.state.clock} +0000",
        )
    except GitDataError as problem:
        return error(422, str(problem), doc="/git/commits#create-a-commit")
    req.state.new_id()
    return Response(201, commit_shape(req, store, sha))


def get_commit(req: Request) -> Response:
    """GET /repos/{owner}/{repo}/git/commits/{commit_sha}."""
    store = _store(req)
    if store is None:
        return _no_store()
    sha = req.params["sha"]
    if not store.has(sha, "commit"):
        return error(404, "Not Found", doc="/git/commits#get-a-commit-object")
    return Response(200, commit_shape(req, store, sha))


def _simple(req: Request, item: Pull) -> dict[str, Any]:
    full = shapes.pull(req.api, req.state, item)
    return {key: full[key] for key in SIMPLE}


def _owner_branch(state: State, head: str) -> tuple[str, str]:
    owner, _, branch = head.rpartition(":")
    return owner or state.owner, branch


def list_pulls(req: Request) -> Response:
    """GET /repos/{owner}/{repo}/pulls — `state`, `head` (`owner:branch`), `base`; newest first."""
    state, query = req.state, req.query
    wanted = query.get("state", "open")
    head = _owner_branch(state, query["head"]) if "head" in query else None
    found = []
    for item in sorted(state.pulls.values(), key=lambda p: -p.number):
        owner = (item.head_repo or state.full_name).partition("/")[0]
        if wanted not in ("all", item.state):
            continue
        if head is not None and (owner, item.head_ref) != head:
            continue
        if "base" in query and item.base_ref != query["base"]:
            continue
        found.append(_simple(req, item))
    return Response(200, items=found)


def create_pull(req: Request) -> Response:
    """POST /repos/{owner}/{repo}/pulls — from a branch of this repository."""
    state, body = req.state, req.body or {}
    store = _store(req)
    doc = "/pulls/pulls#create-a-pull-request"
    if store is None:
        return _no_store()
    if not state.actions_may_open_pulls and req.caller is state.bot:
        return error(
            403, "GitHub Actions is not permitted to create or approve pull requests.", doc=doc
        )
    title, base_ref = body.get("title"), body.get("base")
    _, head_ref = _owner_branch(state, str(body.get("head", "")))
    head = store.branch(head_ref)
    if not isinstance(title, str) or not title:
        return error(422, "Validation Failed", ["title is missing"], doc)
    if head is None or not isinstance(base_ref, str) or store.branch(base_ref) is None:
        return error(422, "Validation Failed", ["head or base is not a branch"], doc)
    for item in state.pulls.values():
        if item.state == "open" and (item.head_ref, item.base_ref) == (head_ref, base_ref):
            message = f"A pull request already exists for {state.owner}:{head_ref}."
            return error(422, "Validation Failed", [message], doc)
    number = max([*state.pulls, *(c.number for c in state.issue_comments)], default=0) + 1
    pull = state.open_pull(
        number,
        head,
        store.branch(base_ref) or head,
        state.files_of(base_ref, head),
        head_ref=head_ref,
        base_ref=base_ref,
        author=req.caller.login,
    )
    pull.title, pull.body, pull.follows_branch = title, body.get("body"), True
    state.new_id()
    return Response(201, shapes.pull(req.api, state, pull))


def update_pull(req: Request) -> Response:
    """PATCH /repos/{owner}/{repo}/pulls/{pull_number} — title, body, state, base."""
    state, body = req.state, req.body or {}
    item = state.pulls.get(int(req.params["number"]))
    if item is None:
        return error(404, "Not Found")
    if "base" in body:
        if state.git is None or state.git.branch(body["base"]) is None:
            return error(422, "Validation Failed", ["base is not a branch"])
        item.base_ref = body["base"]
    item.title = body.get("title", item.title)
    item.body = body.get("body", item.body)
    if body.get("state") == "closed" and item.state == "open":
        state.close_pull(item.number)
    elif body.get("state") == "open":
        item.state, item.closed_at = "open", None
    state.new_id()
    return Response(200, shapes.pull(req.api, state, item))


ROUTES = compile_routes(
    ("GET", r"/git/ref/(?P<ref>.+)", get_ref),
    ("POST", r"/git/refs", create_ref),
    ("PATCH", r"/git/refs/(?P<ref>.+)", update_ref),
    ("POST", r"/git/trees", create_tree),
    ("POST", r"/git/commits", create_commit),
    ("GET", r"/git/commits/(?P<sha>[0-9a-f]{40})", get_commit),
    ("GET", r"/pulls", list_pulls),
    ("POST", r"/pulls", create_pull),
    ("PATCH", r"/pulls/(?P<number>\d+)", update_pull),
)
