"""What `codegen action` was given, and the two steps every job is made of: propose, publish.

Propose needs no GitHub token: it fetches the pull request's commits from `origin`, runs the
review pipeline and writes the JSON report. Publish needs one: it posts the report. The Action
can run them in one job or, so that the job running pull-request code holds no write token, in
two (`codegen action --no-publish`, then `codegen publish --report FILE`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from codegen_bot.adapters.engines.chat import PromptFormat
from codegen_bot.adapters.engines.registry import EngineStartup, build_engine
from codegen_bot.bot.config import IsolationChoice
from codegen_bot.bot.errors import UsageError
from codegen_bot.bot.github.answers import api_url_problem
from codegen_bot.bot.github.host import GitHubHost
from codegen_bot.bot.publish.pull_review import Published, publish
from codegen_bot.bot.report import PullRequestRef, Report
from codegen_bot.bot.tasks.pipeline import ReviewRequest, prepare, review_prepared
from codegen_bot.bot.workspace.checkout import fetch_pull

Progress = Callable[[str], None]
Connect = Callable[["ActionInputs", Progress], GitHubHost]


@dataclass(frozen=True)
class ActionInputs:
    """Everything `codegen action` reads from its environment and flags, read once at the edge."""

    event_name: str
    event_path: Path | None
    repository: str | None
    api_url: str = "https://api.github.com"
    token: str | None = field(default=None, repr=False)  # never printed
    checkout: Path = Path(".")
    report: Path | None = None
    publish: bool = True
    engine: str = "heuristic"
    #: The engine's start-up settings (model, adapters, server); the docstring style is the run's.
    engine_startup: EngineStartup = field(default_factory=EngineStartup)
    #: The runner's `--samples` and `--prompt-format` (None: the repository's engine settings).
    samples: int | None = None
    prompt_format: PromptFormat | None = None
    #: Tasks for pull-request reviews (None: the repository's configuration decides).
    tasks: tuple[str, ...] | None = None
    config_file: Path | None = None
    #: The branch or tag the workflow runs on (GITHUB_REF_NAME): the nightly job's base.
    ref_name: str | None = None
    review_drafts: bool = False
    write_pause: float = 1.0  # seconds between writes, as GitHub asks of integrations
    #: The runner operator's isolation (`--isolation`); None: the repository's (never lower).
    isolation: IsolationChoice | None = None
    #: The head commit `codegen authorize` pinned for a /codegen command (None: not pinned).
    pinned_head: str | None = None
    #: The pinned pull request's base commit and branch, so no API call is needed to find them.
    pinned_base: str | None = None
    pinned_base_ref: str | None = None
    #: This workflow run's page (GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID), for replies.
    run_url: str | None = None

    @property
    def pinned_without_token(self) -> bool:
        """Whether this is a command's proposing job of the split (no token, nothing published).

        It runs only the commits `codegen authorize` pinned, which checked the commenter already.
        """
        return not self.token and not self.publish and self.pinned_head is not None

    @property
    def run_isolation(self) -> IsolationChoice | None:
        """The isolation for code from the repository: bubblewrap whenever a token is held.

        With a token in this process's environment, code run without bubblewrap could read it
        (from `/proc/<pid>/environ`), so such code runs under bubblewrap or not at all.
        """
        if self.token:
            if self.isolation == "none":
                raise UsageError(
                    "--isolation none while this process holds GITHUB_TOKEN: code from the "
                    "repository could read the token. Run the split instead: `codegen action "
                    "--no-publish` without a token, then `codegen publish` (action mode: propose "
                    "then publish)"
                )
            return "bubblewrap"
        return self.isolation


def inputs_from_env(env: Mapping[str, str], **flags: object) -> ActionInputs:
    """Read the inputs from GitHub's variables (`GITHUB_EVENT_NAME`, ...) and the flags."""
    path = env.get("GITHUB_EVENT_PATH")
    return ActionInputs(
        event_name=env.get("GITHUB_EVENT_NAME", ""),
        event_path=Path(path) if path else None,
        repository=env.get("GITHUB_REPOSITORY") or None,
        api_url=env.get("GITHUB_API_URL") or "https://api.github.com",
        token=env.get("GITHUB_TOKEN") or None,
        ref_name=env.get("GITHUB_REF_NAME") or None,
        run_url=workflow_run_url(env),
        **flags,  # type: ignore[arg-type]
    )


_SERVER_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?")
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


def workflow_run_url(env: Mapping[str, str]) -> str | None:
    """The page of this workflow run, from GitHub's variables; None unless each is well-formed.

    The URL goes into a Markdown link of a reply, so only a plain host, an `owner/name` and a
    numeric run id make it.
    """
    server = env.get("GITHUB_SERVER_URL", "")
    repository = env.get("GITHUB_REPOSITORY", "")
    run_id = env.get("GITHUB_RUN_ID", "")
    if not (
        _SERVER_URL.fullmatch(server)
        and _REPOSITORY.fullmatch(repository)
        and run_id.isascii()
        and run_id.isdigit()
    ):
        return None
    return f"{server}/{repository}/actions/runs/{run_id}"


def require_github(inputs: ActionInputs) -> None:
    """Raise UsageError unless `inputs` can reach GitHub: a token, a repository, a valid URL.

    Checked before the work, so a run that cannot publish stops before it reviews anything.
    """
    if not inputs.token or not inputs.repository:
        raise UsageError("GITHUB_TOKEN and GITHUB_REPOSITORY are needed to talk to GitHub")
    problem = api_url_problem(inputs.api_url)
    if problem is not None:
        raise UsageError(problem)


def write_report(report: Report, path: Path | None) -> None:
    """Write the JSON report to `path` (nothing when None), whole or not at all.

    It is written beside `path` and renamed into place, so a job killed mid-write leaves no
    half report: the publishing job then finds none, and says so.
    """
    if path is None:
        return
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(report.to_json(), encoding="utf-8")
        partial.replace(path)
    except OSError as error:
        raise UsageError(f"cannot write the report to {path}: {error.strerror}") from error


class ActionContext:
    """One run of `codegen action`: its inputs, its GitHub connection (made on first use)."""

    def __init__(self, inputs: ActionInputs, connect: Connect, progress: Progress) -> None:
        self.inputs = inputs
        self.progress = progress
        self._connect = connect
        self._host: GitHubHost | None = None

    def host(self) -> GitHubHost:
        """Return the GitHub connection; raise UsageError without a token or repository."""
        if self._host is None:
            require_github(self.inputs)
            self._host = self._connect(self.inputs, self.progress)
        return self._host

    def propose(
        self,
        number: int,
        head: str,
        base: str,
        base_ref: str | None,
        *,
        tasks: tuple[str, ...] | None = None,
        comment_id: int | None = None,
        command: str | None = None,
    ) -> Report:
        """Fetch the pull request's commits, review them, write the report; return it."""
        path = self.inputs.checkout
        fetched = fetch_pull(path, number, head, base, base_ref)
        if fetched:
            self.progress(f"fetched {', '.join(fetched)}")
        started = time.perf_counter()
        prepared = prepare(
            ReviewRequest(
                repo=str(path),
                base=base,
                head=head,
                tasks=tasks or self.inputs.tasks,
                engine=self.inputs.engine,
                config_file=self.inputs.config_file,
                isolation=self.inputs.run_isolation,
                samples=self.inputs.samples,
                prompt_format=self.inputs.prompt_format,
            )
        )
        repository = self.inputs.repository or ""
        report = review_prepared(
            prepared,
            lambda run: build_engine(self.inputs.engine, run, self.inputs.engine_startup),
            self.progress,
            started,
            PullRequestRef(
                repository, number, comment_id, prepared.config.max_suggestions, command
            ),
        )
        write_report(report, self.inputs.report)
        return report

    def publish(self, report: Report) -> Published:
        """Post the report on its pull request."""
        ref = report.pull_request
        if ref is None:
            raise UsageError(
                "the report names no pull request (was it written by `codegen review`?)"
            )
        return publish(report, self.host(), ref.number, ref.max_suggestions, self.progress)
