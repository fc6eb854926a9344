"""The branch + pull request publisher against the emulator, whose git storage is the bare origin.

One commit on the base, one open pull request, updated in place; a maintainer's commits never
overwritten; closed pull requests handed back; a fault on each API call in turn ends the same.
"""

from __future__ import annotations

import git
import pytest

from codegen_bot.bot.github import markers
from codegen_bot.bot.github.host import GitHubHost
from codegen_bot.bot.publish.branch import KIND, BranchChange, PullOutcome, history, publish_branch
from tests.github.conftest import PullRequestWorld, fresh_github
from tests.github_emulator import Fault

BRANCH = "codegen/nightly-refactor"
FILES = {
    "shop/prices.py": '"""Prices."""\n\n\ndef with_tax(amount: float) -> float:\n    return amount\n',
    "tests/test_prices.py": "def test_nothing():\n    assert True\n",
}


def change(world: PullRequestWorld, files=FILES, base: str | None = None, **extra) -> BranchChange:
    return BranchChange(
        branch=BRANCH,
        base_ref="main",
        base_sha=base or world.base,
        files=files,
        message="Refactor prices",
        title="codegen: nightly refactoring",
        body="| file | change |\n| --- | --- |\n| `shop/prices.py` | simpler |",
        data={"changes": sorted(files)},
        **extra,
    )


def host(world: PullRequestWorld) -> GitHubHost:
    return GitHubHost(
        world.state.full_name,
        world.state.token,
        world.emulator.url,
        sleep=world.sleeps.append,
        write_pause=0,
        timeout=world.timeout,
        progress=world.messages.append,
    )


def bare(world: PullRequestWorld) -> git.Repo:
    return git.Repo(world.origin.origin)


def commits_on(world: PullRequestWorld, branch: str, base: str) -> list[git.Commit]:
    return list(bare(world).iter_commits(f"{base}..refs/heads/{branch}"))


def bot_pulls(world: PullRequestWorld) -> list:
    return [p for p in world.state.pulls.values() if p.head_ref == BRANCH]


def maintainer_push(world: PullRequestWorld, tmp_path, files: dict[str, str]) -> str:
    """A maintainer clones, commits on the bot's branch and pushes."""
    clone = git.Repo.clone_from(str(world.origin.origin), tmp_path / "maintainer", branch=BRANCH)
    for path, text in files.items():
        (tmp_path / "maintainer" / path).write_text(text)
    clone.git.add("--all")
    author = git.Actor("Maintainer", "maintainer@example.com")
    sha = clone.index.commit("my fix", author=author, committer=author).hexsha
    clone.git.push("origin", f"HEAD:refs/heads/{BRANCH}")
    return sha


def test_one_commit_one_pull_request_then_nothing_to_write(world: PullRequestWorld) -> None:
    outcome = publish_branch(host(world), change(world))
    assert outcome.status == "opened" and outcome.closed == ()
    [pull] = bot_pulls(world)
    assert (outcome.number, pull.base_ref, pull.state) == (pull.number, "main", "open")
    assert pull.head_sha == outcome.commit
    [commit] = commits_on(world, BRANCH, world.base)
    assert commit.hexsha == outcome.commit and [p.hexsha for p in commit.parents] == [world.base]
    assert commit.message.startswith("Refactor prices") and f"Codegen-Branch: {BRANCH}" in (
        commit.message
    )
    held = world.state.git.read(BRANCH)
    assert {path: held[path] for path in FILES} == FILES
    assert held["shop/cart.py"] == world.state.git.read(world.base)["shop/cart.py"]
    marker = markers.first(KIND, pull.body)
    assert marker["commit"] == outcome.commit and marker["base"] == world.base
    assert marker["changes"] == sorted(FILES)
    assert pull.title == "codegen: nightly refactoring" and "| `shop/prices.py` |" in pull.body

    world.emulator.log.clear()
    again = publish_branch(host(world), change(world))
    assert (again.status, again.number, again.commit) == ("unchanged", pull.number, commit.hexsha)
    assert [e.method for e in world.emulator.log if e.method != "GET"] == []


def test_new_files_or_a_new_base_update_the_same_pull_request(world: PullRequestWorld) -> None:
    first = publish_branch(host(world), change(world))
    smaller = {"tests/test_prices.py": FILES["tests/test_prices.py"], "shop/__init__.py": None}
    second = publish_branch(host(world), change(world, smaller))
    assert (second.status, second.number) == ("updated", first.number)
    assert second.commit != first.commit
    assert len(commits_on(world, BRANCH, world.base)) == 1
    # the first run's shop/prices.py is gone: the branch is the base plus these files only
    assert "shop/prices.py" not in world.state.git.read(BRANCH)
    assert "shop/__init__.py" not in world.state.git.read(BRANCH)  # deleted by this change

    # the default branch moves on: the one commit is rebuilt on the new base
    new_base = world.origin.commit({"README.md": "# shop\n"}, "docs")
    world.origin.git("push", "--quiet", "origin", f"{new_base}:refs/heads/main")
    third = publish_branch(host(world), change(world, smaller, base=new_base))
    assert (third.status, third.number) == ("updated", first.number)
    [commit] = commits_on(world, BRANCH, new_base)
    assert [p.hexsha for p in commit.parents] == [new_base]
    assert world.state.git.read(BRANCH)["README.md"] == "# shop\n"
    assert len(bot_pulls(world)) == 1
    assert world.state.pulls[first.number].head_sha == commit.hexsha  # the pull request follows


def test_a_maintainers_commits_are_never_overwritten_and_said_so_once(
    world: PullRequestWorld, tmp_path
) -> None:
    first = publish_branch(host(world), change(world))
    theirs = maintainer_push(world, tmp_path, {"NOTES.md": "mine\n"})
    for _ in range(2):
        outcome = publish_branch(host(world), change(world, {"tests/test_prices.py": "x = 1\n"}))
        assert (outcome.status, outcome.number, outcome.commit) == ("blocked", first.number, theirs)
    assert bare(world).commit(f"refs/heads/{BRANCH}").hexsha == theirs
    notes = [c.body for c in world.state.conversation(first.number)]
    assert len(notes) == 1 and "not codegen's" in notes[0] and theirs[:12] in notes[0]
    assert markers.first(KIND, world.state.pulls[first.number].body)["commit"] == first.commit


def test_a_pull_request_closed_unmerged_is_handed_back_and_a_new_one_opened(
    world: PullRequestWorld,
) -> None:
    first = publish_branch(host(world), change(world))
    world.state.close_pull(first.number)
    past = history(host(world), BRANCH)
    assert past.open is None
    [closed] = past.closed
    assert (closed.number, closed.data["changes"]) == (first.number, sorted(FILES))
    other = {"tests/test_other.py": "def test_other():\n    assert 1\n"}
    outcome = publish_branch(host(world), change(world, other))
    assert outcome.status == "opened" and outcome.number != first.number
    assert [c.number for c in outcome.closed] == [first.number]
    assert len([p for p in bot_pulls(world) if p.state == "open"]) == 1
    # a merged one is not "closed unmerged"
    world.state.close_pull(outcome.number, merged=True)
    assert [c.number for c in history(host(world), BRANCH).closed] == [first.number]


def test_after_a_merge_the_branch_is_taken_again_even_with_a_maintainers_commit(
    world: PullRequestWorld, tmp_path
) -> None:
    first = publish_branch(host(world), change(world))
    maintainer_push(world, tmp_path, {"NOTES.md": "mine\n"})
    world.state.close_pull(first.number, merged=True)  # merged with the maintainer's commit
    outcome = publish_branch(host(world), change(world, {"tests/test_more.py": "y = 2\n"}))
    assert outcome.status == "opened" and outcome.closed == ()
    assert len(commits_on(world, BRANCH, world.base)) == 1


def test_files_that_change_nothing_open_nothing(world: PullRequestWorld) -> None:
    same = {"shop/cart.py": world.state.git.read(world.base)["shop/cart.py"]}
    outcome = publish_branch(host(world), change(world, same))
    assert outcome.status == "empty" and bot_pulls(world) == []
    assert world.state.git.branch(BRANCH) is None


def test_workflows_and_paths_outside_the_tree_are_never_written(world: PullRequestWorld) -> None:
    for path in (
        ".github/workflows/ci.yml",
        "./.github/workflows/x.yml",
        ".gitmodules",
        "../x.py",
        "/etc/x",
        "a//b.py",
    ):
        outcome = publish_branch(host(world), change(world, {path: "x\n"}))
        assert outcome.status == "refused" and path in outcome.note
    assert publish_branch(host(world), change(world, {})).status == "empty"
    assert world.emulator.requests == 0 and world.state.git.branch(BRANCH) is None


def test_someone_elses_branch_of_that_name_is_left_alone(world: PullRequestWorld) -> None:
    world.origin.git("push", "--quiet", "origin", f"{world.base}:refs/heads/{BRANCH}")
    outcome = publish_branch(host(world), change(world))
    assert (outcome.status, outcome.number) == ("blocked", None)
    assert world.state.git.branch(BRANCH) == world.base and bot_pulls(world) == []


def test_a_run_cut_short_after_the_push_is_finished_without_a_second_commit(
    world: PullRequestWorld,
) -> None:
    world.emulator.inject(Fault("bad_gateway", method="POST", path="/pulls$", after=False, times=6))
    with pytest.raises(Exception, match="opening a pull request"):
        publish_branch(host(world), change(world))
    pushed = world.state.git.branch(BRANCH)
    assert pushed is not None and bot_pulls(world) == []
    outcome = publish_branch(host(world), change(world))
    assert (outcome.status, outcome.commit) == ("opened", pushed)
    assert len(commits_on(world, BRANCH, world.base)) == 1


def snapshot(world: PullRequestWorld) -> tuple[object, ...]:
    """What a reader sees: pull requests (commit SHAs left out), comments, the branch's files."""
    store = world.state.git
    pulls = sorted(
        (p.number, p.state, p.head_ref, p.base_ref, p.title, _without_commit(p.body))
        for p in world.state.pulls.values()
    )
    head = store.branch(BRANCH)
    commits = len(commits_on(world, BRANCH, world.base)) if head else 0
    return pulls, world.state.snapshot(), store.read(head) if head else None, commits


def _without_commit(body: str | None) -> str | None:
    marker = markers.first(KIND, body)
    if marker is None or body is None:
        return body
    return body.replace(
        markers.hidden(KIND, marker), markers.hidden(KIND, {**marker, "commit": "-"})
    )


def reset(world: PullRequestWorld) -> None:
    fresh_github(world)
    repo = bare(world)
    if BRANCH in [h.name for h in repo.heads]:
        repo.git.update_ref("-d", f"refs/heads/{BRANCH}")


@pytest.mark.parametrize(
    ("kind", "after"), [("rate_limit", False), ("bad_gateway", True), ("reset", True)]
)
@pytest.mark.parametrize("scenario", ["open", "update"])
def test_a_fault_on_each_call_ends_the_same_without_duplicates(
    world: PullRequestWorld, kind: str, after: bool, scenario: str
) -> None:
    smaller = {"tests/test_prices.py": FILES["tests/test_prices.py"]}

    def run() -> PullOutcome:
        reset(world)
        if scenario == "update":
            publish_branch(host(world), change(world))
            world.emulator.log.clear()
        start = world.emulator.requests
        outcome = publish_branch(host(world), change(world, smaller))
        return outcome, world.emulator.requests - start, start

    outcome, calls, _ = run()
    expected = snapshot(world)
    assert outcome.status == ("opened" if scenario == "open" else "updated")
    assert calls >= 5
    landed = 0
    for index in range(calls):
        reset(world)
        if scenario == "update":
            publish_branch(host(world), change(world))
        fault = Fault(kind, at=world.emulator.requests + index, after=after, seconds=3)
        world.emulator.inject(fault)
        again = publish_branch(host(world), change(world, smaller))
        assert fault.times == 0, f"the fault on call {index} never struck"
        assert again.status == outcome.status, (index, world.messages)
        assert snapshot(world) == expected, (
            kind,
            index,
            [(e.method, e.path, e.fault) for e in world.emulator.log],
        )
        assert world.sleeps, "a retry waits first"
        landed += any("the first attempt had landed" in m for m in world.messages)
    if after and scenario == "open":  # the ref's and the pull request's lost answers: looked up
        assert landed >= 2
