"""A pull request as GitHub holds it: a real git repository with a bare origin, the emulator."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import git
import pytest

from codegen_bot.bot.action.context import ActionInputs, Progress, inputs_from_env
from codegen_bot.bot.action.dispatch import run_action
from codegen_bot.bot.github.host import GitHubHost
from tests.conftest import GitRepo
from tests.github_emulator import Emulator, FileEntry
from tests.github_emulator.gitdata import GitStore

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "node_modules/@octokit/webhooks-examples/api.github.com/index.json"

BASE_FILES = {
    "pyproject.toml": '[project]\nname = "shop"\n\n[tool.ruff]\nline-length = 100\n',
    "shop/__init__.py": '"""The shop."""\n',
    "shop/cart.py": (
        '"""Shopping carts."""\n\n\n'
        "class Cart:\n"
        '    """A shopping cart."""\n\n'
        "    def __init__(self) -> None:\n"
        "        self.items: list[tuple[str, float]] = []\n\n"
        "    def add(self, name: str, price: float) -> None:\n"
        '        """Add an item."""\n'
        "        self.items.append((name, price))\n"
    ),
}

#: The pull request's first push: two public functions without docstrings.
HEAD_FILES = {
    "shop/cart.py": BASE_FILES["shop/cart.py"]
    + (
        "\n    def total(self, discount: float = 0.0) -> float:\n"
        "        if discount < 0:\n"
        '            raise ValueError("discount must not be negative")\n'
        "        return sum(price for _, price in self.items) * (1 - discount)\n\n"
        "    def is_empty(self) -> bool:\n"
        "        return not self.items\n"
    ),
    "shop/prices.py": (
        '"""Prices."""\n\n\n'
        "def with_tax(amount: float, rate: float = 0.2) -> float:\n"
        "    return round(amount * (1 + rate), 2)\n"
    ),
}

#: A second push: one more function.
SECOND_PUSH = {
    "shop/prices.py": HEAD_FILES["shop/prices.py"]
    + (
        "\n\ndef discounted(amount: float, percent: int) -> float:\n"
        "    if not 0 <= percent <= 100:\n"
        '        raise ValueError("percent must be between 0 and 100")\n'
        "    return amount * (100 - percent) / 100\n"
    ),
}


def npm_fixture(path: Path) -> Path:
    """A file from the npm test fixtures, or a failure that says how to install them."""
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make setup-test` (it runs `npm ci`)")
    return path


def github_files(repo: git.Repo, base: str, head: str) -> list[FileEntry]:
    """List the pull request's files as GitHub does: three-dot diff, 3 lines of context."""
    merge_base = repo.merge_base(base, head)[0]
    entries = []
    for diff in merge_base.diff(repo.commit(head), create_patch=True, unified=3):
        raw = diff.diff  # GitHub shows bytes that are not UTF-8 as replacement characters
        patch = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        lines = patch.splitlines()
        status = "added" if diff.new_file else "removed" if diff.deleted_file else "modified"
        entries.append(
            FileEntry(
                diff.b_path or diff.a_path,
                status,
                patch.rstrip("\n"),
                additions=sum(1 for line in lines if line.startswith("+")),
                deletions=sum(1 for line in lines if line.startswith("-")),
            )
        )
    return entries


def example(event: str, action: str | None = None, index: int = 0) -> dict[str, Any]:
    """A real payload from `@octokit/webhooks-examples` (the `index`-th with that action)."""
    for entry in json.loads(npm_fixture(EXAMPLES).read_text()):
        if entry["name"] == event:
            found = [e for e in entry["examples"] if action is None or e.get("action") == action]
            return copy.deepcopy(found[index])
    raise KeyError(event)


@dataclass
class PullRequestWorld:
    """A repository on the emulated GitHub with pull request #1, and the Action's checkout."""

    emulator: Emulator
    origin: GitRepo  # where the author works; pushes go to the bare origin
    checkout: Path  # the Action's clone
    tmp: Path
    base: str = ""
    head: str = ""
    sleeps: list[float] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    timeout: int = 5  # seconds the client waits for an answer

    @property
    def state(self) -> Any:
        """The emulator's state."""
        return self.emulator.state

    def push(self, files: dict[str, str | bytes | None], message: str = "more") -> str:
        """The author pushes a new commit to the pull request; GitHub updates refs and files."""
        self.head = self.origin.commit(files, message)
        self.origin.git("push", "--quiet", "origin", f"{self.head}:refs/heads/feature", "--force")
        self.origin.git("push", "--quiet", "origin", f"{self.head}:refs/pull/1/head", "--force")
        files_now = github_files(self.origin.repo, self.base, self.head)
        if 1 in self.state.pulls:
            self.state.push(1, self.head, files_now)
        else:
            self.state.open_pull(1, self.head, self.base, files_now)
        return self.head

    def event(self, name: str, payload: dict[str, Any]) -> Path:
        """Write an event payload where the Action would find it."""
        path = self.tmp / f"event-{len(list(self.tmp.glob('event-*')))}.json"
        path.write_text(json.dumps(payload))
        return path

    def pull_request_event(self, action: str = "opened") -> Path:
        """A real `pull_request` payload from webhooks-examples, adapted to this repository."""
        payload = example("pull_request", action)
        payload["repository"]["full_name"] = self.state.full_name
        payload["repository"]["name"], payload["repository"]["owner"]["login"] = (
            self.state.name,
            self.state.owner,
        )
        pull = payload["pull_request"]
        pull.update(number=1, state="open", draft=False)
        pull["head"].update(sha=self.head, ref="feature")
        pull["base"].update(sha=self.base, ref="main")
        return self.event("pull_request", payload)

    def comment_event(self, body: str, login: str = "maintainer") -> tuple[Path, int]:
        """Comment on the pull request; return the `issue_comment.created` payload and the id."""
        comment = self.state.comment_on(1, login, body)
        payload = example("issue_comment", "created")
        payload["repository"]["full_name"] = self.state.full_name
        payload["issue"].update(
            number=1, state="open", pull_request={"url": "https://example/pulls/1"}
        )
        payload["comment"].update(id=comment.id, body=body)
        payload["comment"]["user"].update(login=login, type="User")
        return self.event("issue_comment", payload), comment.id

    def env(self, event_name: str, event_path: Path) -> dict[str, str]:
        """The variables GitHub sets for a step of the Action."""
        return {
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_REPOSITORY": self.state.full_name,
            "GITHUB_API_URL": self.emulator.url,
            "GITHUB_TOKEN": self.state.token,
            "GITHUB_WORKSPACE": str(self.checkout),
        }

    def connect(self, inputs: ActionInputs, progress: Progress) -> GitHubHost:
        """A GitHub connection that records its sleeps instead of sleeping."""
        assert inputs.token and inputs.repository
        return GitHubHost(
            inputs.repository,
            inputs.token,
            inputs.api_url,
            sleep=self.sleeps.append,
            write_pause=0,
            timeout=self.timeout,
            progress=progress,
        )

    def run(self, event_name: str, event_path: Path, **flags: Any) -> int:
        """Run `codegen action` for an event, in-process, with recorded sleeps."""
        inputs = inputs_from_env(
            self.env(event_name, event_path), checkout=self.checkout, write_pause=0, **flags
        )
        return run_action(inputs, self.messages.append, connect=self.connect)


@contextmanager
def pull_request_world(
    origin: GitRepo,
    tmp_path: Path,
    base_files: dict[str, str | bytes | None],
    head_files: dict[str, str | bytes | None],
    message: str = "add totals and prices",
) -> Iterator[PullRequestWorld]:
    """`base_files` on main, pull request #1 from `feature` adding `head_files`, on an emulator
    whose git storage is the bare origin; the Action's checkout is a clone."""
    base = origin.commit(base_files, "base")
    origin.git("push", "--quiet", "origin", "main")
    origin.git("checkout", "--quiet", "-b", "feature")
    checkout = tmp_path / "checkout"
    with Emulator() as emulator:
        emulator.state.git = GitStore(origin.origin)
        emulator.state.user("maintainer", "write")
        emulator.state.user("visitor", "read")
        pr = PullRequestWorld(emulator, origin, checkout, tmp_path, base=base)
        pr.push(head_files, message)
        git.Repo.clone_from(str(origin.origin), checkout)
        yield pr


@pytest.fixture
def world(make_repo: Callable[[], GitRepo], tmp_path: Path) -> Iterator[PullRequestWorld]:
    """A repository with pull request #1 (two undocumented functions) on a running emulator."""
    with pull_request_world(make_repo(), tmp_path, BASE_FILES, HEAD_FILES) as pr:
        yield pr


def fresh_github(world: PullRequestWorld, head: str | None = None) -> None:
    """Give the emulator a new, empty GitHub holding pull request #1 at `head` (default: now)."""
    from tests.github_emulator import State

    old = world.state
    state = State(old.owner, old.name, old.token)
    for login, permission in old.permissions.items():
        state.user(login, permission)
    pull = old.pulls[1]
    head = head or pull.head_sha
    files = github_files(world.origin.repo, pull.base_sha, head)
    state.open_pull(1, head, pull.base_sha, files, head_ref=pull.head_ref, base_ref=pull.base_ref)
    state.page_cap = old.page_cap
    state.git = old.git
    world.emulator.state = state
    world.emulator.faults.clear()
    world.emulator.log.clear()
    world.sleeps.clear()
    world.messages.clear()
