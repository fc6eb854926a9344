"""GitHub's edges, part two: GraphQL rate limits, the most valuable suggestions first, a summary
without noise, symlinks, latin-1 files and inputs checked before the work. A real review (the
heuristic engine) of a real repository, PyGithub against the emulator."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from codegen_bot.bot.github import markers
from codegen_bot.bot.publish import summary
from tests.conftest import GitRepo
from tests.github.conftest import (
    BASE_FILES,
    SECOND_PUSH,
    PullRequestWorld,
    pull_request_world,
)
from tests.github_emulator import Fault


def the_summary(world: PullRequestWorld) -> str:
    [body] = [c.body for c in world.state.conversation(1) if summary.is_summary(c.body)]
    return body


def suggested(world: PullRequestWorld) -> list[str]:
    """The keys of the bot's suggestions on the pull request, in the order they were posted."""
    return [markers.first("suggestion", c.body)["key"] for c in world.state.review_comments]


# --- item 4: GraphQL ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["graphql_rate_limited", "primary_rate_limit"])
def test_a_graphql_rate_limit_is_waited_out_like_rests(world: PullRequestWorld, kind: str) -> None:
    assert world.run("pull_request", world.pull_request_event("opened")) == 0
    world.push(SECOND_PUSH, "discounts")
    world.emulator.inject(Fault(kind, method="POST", path="^/graphql$", times=2, seconds=30))
    assert world.run("pull_request", world.pull_request_event("synchronize")) == 0
    assert [f.times for f in world.emulator.faults] == [0]
    assert len(world.sleeps) == 2 and all(29 <= s <= 32 for s in world.sleeps)  # until the reset
    keys = suggested(world)
    assert "docs:shop/prices.py:discounted" in keys and len(keys) == len(set(keys)) == 4


def test_threads_that_cannot_be_read_never_bring_a_dismissed_suggestion_back(
    world: PullRequestWorld,
) -> None:
    assert world.run("pull_request", world.pull_request_event("opened")) == 0
    [with_tax] = [c for c in world.state.review_comments if "with_tax" in c.body]
    world.state.resolved.add(with_tax.id)  # a maintainer resolved it: never suggest it again
    changed = (
        SECOND_PUSH["shop/prices.py"]
        .replace(
            "def with_tax(amount: float, rate: float = 0.2) -> float:",
            "def with_tax(amount: float, rate: float = 0.2, digits: int = 2) -> float:",
        )
        .replace("round(amount * (1 + rate), 2)", "round(amount * (1 + rate), digits)")
    )
    world.push({"shop/prices.py": changed}, "digits")
    world.emulator.inject(Fault("graphql_rate_limited", path="^/graphql$", times=50))
    assert world.run("pull_request", world.pull_request_event("synchronize")) == 0
    keys = suggested(world)
    assert keys.count("docs:shop/prices.py:with_tax") == 1  # not posted again
    assert "docs:shop/prices.py:discounted" in keys  # a new definition is safe to suggest
    body = the_summary(world)
    assert "review threads could not be read" in body
    assert any("earlier suggestions are not posted again" in m for m in world.messages)


# --- item 5: max_suggestions picks the most valuable ----------------------------------------

# Each function states a fact beyond its name (what it raises, and when), so the facts gate
# lets the heuristic's docstrings through and only the cap decides what is posted.
PLUGIN = (
    "def run_{n}(value: int, times: int = 2) -> int:\n"
    "    if times < 1:\n"
    '        raise ValueError("times must be positive")\n'
    "    return value * times + {n}\n"
)
CORE = (
    '"""The shop\'s core."""\n\n\n'
    "def checkout(total: float, coupon: str | None = None) -> float:\n"
    "    if total < 0:\n"
    '        raise ValueError("a total is never negative")\n'
    '    return total / 2 if coupon == "HALF" else total\n\n\n'
    "def refund(amount: float) -> float:\n"
    "    if amount < 0:\n"
    '        raise ValueError("a refund is never negative")\n'
    "    return -amount\n"
)


@pytest.fixture
def plugins(make_repo: Callable[[], GitRepo], tmp_path: Path) -> Iterator[PullRequestWorld]:
    """A pull request adding six plugin files (first by path) and the package's real code."""
    base = {
        **BASE_FILES,
        "pyproject.toml": BASE_FILES["pyproject.toml"] + "\n[tool.codegen]\nmax_suggestions = 3\n",
    }
    head = {f"plugins/plugin_{n}.py": PLUGIN.format(n=n) for n in range(6)}
    head["shop/core.py"] = CORE
    with pull_request_world(make_repo(), tmp_path, base, head, "plugins and core") as pr:
        yield pr


def test_the_cap_keeps_the_packages_api_first_and_a_later_push_posts_the_next(
    plugins: PullRequestWorld, tmp_path: Path
) -> None:
    world = plugins
    report_path = tmp_path / "report.json"
    assert world.run("pull_request", world.pull_request_event("opened"), report=report_path) == 0
    first = suggested(world)
    assert len(first) == 3
    assert {"docs:shop/core.py:checkout", "docs:shop/core.py:refund"} <= set(first)
    report = json.loads(report_path.read_text())
    held = [p for p in report["proposals"] if p["held"]]
    assert len(held) == 5 and all(p["path"].startswith("plugins/") for p in held)
    assert all(p["status"] == "rejected" for p in held)  # older readers never post them
    assert all(p["reason"].startswith("not posted: over the limit of 3") for p in held)
    assert report["summary"]["accepted"] == 3 and report["summary"]["held"] == 5
    body = the_summary(world)
    assert "5 not posted: over the limit" in body and "rejected: over the limit" not in body
    # the next push (or /codegen docs) posts the next three, then the rest
    world.push({"README.md": "# shop\n"}, "readme")
    assert world.run("pull_request", world.pull_request_event("synchronize")) == 0
    assert len(suggested(world)) == 6 and len(set(suggested(world))) == 6
    assert "2 not posted: over the limit" in the_summary(world)
    event, _ = world.comment_event("/codegen docs")
    assert world.run("issue_comment", event) == 0
    assert len(set(suggested(world))) == 8 == len(suggested(world))
    assert "not posted: over the limit" not in the_summary(world)


# --- item 6: a summary without noise ---------------------------------------------------------

NOISY = {
    "README.md": "# shop\n",
    "docs/usage.txt": "Use it.\n",
    "setup.cfg": "[metadata]\nname = shop\n",
    "shop/broken.py": "def broken(:\n",
    "shop/flags.py": '"""Flags."""\n\nFLAGS: dict[str, bool] = {}\n\n\ndef reset():\n    FLAGS.clear()\n',
    "tests/test_prices.py": "".join(
        f"def test_case_{n}():\n    assert {n} == {n}\n\n\n" for n in range(6)
    ),
}


def test_the_summary_shows_real_problems_and_counts_the_rest_in_one_collapsed_line(
    make_repo: Callable[[], GitRepo], tmp_path: Path
) -> None:
    with pull_request_world(make_repo(), tmp_path, BASE_FILES, NOISY, "noise") as world:
        assert world.run("pull_request", world.pull_request_event("opened")) == 0
        body = the_summary(world)
    assert "1 changed file not reviewed: `shop/broken.py` (`does not parse" in body
    assert "changed files not reviewed" not in body  # "1 changed files" is gone
    [line] = [line for line in body.splitlines() if line.startswith("<details><summary>Also:")]
    assert "1 declined by the engine" in line and "3 files not reviewed" in line
    assert "6 test definitions skipped" in line
    table = body.split("<details>")[0]
    assert "nothing to document beyond the name" not in table  # not under the results
    assert "README.md" not in table and "not a Python file" not in table


# --- item 7: small ones -----------------------------------------------------------------------


def test_symlinks_are_not_followed_nor_reviewed(world: PullRequestWorld) -> None:
    os.symlink("prices.py", world.origin.path / "shop/alias.py")  # into the repository
    os.symlink("/etc/hostname", world.origin.path / "shop/host.py")  # out of it
    world.push({}, "links")
    assert world.run("pull_request", world.pull_request_event("opened")) == 0
    body = the_summary(world)
    assert "`shop/alias.py` (`symlink, not followed`)" in body
    assert "`shop/host.py` (`symlink, not followed`)" in body
    assert not any("alias" in k or "host" in k for k in suggested(world))


def test_a_latin1_file_with_a_coding_declaration_is_reviewed(world: PullRequestWorld) -> None:
    legacy = (
        "# -*- coding: latin-1 -*-\n"
        '"""Prix en euros (café compris)."""\n\n\n'
        "def price(amount: float, rate: float = 0.2) -> float:\n"
        "    return amount * (1 + rate)\n"
    )
    world.push({"shop/legacy.py": legacy.encode("latin-1")}, "legacy")
    assert world.run("pull_request", world.pull_request_event("opened")) == 0
    assert "docs:shop/legacy.py:price" in suggested(world)
    assert "`shop/legacy.py` (" not in the_summary(world)  # not listed as a skipped file


def github_env(world: PullRequestWorld, monkeypatch: pytest.MonkeyPatch, **changes: str) -> None:
    for name, value in world.env("pull_request", world.pull_request_event()).items():
        monkeypatch.setenv(name, value)
    for name, value in changes.items():
        if value:
            monkeypatch.setenv(name, value)
        else:
            monkeypatch.delenv(name)


def test_a_bad_api_url_is_one_line_and_exit_2(world: PullRequestWorld, run_cli, monkeypatch):
    github_env(world, monkeypatch, GITHUB_API_URL="not a url")
    result = run_cli("action", "--write-pause", "0")
    assert result.code == 2 and "Traceback" not in result.err
    assert "codegen: error: GITHUB_API_URL 'not a url' is not an http(s) URL" in result.err
    assert "reading the diff" not in result.err  # checked before the work


def test_a_missing_token_is_reported_before_the_review_runs(
    world: PullRequestWorld, run_cli, monkeypatch
) -> None:
    github_env(world, monkeypatch, GITHUB_TOKEN="")
    result = run_cli("action", "--write-pause", "0")
    assert result.code == 2 and "GITHUB_TOKEN and GITHUB_REPOSITORY are needed" in result.err
    assert "reading the diff" not in result.err and world.emulator.requests == 0


def test_the_split_docs_command_prepares_with_a_read_only_token(
    world: PullRequestWorld, tmp_path: Path
) -> None:
    world.state.read_only = True  # the documented propose job: contents and pull-requests: read
    event, _ = world.comment_event("/codegen docs")
    report = tmp_path / "report.json"
    assert world.run("issue_comment", event, publish=False, report=report) == 0
    assert json.loads(report.read_text())["summary"]["accepted"] == 3
    assert all(e.status == 200 for e in world.emulator.log)
