"""The nightly job end to end on the emulated GitHub: one pull request on a fixed branch, kept
up to date, holding only covered changes that pass the suite, never re-proposing closed ones."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import git
import pytest

from codegen_bot.bot.action.context import ActionInputs, Progress, inputs_from_env
from codegen_bot.bot.action.dispatch import run_action
from codegen_bot.bot.github.host import GitHubHost
from codegen_bot.bot.publish.nightly_pull import NIGHTLY_BRANCH
from codegen_bot.bot.report import Report
from codegen_bot.bot.tasks.refactor.task import CLOSED_REASON
from tests.bot.test_nightly import FINAL_MONEY, MONEY, SHOP
from tests.conftest import GitRepo
from tests.github_emulator import Emulator
from tests.github_emulator.gitdata import GitStore


@dataclass
class NightlyWorld:
    """A repository on the emulated GitHub, the runner's checkout of main, and its runs."""

    emulator: Emulator
    origin: GitRepo
    checkout: Path
    tmp: Path
    messages: list[str] = field(default_factory=list)
    runs: int = 0

    def connect(self, inputs: ActionInputs, progress: Progress) -> GitHubHost:
        assert inputs.token and inputs.repository
        return GitHubHost(inputs.repository, inputs.token, inputs.api_url, sleep=lambda _: None,
                          write_pause=0, timeout=120, progress=progress)  # fmt: skip

    def night(self) -> Report:
        """The scheduled job: a fresh checkout of main, `codegen action`, the report."""
        self.runs += 1
        checkout = self.tmp / f"checkout{self.runs}"
        git.Repo.clone_from(str(self.origin.origin), checkout)
        event = self.tmp / "schedule.json"
        event.write_text('{"schedule": "17 3 * * *"}')
        state = self.emulator.state
        env = {"GITHUB_EVENT_NAME": "schedule", "GITHUB_EVENT_PATH": str(event),
               "GITHUB_REPOSITORY": state.full_name, "GITHUB_API_URL": self.emulator.url,
               "GITHUB_TOKEN": state.token, "GITHUB_REF_NAME": "main"}  # fmt: skip
        report = self.tmp / f"night{self.runs}.json"
        inputs = inputs_from_env(env, checkout=checkout, report=report, write_pause=0)
        assert run_action(inputs, self.messages.append, connect=self.connect) == 0
        return Report.from_dict(json.loads(report.read_text()))

    def bot_pulls(self) -> list:
        return [p for p in self.emulator.state.pulls.values() if p.head_ref == NIGHTLY_BRANCH]


@pytest.fixture
def world(make_repo, tmp_path: Path) -> Iterator[NightlyWorld]:
    origin = make_repo()
    origin.commit(SHOP, "the shop")
    origin.git("push", "--quiet", "origin", "main")
    with Emulator() as emulator:
        emulator.state.git = GitStore(origin.origin)
        yield NightlyWorld(emulator, origin, tmp_path / "checkout", tmp_path)


def branch_file(world: NightlyWorld, path: str) -> str:
    return (
        git.Repo(world.origin.origin)
        .commit(f"refs/heads/{NIGHTLY_BRANCH}")
        .tree[path]
        .data_stream.read()
        .decode()
    )


def test_one_pull_request_kept_up_to_date_and_closed_changes_never_again(
    world: NightlyWorld,
) -> None:
    first = world.night()
    assert {p.symbol for p in first.accepted} == {"total", "squares"}
    [pull] = world.bot_pulls()
    assert pull.state == "open" and pull.base_ref == "main"
    # Only the covered changes, which passed the suite, are on the branch; uncovered code stays.
    assert branch_file(world, "shop/money.py") == FINAL_MONEY
    assert "[i for i in range(0, n)]" in FINAL_MONEY.split("def uncovered")[1]
    assert "| `total` |" in pull.body and "| `squares` |" in pull.body
    assert "`uncovered`" in pull.body.split("if tests covered them")[1]
    bare = git.Repo(world.origin.origin)
    assert bare.commit(f"refs/heads/{NIGHTLY_BRANCH}").parents[0].hexsha == first.base

    # The same commit again: the pull request is left exactly as it was, nothing written.
    world.emulator.log.clear()
    snapshot = world.emulator.state.snapshot()
    second = world.night()
    assert second.base == first.base
    assert world.emulator.state.snapshot() == snapshot
    assert [e for e in world.emulator.log if e.method != "GET"] == []

    # A new commit on main: the same pull request, rebased on it.
    new_main = world.origin.commit({"shop/notes.py": '"""Notes."""\n'}, "notes")
    world.origin.git("push", "--quiet", "origin", "main")
    third = world.night()
    assert third.base == new_main
    assert [p.number for p in world.bot_pulls()] == [pull.number]
    assert bare.commit(f"refs/heads/{NIGHTLY_BRANCH}").parents[0].hexsha == new_main
    assert branch_file(world, "shop/money.py") == FINAL_MONEY

    # Closed without merging: the next night proposes none of its changes again.
    world.emulator.state.close_pull(pull.number, merged=False)
    fourth = world.night()
    assert fourth.accepted == []
    assert {p.symbol for p in fourth.rejected if p.reason == CLOSED_REASON} == {"total", "squares"}
    assert [p.state for p in world.bot_pulls()] == ["closed"]
    assert "no change survived the gates" in " ".join(world.messages)
    assert MONEY in (world.origin.path / "shop" / "money.py").read_text()
