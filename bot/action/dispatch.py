"""`codegen action`: the entry the GitHub Action calls — event → Job → the job's handler.

The event is read from the file GitHub names in `GITHUB_EVENT_PATH`; `bot.github.events` turns it
into a Job without I/O, and `JOB_HANDLERS` runs it: a review of the pull request, a slash command,
or the nightly job. An event with nothing to do ends with one line saying so, and exit code 0.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

from codegen_bot.adapters.engines.registry import build_engine
from codegen_bot.bot.action import slash
from codegen_bot.bot.action.context import (
    ActionContext,
    ActionInputs,
    Connect,
    Progress,
    require_github,
    write_report,
)
from codegen_bot.bot.errors import UsageError
from codegen_bot.bot.github.events import EventOptions, Job, parse_event
from codegen_bot.bot.github.host import GitHubHost
from codegen_bot.bot.nightly.night import NightlyRequest, nightly, today
from codegen_bot.bot.publish.nightly_pull import closed_keys, publish_nightly
from codegen_bot.bot.report import NightlyRef
from codegen_bot.refactor.results import Failure, Skip


def read_payload(inputs: ActionInputs) -> dict[str, object]:
    """Return the event's JSON payload; raise UsageError when it is missing or not JSON."""
    if inputs.event_path is None:
        raise UsageError(
            "GITHUB_EVENT_PATH is not set: run `codegen action` inside a GitHub Action"
        )
    try:
        payload = json.loads(inputs.event_path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(
            f"cannot read the event payload {inputs.event_path}: {error.strerror}"
        ) from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UsageError(f"the event payload {inputs.event_path} is not JSON: {error}") from error
    if not isinstance(payload, dict):
        raise UsageError(f"the event payload {inputs.event_path} is not a JSON object")
    return payload


def run_review(ctx: ActionContext, job: Job) -> int:
    """Review a pull request that was opened or pushed to, then publish (unless told not to)."""
    assert job.number is not None and job.head is not None and job.base is not None
    report = ctx.propose(job.number, job.head, job.base, job.base_ref)
    ctx.progress(f"{len(report.accepted)} of {len(report.proposals)} proposals passed the gates")
    if ctx.inputs.publish:
        ctx.publish(report)
    else:
        ctx.progress(
            "not publishing (--no-publish): `codegen publish --report FILE` posts the report"
        )
    return 0


def closed_nightly_keys(ctx: ActionContext) -> frozenset[str]:
    """Keys of the changes in nightly pull requests closed unmerged (none without a token)."""
    if not ctx.inputs.token or not ctx.inputs.repository:
        return frozenset()
    keys = closed_keys(ctx.host())
    if keys:
        ctx.progress(f"nightly: {len(keys)} change(s) from closed pull requests left out")
    return keys


def run_nightly(ctx: ActionContext, job: Job) -> int:
    """Run the nightly refactoring job on the checkout, write its report, then publish it."""
    request = NightlyRequest(
        repo=str(ctx.inputs.checkout),
        night=today(),
        engine=ctx.inputs.engine,
        config_file=ctx.inputs.config_file,
        closed_keys=closed_nightly_keys(ctx),
        isolation=ctx.inputs.run_isolation,
        samples=ctx.inputs.samples,
        prompt_format=ctx.inputs.prompt_format,
    )
    report = nightly(
        request,
        lambda run: build_engine(ctx.inputs.engine, run, ctx.inputs.engine_startup),
        ctx.progress,
    )
    base_ref = job.base_ref or ctx.inputs.ref_name
    if base_ref is None and ctx.inputs.token:
        base_ref = ctx.host().default_branch()
    if base_ref is None:
        raise UsageError("GITHUB_REF_NAME is not set: which branch is the nightly job for?")
    report = dataclasses.replace(report, nightly=NightlyRef(job.repository, base_ref))
    write_report(report, ctx.inputs.report)
    ctx.progress(
        f"{job.event}: {len(report.accepted)} of {len(report.proposals)} refactorings passed "
        "every gate"
    )
    if ctx.inputs.publish:
        publish_nightly(ctx.host(), report, ctx.progress)
    else:
        ctx.progress("not publishing (--no-publish): the report holds the nightly changes")
    return 0


#: What each kind of Job runs; later tasks plug in here (and in `slash.HANDLERS`).
JOB_HANDLERS: dict[str, Callable[[ActionContext, Job], int]] = {
    "review": run_review,
    "command": slash.run_command,
    "nightly": run_nightly,
}


def connect(inputs: ActionInputs, progress: Progress) -> GitHubHost:
    """Connect to GitHub as `inputs` say; retries are reported to `progress`."""
    assert inputs.token is not None and inputs.repository is not None
    return GitHubHost(
        inputs.repository,
        inputs.token,
        inputs.api_url,
        write_pause=inputs.write_pause,
        progress=progress,
    )


def run_action(inputs: ActionInputs, progress: Progress, connect: Connect = connect) -> int:
    """Run the job the event asks for; return the exit code. Raises CodegenError on misuse."""
    payload = read_payload(inputs)
    parsed = parse_event(
        inputs.event_name,
        payload,
        inputs.repository,
        EventOptions(review_drafts=inputs.review_drafts),
    )
    if isinstance(parsed, Skip):
        progress(f"nothing to do: {parsed.reason}")
        return 0
    if isinstance(parsed, Failure):
        raise UsageError(parsed.reason)
    # A command checks permissions first, except in the split's proposing job, which is given
    # no token and runs only what `codegen authorize` approved.
    if inputs.publish or (parsed.kind == "command" and not inputs.pinned_without_token):
        require_github(inputs)
    progress(
        f"{parsed.event}: {parsed.kind} job for {parsed.repository}"
        + (f" #{parsed.number}" if parsed.number is not None else "")
    )
    ctx = ActionContext(inputs, connect, progress)
    return JOB_HANDLERS[parsed.kind](ctx, parsed)
