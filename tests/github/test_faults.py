"""A fault on each API call in turn (rate limit, 502, reset): the run still ends the same, once."""

from __future__ import annotations

import pytest

from tests.github.conftest import SECOND_PUSH, PullRequestWorld, fresh_github
from tests.github_emulator import Fault

# (kind, after): a 502 or a reset *after* the request was carried out is the case that
# duplicates comments when a client blindly re-sends its POST.
FAULTS = [("rate_limit", False), ("bad_gateway", True), ("reset", True), ("reset", False)]


def check_each_call(
    world: PullRequestWorld, run, kind: str, after: bool, setup=lambda: None
) -> int:
    """Run once cleanly, then once per API call with a fault on that call; all must end alike."""
    fresh_github(world)
    setup()
    start = world.emulator.requests
    assert run() == 0
    expected, calls = world.state.snapshot(), world.emulator.requests - start
    assert calls >= 4
    for index in range(calls):
        fresh_github(world)
        setup()
        fault = Fault(kind, at=world.emulator.requests + index, after=after, seconds=7)
        world.emulator.inject(fault)
        assert run() == 0, (kind, index, world.messages)
        assert fault.times == 0, f"the fault on call {index} never struck"
        assert world.state.snapshot() == expected, (
            kind,
            index,
            [(e.method, e.path, e.fault) for e in world.emulator.log],
        )
        assert world.state.reviews_on(1, "PENDING") == []
        assert world.sleeps, "a retry waits first"
        if kind == "rate_limit":
            assert world.sleeps == [7.0]  # retry-after honoured, through the injected sleep
        assert all(world.state.token not in message for message in world.messages)
    return calls


@pytest.mark.parametrize(("kind", "after"), FAULTS)
def test_a_review_survives_a_fault_on_each_call(
    world: PullRequestWorld, kind: str, after: bool
) -> None:
    event = world.pull_request_event("opened")
    check_each_call(world, lambda: world.run("pull_request", event), kind, after)


@pytest.mark.parametrize(("kind", "after"), FAULTS[:3])
def test_a_review_after_a_push_survives_a_fault_on_each_call(
    world: PullRequestWorld, kind: str, after: bool
) -> None:
    first_head, first_event = world.head, world.pull_request_event("opened")
    second_head = world.push(SECOND_PUSH, "discounts")
    second_event = world.pull_request_event("synchronize")

    def first_run_then_push() -> None:
        fresh_github(world, first_head)
        assert world.run("pull_request", first_event) == 0
        world.state.push(1, second_head, fresh_files(world, second_head))
        world.emulator.log.clear()

    calls = check_each_call(
        world, lambda: world.run("pull_request", second_event), kind, after, first_run_then_push
    )
    assert calls >= 6  # reads, GraphQL threads, the review, the summary's edit


def fresh_files(world: PullRequestWorld, head: str) -> list:
    from tests.github.conftest import github_files

    return github_files(world.origin.repo, world.base, head)


@pytest.mark.parametrize(("kind", "after"), FAULTS[:3])
def test_a_command_survives_a_fault_on_each_call(
    world: PullRequestWorld, kind: str, after: bool
) -> None:
    holder: dict[str, object] = {}

    def comment() -> None:
        holder["event"], holder["id"] = world.comment_event("/codegen docs", "maintainer")

    def run() -> int:
        return world.run("issue_comment", holder["event"])

    calls = check_each_call(world, run, kind, after, comment)
    assert calls >= 9  # permission, 👀, pull, files, comments, review, summary, reply and its check
