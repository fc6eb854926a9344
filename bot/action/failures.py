"""What the commenter is told when a `/codegen` command fails after its 👀 — a pure rendering.

A run that acknowledged a command always answers it: what failed, in one line, and what to
change, so that nothing half-made (a pushed branch with no pull request, a summary with no
review) is left without an explanation. GitHub's answers that a setting decides get the setting.
"""

from __future__ import annotations

from codegen_bot.bot.errors import CodegenError
from codegen_bot.bot.github.host import ApiError
from codegen_bot.bot.markdown import code

#: GitHub's 403 when the repository does not let workflows open pull requests (its default).
ACTIONS_MAY_NOT_OPEN_PULLS = "not permitted to create or approve pull requests"
SETTING = (
    "Settings → Actions → General → Workflow permissions →"
    ' "Allow GitHub Actions to create and approve pull requests"'
)


def _advice(error: BaseException, command: str, branch: str | None) -> str:
    """What to change, for the failures a repository setting or a permission explains."""
    if isinstance(error, ApiError):
        message = error.outcome.message
        if error.outcome.status == 403 and ACTIONS_MAY_NOT_OPEN_PULLS in message:
            pushed = f" The tests are on the branch `{branch}` already." if branch else ""
            return (
                f"GitHub's repository setting forbids workflows to open pull requests.{pushed}"
                f" To let codegen open it, turn on {SETTING} (or publish with a GitHub App token:"
                f" the `CODEGEN_APP_ID` variable), then ask again with `/codegen {command}`."
            )
        if error.outcome.status == 403 and not error.outcome.rate_limited:
            return (
                "The workflow's token may not do this: give the publishing job"
                " `pull-requests: write`, `issues: write` and (for `/codegen tests`)"
                f" `contents: write`, then ask again with `/codegen {command}`."
            )
        if error.outcome.rate_limited:
            return f"GitHub's rate limit ran out: ask again later with `/codegen {command}`."
    if isinstance(error, CodegenError):
        return f"Ask again with `/codegen {command}` once that is fixed; the run's log has more."
    return "The workflow run's log has the details; please report it if it happens again."


def failure_text(error: BaseException, command: str, branch: str | None = None) -> str:
    """The reply to `/codegen {command}` after it failed with `error`.

    `branch` names the branch the command publishes to, when it has one.
    """
    what = str(error) if isinstance(error, CodegenError) else type(error).__name__
    first = what.splitlines()[0] if what else type(error).__name__
    # The message may quote the pull request (a path, a test id): an inert code span.
    advice = _advice(error, command, branch)
    return f"**codegen** `/codegen {command}` failed: {code(first)}.\n\n{advice}"


def no_report_text(command: str, run_url: str | None = None) -> str:
    """The reply to `/codegen {command}` when the proposing job left no report to publish.

    Everything in it comes from the publishing job's own event and environment: the command
    (one of the known words) and this workflow run's page (see `workflow_run_url`).
    """
    log = f"[the workflow run's log]({run_url})" if run_url else "the workflow run's log"
    return (
        f"**codegen** `/codegen {command}` failed: the job that runs it on the pull request"
        " left no report (it failed, timed out or was cancelled), so nothing was posted.\n\n"
        f"The proposing job's step in {log} says what went wrong. Ask again with"
        f" `/codegen {command}` once that is fixed; if it was cancelled or timed out, asking"
        " again is enough."
    )
