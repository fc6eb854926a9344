"""After 👀, the split command workflow always ends with one reply (issue 16, item 2).

`codegen-command.yml` runs authorize → propose → publish, and publish runs even when propose
failed. These tests run the three jobs' commands as the workflow does (GitHub's variables, the
emulator): a proposing job that leaves no report gets its command answered once by the
publisher, which says what failed and ends red (exit 3); `/codegen help` is answered by the
publisher from its own event.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codegen_bot.bot.action.context import workflow_run_url
from codegen_bot.bot.github import markers
from tests.github.conftest import PullRequestWorld

RUN_URL = "https://github.example/octo-org/shop/actions/runs/4242"


class Workflow:
    """The command workflow's three jobs, each a `codegen` run with the job's environment."""

    def __init__(self, world: PullRequestWorld, run_cli, monkeypatch: pytest.MonkeyPatch) -> None:
        self.world = world
        self.run_cli = run_cli
        self.monkeypatch = monkeypatch
        self.report = world.tmp / "artifact" / "codegen-report.json"
        self.report.parent.mkdir()

    def _environment(self, event: Path, token: bool) -> None:
        env = self.world.env("issue_comment", event) | {
            "GITHUB_SERVER_URL": "https://github.example",
            "GITHUB_RUN_ID": "4242",
        }
        for name, value in env.items():
            self.monkeypatch.setenv(name, value)
        if not token:  # the proposing job's codegen is given no token
            self.monkeypatch.delenv("GITHUB_TOKEN")

    def authorize(self, event: Path) -> dict[str, str]:
        self._environment(event, token=True)
        result = self.run_cli("authorize", "--write-pause", "0", "-q")
        assert result.code == 0, result.err
        return dict(line.split("=", 1) for line in result.out.splitlines())

    def propose(self, event: Path, outputs: dict[str, str], *options: str):
        self._environment(event, token=False)
        pinned = ["--pinned-head", outputs["head"], "--pinned-base", outputs["base"]]
        pinned += ["--pinned-base-ref", outputs["base-ref"]]
        self.world.emulator.log.clear()
        result = self.run_cli(
            "action", "--no-publish", "--report", str(self.report), "-q", *pinned, *options
        )
        assert self.writes() == [], "the proposing job wrote to GitHub"
        return result

    def publish(self, event: Path):
        self._environment(event, token=True)
        self.world.emulator.log.clear()
        return self.run_cli("publish", "--report", str(self.report), "--write-pause", "0", "-q")

    def writes(self) -> list[tuple[str, str]]:
        return [(e.method, e.path) for e in self.world.emulator.log if e.method != "GET"]


@pytest.fixture
def workflow(world: PullRequestWorld, run_cli, monkeypatch: pytest.MonkeyPatch) -> Workflow:
    monkeypatch.chdir(world.checkout)
    return Workflow(world, run_cli, monkeypatch)


def replies_to(world: PullRequestWorld, comment_id: int) -> list[str]:
    return [
        c.body
        for c in world.state.conversation(1)
        if markers.first("reply", c.body) == {"to": comment_id}
    ]


@pytest.mark.parametrize("left", ["nothing", "an empty file"])
def test_a_failed_proposing_job_gets_one_reply_saying_what_failed(
    world: PullRequestWorld, workflow: Workflow, left: str
) -> None:
    event, comment_id = world.comment_event("/codegen tests")
    outputs = workflow.authorize(event)
    assert outputs["allowed"] == "true"
    [command] = [c for c in world.state.issue_comments if c.id == comment_id]
    assert [r.content for r in command.reactions] == ["eyes"]

    broken = world.tmp / "broken.toml"
    broken.write_text("[tool.codegen]\nno_such_setting = 1\n")
    failed = workflow.propose(event, outputs, "--config", str(broken))
    assert failed.code == 2 and "no_such_setting" in failed.err
    assert not workflow.report.exists()
    if left == "an empty file":  # e.g. an artifact whose upload was cut short
        workflow.report.touch()

    published = workflow.publish(event)
    assert published.code == 3, published.err
    [line] = published.err.strip().splitlines()
    assert "no report at" in line and "answered /codegen tests on #1" in line
    [reply] = replies_to(world, comment_id)
    assert "`/codegen tests` failed" in reply and "left no report" in reply
    assert f"[the workflow run's log]({RUN_URL})" in reply
    assert "Ask again with `/codegen tests`" in reply
    assert workflow.writes() == [("POST", "/repos/octo-org/shop/issues/1/comments")]
    assert world.state.pulls.keys() == {1} and world.state.reviews_on(1) == []

    # the publishing job re-run: the same exit, nothing new written
    again = workflow.publish(event)
    assert again.code == 3 and workflow.writes() == []
    assert len(replies_to(world, comment_id)) == 1


def test_a_command_with_a_report_is_published_as_before(
    world: PullRequestWorld, workflow: Workflow
) -> None:
    event, comment_id = world.comment_event("/codegen docs")
    outputs = workflow.authorize(event)
    proposed = workflow.propose(event, outputs)
    assert proposed.code == 0, proposed.err
    published = workflow.publish(event)
    assert published.code == 0, published.err
    [reply] = replies_to(world, comment_id)
    assert reply.splitlines()[1].startswith("Done:")
    assert len(world.state.reviews_on(1)) == 1


@pytest.mark.parametrize(
    ("comment", "first_line"),
    [
        (
            "/codegen help",
            "**codegen** commands, in a comment on a pull request (write access needed):",
        ),
        ("/codegen <b>frob</b>", "`/codegen <b>frob</b>` is not a codegen command."),
    ],
)
def test_help_in_the_split_is_answered_by_the_publishing_job(
    world: PullRequestWorld, workflow: Workflow, comment: str, first_line: str
) -> None:
    event, comment_id = world.comment_event(comment)
    outputs = workflow.authorize(event)
    proposed = workflow.propose(event, outputs)
    assert proposed.code == 0, proposed.err
    written = json.loads(workflow.report.read_text())  # the upload step has its file
    assert written["proposals"] == [] and written["pull_request"]["command"] == "help"
    assert replies_to(world, comment_id) == []

    published = workflow.publish(event)
    assert published.code == 0, published.err
    [reply] = replies_to(world, comment_id)
    assert reply.splitlines()[1] == first_line
    assert "- `/codegen tests`: propose tests for the changed code" in reply
    assert world.state.reviews_on(1) == []
    assert workflow.publish(event).code == 0 and workflow.writes() == []


def test_the_run_link_is_made_only_of_well_formed_parts() -> None:
    env = {
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_REPOSITORY": "octo-org/shop",
        "GITHUB_RUN_ID": "4242",
    }
    assert workflow_run_url(env) == RUN_URL
    assert workflow_run_url(env | {"GITHUB_RUN_ID": "1) [x](https://evil.example"}) is None
    assert workflow_run_url(env | {"GITHUB_SERVER_URL": "javascript:alert(1)"}) is None
    assert workflow_run_url(env | {"GITHUB_REPOSITORY": "a/b c"}) is None
    assert workflow_run_url({}) is None
