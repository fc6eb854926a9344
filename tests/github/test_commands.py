"""Slash commands: who may run them, the 👀 and the reply, help, and `/codegen refactor`."""

from __future__ import annotations

from tests.github.conftest import PullRequestWorld, pull_request_world


def replies(world: PullRequestWorld) -> list[str]:
    return [c.body for c in world.state.conversation(1) if "codegen:reply" in c.body]


def test_docs_from_a_user_without_write_permission_runs_nothing_and_gets_a_reply(
    world: PullRequestWorld,
) -> None:
    event, comment_id = world.comment_event("/codegen docs", "visitor")
    assert world.run("issue_comment", event) == 0
    assert world.state.reviews == [] and world.state.review_comments == []
    [reply] = replies(world)
    assert "@visitor" in reply and "write access" in reply and "nothing was run" in reply
    assert not any("codegen:summary" in c.body for c in world.state.issue_comments)
    assert [c.reactions for c in world.state.issue_comments if c.id == comment_id] == [[]]
    assert not any("reading the diff" in m for m in world.messages)  # the pipeline never started
    asked = [e.path for e in world.emulator.log]
    assert "/repos/octo-org/shop/collaborators/visitor/permission" in asked
    assert not any(p.endswith("/files") for p in asked)
    # the same event again (a re-run of the workflow) does not reply twice
    assert world.run("issue_comment", event) == 0
    assert len(replies(world)) == 1


def test_a_stranger_unknown_to_github_is_refused_too(world: PullRequestWorld) -> None:
    event, _ = world.comment_event("/codegen docs", "drive-by")
    del world.state.users["drive-by"]  # the permission endpoint answers 404 for strangers
    assert world.run("issue_comment", event) == 0
    assert world.state.reviews == [] and "write access" in replies(world)[0]


def test_docs_from_a_maintainer_reacts_reviews_and_replies(world: PullRequestWorld) -> None:
    event, comment_id = world.comment_event("/codegen docs", "maintainer")
    assert world.run("issue_comment", event) == 0
    [command] = [c for c in world.state.issue_comments if c.id == comment_id]
    assert [(r.user.login, r.content) for r in command.reactions] == [
        ("github-actions[bot]", "eyes")
    ]
    assert len(world.state.reviews_on(1)) == 1 and len(world.state.review_comments) == 3
    [reply] = replies(world)
    assert "Done: 3 new suggestions" in reply
    # asked again after it ran: nothing new, and a reply saying so
    again, _ = world.comment_event("/codegen docs", "maintainer")
    assert world.run("issue_comment", again) == 0
    assert len(world.state.reviews_on(1)) == 1
    assert "nothing new to suggest" in replies(world)[-1]


def test_unknown_commands_get_help(world: PullRequestWorld) -> None:
    for body in ("/codegen frobnicate", "/codegen help"):
        event, _ = world.comment_event(body, "maintainer")
        assert world.run("issue_comment", event) == 0
    unknown, help_ = replies(world)
    assert "`/codegen docs`" in unknown and "`/codegen refactor`" in help_
    assert (
        unknown.startswith("<!--") and "`/codegen frobnicate` is not a codegen command" in unknown
    )
    assert "/codegen help`: show this message" in help_
    assert world.state.reviews == []


def test_a_command_whose_handler_is_replaced_runs_the_new_handler(
    world: PullRequestWorld, monkeypatch
) -> None:
    from codegen_bot.bot.action import slash

    monkeypatch.setitem(
        slash.HANDLERS, "tests", lambda ctx, job: f"tests for #{job.number} by {job.actor}"
    )
    event, _ = world.comment_event("/codegen tests", "maintainer")
    assert world.run("issue_comment", event) == 0
    assert replies(world)[0].endswith("tests for #1 by maintainer")


MONEY = '''"""Money."""


def total(prices: list[float]) -> float:
    """Add the prices up."""
    return sum(prices)
'''
MONEY_HEAD = (
    MONEY.replace(
        "    return sum(prices)\n",
        "    return sum([prices[i] for i in range(0, len(prices))])\n",
    )
    + '''

def squares(n: int) -> list[int]:
    """The first squares."""
    return [i * i for i in range(0, n)]
'''
)
MONEY_TESTS = (
    "from shop.money import total\n\n\ndef test_total():\n    assert total([1.0, 2.0]) == 3.0\n"
)


def test_refactor_command_suggests_only_proven_covered_changes(make_repo, tmp_path) -> None:
    base_files = {
        "pyproject.toml": '[project]\nname = "shop"\n\n[tool.ruff.lint]\nselect = ["E", "F"]\n',
        "shop/__init__.py": "",
        "shop/money.py": MONEY,
        "tests/test_money.py": MONEY_TESTS,
    }
    with pull_request_world(
        make_repo(), tmp_path, base_files, {"shop/money.py": MONEY_HEAD}
    ) as world:
        event, comment_id = world.comment_event("/codegen refactor", "maintainer")
        assert world.run("issue_comment", event) == 0
        assert len(world.state.reviews_on(1)) == 1
        [comment] = world.state.review_comments
        assert comment.path == "shop/money.py" and "range(len(prices))" in comment.body
        summary = next(c.body for c in world.state.conversation(1) if "codegen:summary" in c.body)
        assert "squares" in summary and "not covered by tests" in summary
        assert "Done: 1 new suggestion" in replies(world)[-1]
        assert [
            c.reactions[0].content for c in world.state.issue_comments if c.id == comment_id
        ] == ["eyes"]
