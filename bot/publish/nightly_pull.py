"""The nightly pull request on GitHub: one fixed branch, force-updated.

It never re-proposes what a maintainer closed and never overwrites a maintainer's commits
(`bot.publish.branch` does the writing and the checking).
"""

from __future__ import annotations

from collections.abc import Callable

from codegen_bot.bot.github.host import GitHubHost
from codegen_bot.bot.nightly.pull_body import keys_in_body, pr_body, pr_title
from codegen_bot.bot.publish.branch import BranchChange, PullOutcome, history, publish_branch
from codegen_bot.bot.report import Report

#: The one branch every night's changes go to.
NIGHTLY_BRANCH = "codegen/nightly-refactor"


def closed_keys(host: GitHubHost) -> frozenset[str]:
    """The keys of every change proposed by a nightly pull request closed without merging."""
    past = history(host, NIGHTLY_BRANCH)
    return frozenset(key for pull in past.closed for key in keys_in_body(pull.body))


def publish_nightly(
    host: GitHubHost, report: Report, progress: Callable[[str], None]
) -> PullOutcome | None:
    """Open or update the nightly pull request with the report's accepted changes.

    When nothing survived the gates, nothing is opened and an open pull request is left as it
    is (None is returned).
    """
    if report.nightly is None:
        raise ValueError("the report was not written by the nightly job on GitHub")
    if not report.accepted or not report.final_files:
        progress("nightly: no change survived the gates; no pull request opened or changed")
        return None
    count = len(report.accepted)
    outcome = publish_branch(
        host,
        BranchChange(
            branch=NIGHTLY_BRANCH,
            base_ref=report.nightly.base_ref,
            base_sha=report.base,
            files=report.final_files,
            message=f"Refactor: {count} change{'s' if count != 1 else ''} proven by the tests\n\n"
            "Each change passed the tests that cover it, and the whole suite passed with all of "
            "them (codegen nightly).",
            title=pr_title(report),
            body=pr_body(report),
        ),
        progress,
    )
    where = f" #{outcome.number}" if outcome.number is not None else ""
    progress(
        f"nightly: pull request{where} {outcome.status}"
        + (f": {outcome.note}" if outcome.note else "")
    )
    return outcome
