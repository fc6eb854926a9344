"""The Action's own steps (action.yml), run as a runner would, for each workflow's event.

The `run:` scripts of action.yml execute in bash with the variables GitHub sets; the API is the
emulator; the repository is a real git repository with a bare origin. The virtual environment
the setup step would build is seeded with this test environment's codegen, except in the one
test that builds it for real.
"""

from __future__ import annotations

import hashlib
import json
import stat
import sys
import tomllib
from pathlib import Path

import git
import pytest

from tests.action_runner import ActionRun, run_action
from tests.github.conftest import PullRequestWorld

ROOT = Path(__file__).resolve().parents[2]


def venv_name(model: bool = False) -> str:
    """The name the setup step gives the (plain or model) environment of this codegen."""
    pyproject = ROOT / "pyproject.toml"
    lock = ROOT / "requirements" / ("action-model.lock" if model else "action.lock")
    version = tomllib.loads(pyproject.read_text())["project"]["version"]
    digest = hashlib.sha256(pyproject.read_bytes() + lock.read_bytes()).hexdigest()[:12]
    return f"codegen-{version}-{digest}" + ("-model" if model else "")


def seed_venv(tool_cache: Path) -> Path:
    """A ready environment whose `codegen` is this interpreter's, so setup has nothing to do."""
    codegen = tool_cache / "codegen" / venv_name() / "bin" / "codegen"
    codegen.parent.mkdir(parents=True)
    codegen.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m codegen_bot.bot.cli "$@"\n')
    codegen.chmod(codegen.stat().st_mode | stat.S_IEXEC)
    (codegen.parent.parent / ".complete").touch()
    return codegen


def reactions(world: PullRequestWorld, comment_id: int) -> list[str]:
    """The reactions on one comment of the pull request's conversation."""
    return [
        r.content for c in world.state.issue_comments if c.id == comment_id for r in c.reactions
    ]


class Runner:
    """One self-hosted runner: its tool cache survives between jobs, its temp folder does not."""

    def __init__(self, world: PullRequestWorld, tmp: Path) -> None:
        self.world = world
        self.tmp = tmp
        self.tool_cache = tmp / "tool-cache"
        self.jobs = 0

    def job(self, event_name: str, event_path: Path, **inputs: str) -> ActionRun:
        """Run the action in a fresh job for the event, with `inputs`."""
        self.jobs += 1
        runner_temp = self.tmp / f"job{self.jobs}"
        runner_temp.mkdir()
        env = self.world.env(event_name, event_path) | {"GITHUB_ACTIONS": "true"}
        token = env.pop("GITHUB_TOKEN")
        run = run_action(
            ROOT,
            {"write-pause": "0", "token": token, **inputs},
            github={"token": token, "event_name": event_name},
            env=env,
            runner_temp=runner_temp,
            tool_cache=self.tool_cache,
        )
        assert token not in "".join(s.stdout + s.stderr for s in run.steps) + run.summary
        return run


@pytest.fixture
def runner(world: PullRequestWorld, tmp_path: Path) -> Runner:
    made = Runner(world, tmp_path / "runner")
    made.tmp.mkdir()
    seed_venv(made.tool_cache)
    return made


def test_pull_request_propose_then_publish(world: PullRequestWorld, runner: Runner) -> None:
    event = world.pull_request_event("opened")
    report = runner.tmp / "report.json"
    proposed = runner.job("pull_request", event, mode="propose", report=str(report))
    assert proposed.failed is None, proposed.failed
    assert proposed.outputs["accepted"] == "3" and proposed.outputs["rejected"] == "0"
    assert proposed.outputs["report"] == str(report) and report.exists()
    assert "**3 accepted**" in proposed.summary
    assert world.state.reviews_on(1) == [] and world.state.conversation(1) == []

    published = runner.job("pull_request", event, mode="publish", report=str(report))
    assert published.failed is None, published.failed
    assert len(world.state.reviews_on(1)) == 1
    assert len(world.state.review_comments) == 3
    assert len(world.state.conversation(1)) == 1  # the summary

    again = runner.job("pull_request", event, mode="both")
    assert again.failed is None and len(world.state.reviews_on(1)) == 1


def test_command_authorize_propose_publish(world: PullRequestWorld, runner: Runner) -> None:
    event, comment_id = world.comment_event("/codegen docs")
    authorized = runner.job("issue_comment", event, mode="authorize")
    assert authorized.failed is None, authorized.failed
    assert authorized.outputs["allowed"] == "true" and authorized.outputs["head"] == world.head
    assert reactions(world, comment_id) == ["eyes"]

    report = runner.tmp / "command.json"
    pinned = {k: authorized.outputs[k] for k in ("head", "base", "base-ref")}
    assert pinned["base"] == world.base and pinned["base-ref"] == "main"
    proposed = runner.job("issue_comment", event, mode="propose", report=str(report), **pinned)
    assert proposed.failed is None, proposed.failed
    assert json.loads(report.read_text())["pull_request"]["comment_id"] == comment_id
    published = runner.job("issue_comment", event, mode="publish", report=str(report))
    assert published.failed is None, published.failed
    replies = [c for c in world.state.conversation(1) if "Done:" in c.body]
    assert len(replies) == 1 and len(world.state.reviews_on(1)) == 1


def test_a_failed_propose_job_still_gets_its_command_answered(
    world: PullRequestWorld, runner: Runner
) -> None:
    """The publish job runs after a failed propose job (no report) and answers, then fails."""
    event, comment_id = world.comment_event("/codegen tests")
    authorized = runner.job("issue_comment", event, mode="authorize")
    pinned = {k: authorized.outputs[k] for k in ("head", "base", "base-ref")}
    broken = runner.tmp / "broken.toml"
    broken.write_text("[tool.codegen]\nno_such_setting = 1\n")
    report = runner.tmp / "command.json"
    proposed = runner.job(
        "issue_comment", event, mode="propose", report=str(report), config=str(broken), **pinned
    )
    assert proposed.failed is not None and proposed.failed.returncode == 2
    assert not report.exists()
    published = runner.job("issue_comment", event, mode="publish", report=str(report))
    assert published.failed is not None and published.failed.id == "run"
    assert published.failed.returncode == 3 and "no report at" in published.failed.stderr
    assert published.outputs["accepted"] == "0"  # the summary step still ran
    [reply] = [c.body for c in world.state.conversation(1) if "codegen:reply" in c.body]
    assert "`/codegen tests` failed" in reply and "left no report" in reply
    assert reactions(world, comment_id) == ["eyes"]


def test_help_is_answered_by_the_publish_job(world: PullRequestWorld, runner: Runner) -> None:
    event, _ = world.comment_event("/codegen help")
    authorized = runner.job("issue_comment", event, mode="authorize")
    pinned = {k: authorized.outputs[k] for k in ("head", "base", "base-ref")}
    report = runner.tmp / "help.json"
    proposed = runner.job("issue_comment", event, mode="propose", report=str(report), **pinned)
    assert proposed.failed is None, proposed.failed
    assert report.exists() and world.state.conversation(1)[1:] == []
    published = runner.job("issue_comment", event, mode="publish", report=str(report))
    assert published.failed is None, published.failed
    [reply] = [c.body for c in world.state.conversation(1) if "codegen:reply" in c.body]
    assert "**codegen** commands" in reply


def test_a_commit_pushed_after_the_command_never_runs(
    world: PullRequestWorld, runner: Runner
) -> None:
    """Attack 3: comment, push, then the proposing job. Nothing runs; the reply says why."""
    event, comment_id = world.comment_event("/codegen tests")
    authorized = runner.job("issue_comment", event, mode="authorize")
    approved = authorized.outputs["head"]
    assert authorized.outputs["allowed"] == "true" and approved == world.head
    stolen = runner.tmp / "pushed-code-ran"
    pushed = world.push({"conftest.py": f"open({str(stolen)!r}, 'w').write('ran')\n"}, "sneak")
    report = runner.tmp / "command.json"
    pinned = {k: authorized.outputs[k] for k in ("head", "base", "base-ref")}
    proposed = runner.job("issue_comment", event, mode="propose", report=str(report), **pinned)
    assert proposed.failed is None, proposed.failed
    assert not stolen.exists(), "the commit pushed after the comment ran"
    written = json.loads(report.read_text())
    assert written["proposals"] == [] and written["pull_request"]["changed_head"] == pushed
    published = runner.job("issue_comment", event, mode="publish", report=str(report))
    assert published.failed is None, published.failed
    [reply] = [c.body for c in world.state.conversation(1) if "changed after the request" in c.body]
    assert f"approved for {approved[:12]}, and the head is now {pushed[:12]}" in reply
    assert "nothing was run" in reply
    assert world.state.reviews_on(1) == [] and world.state.pulls.keys() == {1}
    assert reactions(world, comment_id) == ["eyes"]


def test_command_from_someone_without_write_access_stops_at_authorize(
    world: PullRequestWorld, runner: Runner
) -> None:
    event, comment_id = world.comment_event("/codegen docs", login="visitor")
    authorized = runner.job("issue_comment", event, mode="authorize")
    assert authorized.failed is None
    assert authorized.outputs["allowed"] == "false" and authorized.outputs["head"] == ""
    bodies = [c.body for c in world.state.conversation(1)]
    assert len(bodies) == 2 and "runs only for people with write access" in bodies[1]
    assert reactions(world, comment_id) == []


def test_unknown_mode_fails_the_step(world: PullRequestWorld, runner: Runner) -> None:
    run = runner.job("pull_request", world.pull_request_event("opened"), mode="everything")
    assert run.failed is not None and run.failed.id == "run" and run.failed.returncode == 2
    assert "unknown mode" in run.failed.stdout


def test_setup_builds_the_environment_once_and_replaces_old_versions(
    world: PullRequestWorld, tmp_path: Path
) -> None:
    runner = Runner(world, tmp_path / "fresh")
    runner.tmp.mkdir()
    old = runner.tool_cache / "codegen" / "codegen-0.0.1-0123456789ab"
    old.mkdir(parents=True)
    # the model environment lives beside the plain one: building one keeps the other
    model = runner.tool_cache / "codegen" / venv_name(model=True)
    model.mkdir(parents=True)
    (model / ".complete").touch()
    event = world.event("push", {"ref": "refs/heads/main"})  # nothing to do: exit 0
    first = runner.job("push", event, mode="propose", report=str(runner.tmp / "r.json"))
    assert first.failed is None, first.failed and first.failed.stderr[-3000:]
    codegen = runner.tool_cache / "codegen" / venv_name() / "bin" / "codegen"
    assert codegen.exists() and not old.exists() and (model / ".complete").exists()
    assert "Installing codegen" in first.steps[0].stdout
    built = codegen.stat().st_mtime_ns
    second = runner.job("push", event, mode="propose", report=str(runner.tmp / "r.json"))
    assert second.failed is None and "Installing codegen" not in second.steps[0].stdout
    assert codegen.stat().st_mtime_ns == built
    assert "nothing to do" in second.steps[1].stderr


def test_nightly_propose_then_publish(make_repo, tmp_path: Path) -> None:
    from tests.bot.test_nightly import FINAL_MONEY, SHOP
    from tests.github_emulator import Emulator
    from tests.github_emulator.gitdata import GitStore

    origin = make_repo()
    origin.commit(SHOP, "the shop")
    origin.git("push", "--quiet", "origin", "main")
    checkout = tmp_path / "checkout"
    git.Repo.clone_from(str(origin.origin), checkout)
    event = tmp_path / "schedule.json"
    event.write_text('{"schedule": "17 3 * * *"}')
    tool_cache, report = tmp_path / "tool-cache", tmp_path / "nightly.json"
    seed_venv(tool_cache)
    with Emulator() as emulator:
        emulator.state.git = GitStore(origin.origin)
        env = {"GITHUB_EVENT_NAME": "schedule", "GITHUB_EVENT_PATH": str(event),
               "GITHUB_REPOSITORY": emulator.state.full_name, "GITHUB_API_URL": emulator.url,
               "GITHUB_WORKSPACE": str(checkout), "GITHUB_REF_NAME": "main"}  # fmt: skip
        runs = []
        for number, mode in enumerate(("propose", "publish")):
            temp = tmp_path / f"job{number}"
            temp.mkdir()
            runs.append(
                run_action(
                    ROOT,
                    {
                        "mode": mode,
                        "report": str(report),
                        "write-pause": "0",
                        "token": emulator.state.token,
                    },
                    github={"token": emulator.state.token, "event_name": "schedule"},
                    env=env,
                    runner_temp=temp,
                    tool_cache=tool_cache,
                )
            )
            assert runs[-1].failed is None, runs[-1].failed
            if mode == "propose":  # the job that runs the repository's code writes nothing
                assert emulator.state.pulls == {}
        assert runs[0].outputs["accepted"] == "2"
        # The night's coverage baseline is kept in the runner's tool cache (cache-dir) for the
        # next night on the same tree.
        assert list((tool_cache / "codegen" / "cache" / "baselines").glob("*.json"))
        [pull] = emulator.state.pulls.values()
        assert pull.head_ref == "codegen/nightly-refactor" and pull.state == "open"
        branch = git.Repo(origin.origin).commit("refs/heads/codegen/nightly-refactor")
        assert branch.tree["shop/money.py"].data_stream.read().decode() == FINAL_MONEY


def test_samples_and_prompt_format_inputs_reach_the_run(
    world: PullRequestWorld, runner: Runner
) -> None:
    event = world.pull_request_event("opened")
    # Out of range and unknown: codegen itself refuses them, so the inputs did reach it.
    too_many = runner.job("pull_request", event, mode="propose", samples="17")
    assert too_many.failed is not None and too_many.failed.id == "run"
    assert too_many.failed.returncode == 2
    assert "`engine.samples` must be from 1 to 16, not 17" in too_many.failed.stderr
    unknown = runner.job("pull_request", event, mode="propose", **{"prompt-format": "jinja"})
    assert unknown.failed is not None and unknown.failed.returncode == 2
    assert "--prompt-format: invalid choice: 'jinja'" in unknown.failed.stderr
    # Valid values change nothing for the heuristic engine, which asks no model.
    report = runner.tmp / "report.json"
    fine = runner.job(
        "pull_request",
        event,
        mode="propose",
        report=str(report),
        samples="4",
        **{"prompt-format": "chat"},
    )
    assert fine.failed is None, fine.failed
    assert fine.outputs["accepted"] == "3"
