"""The report of one run: what was proposed, what each gate said, and what survived.

The JSON form is a contract other tools rely on (`codegen publish` reads it back), so it is
versioned: bump REPORT_VERSION when a field changes meaning or disappears.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from codegen_bot.adapters.engines.base import Candidate, EngineIdentity
from codegen_bot.refactor.gates import Verdict
from codegen_bot.refactor.patches import Replacement

REPORT_VERSION = 1

Status = Literal["accepted", "rejected"]


@dataclass(frozen=True)
class Proposal:
    """One candidate for one target, after the edit and the gates."""

    task: str
    path: str
    symbol: str
    kind: str
    start: int
    end: int
    identity: EngineIdentity
    status: Status
    gates: tuple[Verdict, ...]
    reason: str | None
    patch: str
    suggestion: Replacement | None
    text: str | None
    timings: dict[str, float] = field(default_factory=dict)
    #: Task-specific figures, e.g. for a new test: its target, lines and branches gained, runs.
    metrics: dict[str, Any] = field(default_factory=dict)
    #: Passed every gate but held back by `max_suggestions` (status `rejected`, reason "not
    #: posted: over the limit"): a later run posts it once the more valuable ones are out.
    held: bool = False

    @classmethod
    def of(
        cls,
        task: str,
        candidate: Candidate,
        *,
        accepted: bool,
        gates: tuple[Verdict, ...],
        reason: str | None,
        path: str | None = None,
        span: tuple[int, int] | None = None,
        patch: str = "",
        suggestion: Replacement | None = None,
        text: str | None = None,
        timings: Mapping[str, float] | None = None,
        metrics: Mapping[str, Any] | None = None,
    ) -> Proposal:
        """The proposal for one engine candidate once its gates have spoken.

        Symbol, kind and engine come from the candidate; `path` and `span` default to its
        target's (a new test names its own file and lines instead); `text` defaults to the
        candidate's. Timings start with the engine's "propose" seconds, then `timings`, or the
        gates' total when `timings` is None.
        """
        target = candidate.target
        start, end = span if span is not None else (target.start, target.end)
        extra = dict(timings) if timings is not None else {"gates": sum(g.seconds for g in gates)}
        return cls(
            task=task,
            path=target.path if path is None else path,
            symbol=target.qualname,
            kind=target.kind,
            start=start,
            end=end,
            identity=candidate.identity,
            status="accepted" if accepted else "rejected",
            gates=gates,
            reason=reason,
            patch=patch,
            suggestion=suggestion,
            text=candidate.text if text is None else text,
            timings={"propose": candidate.seconds, **extra},
            metrics=dict(metrics) if metrics is not None else {},
        )

    @property
    def key(self) -> str:
        """A stable name for this proposal across runs: task, file and symbol."""
        return f"{self.task}:{self.path}:{self.symbol}"

    def to_dict(self) -> dict[str, Any]:
        """The proposal as the JSON report stores it."""
        return {
            "task": self.task,
            "path": self.path,
            "symbol": self.symbol,
            "kind": self.kind,
            "span": {"start": self.start, "end": self.end},
            "engine": self.identity.engine,
            "model": self.identity.model,
            "adapter": self.identity.adapter,
            "status": self.status,
            "gates": [v.to_dict() for v in self.gates],
            "reason": self.reason,
            "patch": self.patch,
            "suggestion": None
            if self.suggestion is None
            else {
                "start_line": self.suggestion.start,
                "end_line": self.suggestion.end,
                "text": self.suggestion.text,
            },
            "text": self.text,
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "metrics": self.metrics,
            "held": self.held,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Proposal:
        """Read a proposal back from its JSON form."""
        suggestion = data.get("suggestion")
        return cls(
            task=data["task"],
            path=data["path"],
            symbol=data["symbol"],
            kind=data["kind"],
            start=data["span"]["start"],
            end=data["span"]["end"],
            identity=EngineIdentity(data["engine"], data.get("model"), data.get("adapter")),
            status=data["status"],
            gates=tuple(
                Verdict(g["gate"], g["passed"], g.get("reason"), g.get("seconds", 0.0))
                for g in data["gates"]
            ),
            reason=data.get("reason"),
            patch=data.get("patch", ""),
            suggestion=None
            if suggestion is None
            else Replacement(suggestion["start_line"], suggestion["end_line"], suggestion["text"]),
            text=data.get("text"),
            timings=dict(data.get("timings", {})),
            metrics=dict(data.get("metrics", {})),
            held=bool(data.get("held", False)),
        )


@dataclass(frozen=True)
class FileNote:
    """What happened to one changed file: reviewed, or skipped and why."""

    path: str
    status: Literal["reviewed", "skipped"]
    reason: str | None = None


@dataclass(frozen=True)
class SkippedTarget:
    """A definition the diff touched that was deliberately not proposed for, and why."""

    task: str
    path: str
    symbol: str
    reason: str


@dataclass
class TaskOutcome:
    """What one task adds to the report: proposals, skipped targets, notes and timings."""

    proposals: list[Proposal] = field(default_factory=list)
    skipped: list[SkippedTarget] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class NightlyRef:
    """Where a nightly report's changes go on GitHub: the repository and the branch they are for."""

    repository: str
    base_ref: str


@dataclass(frozen=True)
class PullRequestRef:
    """Where a report came from on GitHub, so `codegen publish` can post it from another job.

    `comment_id` is the `/codegen` command comment to answer, if a command started the run, and
    `command` that command (`tests` is published as a pull request, not as a review).
    """

    repository: str
    number: int
    comment_id: int | None = None
    max_suggestions: int = 20
    command: str | None = None
    #: The pull request's head when it had moved past the commit the command was approved for
    #: (then nothing ran, and publishing only says so).
    changed_head: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the reference as the JSON report stores it."""
        found = {
            "repository": self.repository,
            "number": self.number,
            "comment_id": self.comment_id,
            "max_suggestions": self.max_suggestions,
            "command": self.command,
        }
        if self.changed_head is not None:
            found["changed_head"] = self.changed_head
        return found

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PullRequestRef:
        """Read the reference back from its JSON form."""
        return cls(
            data["repository"],
            int(data["number"]),
            data.get("comment_id"),
            int(data.get("max_suggestions", 20)),
            data.get("command"),
            data.get("changed_head"),
        )


@dataclass(frozen=True)
class Report:
    """Everything one run found, in the order a reader wants it."""

    repo: str
    base: str
    head: str
    tasks: tuple[str, ...]
    identity: EngineIdentity
    proposals: tuple[Proposal, ...] = ()
    files: tuple[FileNote, ...] = ()
    skipped: tuple[SkippedTarget, ...] = ()
    notes: tuple[str, ...] = ()
    style: str | None = None
    config_source: str = "defaults"
    timings: dict[str, float] = field(default_factory=dict)
    tool_version: str = ""
    pull_request: PullRequestRef | None = None  # set by `codegen action`
    #: Set by the nightly job on GitHub: the repository and the branch the changes are for.
    nightly: NightlyRef | None = None
    #: Set by the nightly job: path → the whole text of each file its accepted proposals change,
    #: all of them applied to `base`, with the imports they left unused removed. A branch
    #: publisher commits exactly these texts on top of `base`.
    final_files: dict[str, str] = field(default_factory=dict)

    @property
    def accepted(self) -> list[Proposal]:
        """The proposals that passed every gate."""
        return [p for p in self.proposals if p.status == "accepted"]

    @property
    def rejected(self) -> list[Proposal]:
        """The proposals some gate (or the engine) turned down, or `max_suggestions` held back."""
        return [p for p in self.proposals if p.status == "rejected"]

    @property
    def held(self) -> list[Proposal]:
        """The proposals that passed every gate but wait for a later run (`max_suggestions`)."""
        return [p for p in self.proposals if p.held]

    def to_dict(self) -> dict[str, Any]:
        """The report in its versioned JSON form."""
        return {
            "version": REPORT_VERSION,
            "tool": {"name": "codegen", "version": self.tool_version},
            "repo": self.repo,
            "base": self.base,
            "head": self.head,
            "tasks": list(self.tasks),
            "engine": self.identity.engine,
            "model": self.identity.model,
            "adapter": self.identity.adapter,
            "style": self.style,
            "config": self.config_source,
            "summary": {
                "proposed": len(self.proposals),
                "accepted": len(self.accepted),
                "rejected": len(self.rejected),
                "held": len(self.held),
                "skipped_files": sum(1 for f in self.files if f.status == "skipped"),
                "skipped_targets": len(self.skipped),
            },
            "proposals": [p.to_dict() for p in self.proposals],
            "files": [{"path": f.path, "status": f.status, "reason": f.reason} for f in self.files],
            "skipped": [
                {"task": s.task, "path": s.path, "symbol": s.symbol, "reason": s.reason}
                for s in self.skipped
            ],
            "notes": list(self.notes),
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "pull_request": None if self.pull_request is None else self.pull_request.to_dict(),
            "nightly": None
            if self.nightly is None
            else {"repository": self.nightly.repository, "base_ref": self.nightly.base_ref},
            "final_files": dict(self.final_files),
        }

    def to_json(self) -> str:
        """The report as indented JSON text."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        """Read a report back; raises ValueError on a version this code does not understand."""
        if data.get("version") != REPORT_VERSION:
            found = data.get("version")
            raise ValueError(
                f"report version {found!r} is not supported (expected {REPORT_VERSION})"
            )
        return cls(
            repo=data["repo"],
            base=data["base"],
            head=data["head"],
            tasks=tuple(data["tasks"]),
            identity=EngineIdentity(data["engine"], data.get("model"), data.get("adapter")),
            proposals=tuple(Proposal.from_dict(p) for p in data["proposals"]),
            files=tuple(FileNote(f["path"], f["status"], f.get("reason")) for f in data["files"]),
            skipped=tuple(
                SkippedTarget(s["task"], s["path"], s["symbol"], s["reason"])
                for s in data.get("skipped", [])
            ),
            notes=tuple(data.get("notes", [])),
            style=data.get("style"),
            config_source=data.get("config", "defaults"),
            timings=dict(data.get("timings", {})),
            tool_version=data.get("tool", {}).get("version", ""),
            pull_request=None
            if data.get("pull_request") is None
            else PullRequestRef.from_dict(data["pull_request"]),
            nightly=None
            if data.get("nightly") is None
            else NightlyRef(data["nightly"]["repository"], data["nightly"]["base_ref"]),
            final_files=dict(data.get("final_files", {})),
        )
