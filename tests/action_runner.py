"""Runs a composite action's steps the way a GitHub runner does, for end-to-end tests.

It reads `action.yml`, evaluates the `${{ }}` expressions it uses (contexts, string literals,
`==`, `!=`, `&&`, `||`, `!`, `always()`), gives each step the variables the runner sets
(`GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, `RUNNER_TEMP`, ...) and runs its `run:` script with
`bash --noprofile --norc -eo pipefail`, as `shell: bash` does. An expression it does not
understand is an error, so the action cannot drift into syntax this runner ignores.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)
_TOKEN = re.compile(r"\s*(==|!=|&&|\|\||!|\(|\)|'(?:[^']|'')*'|[A-Za-z_][\w.-]*(?:\(\))?)")


class _Parser:
    """A recursive-descent reader of the expression subset actions use."""

    def __init__(self, text: str, lookup: Mapping[str, Any]) -> None:
        self.tokens = [t for t in _TOKEN.findall(text) if t]
        if "".join(self.tokens).replace(" ", "") != text.replace(" ", "").replace("\n", ""):
            raise ValueError(f"expression not understood: {text!r}")
        self.lookup = lookup
        self.at = 0

    def _peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _take(self) -> str:
        self.at += 1
        return self.tokens[self.at - 1]

    def parse(self) -> Any:
        value = self._or()
        if self._peek() is not None:
            raise ValueError(f"unexpected {self._peek()!r}")
        return value

    def _or(self) -> Any:
        value = self._and()
        while self._peek() == "||":
            self._take()
            right = self._and()
            value = value or right
        return value

    def _and(self) -> Any:
        value = self._compare()
        while self._peek() == "&&":
            self._take()
            right = self._compare()
            value = value and right
        return value

    def _compare(self) -> Any:
        value = self._unary()
        while self._peek() in ("==", "!="):
            operator = self._take()
            right = self._unary()
            value = (value == right) if operator == "==" else (value != right)
        return value

    def _unary(self) -> Any:
        if self._peek() == "!":
            self._take()
            return not self._unary()
        if self._peek() == "(":
            self._take()
            value = self._or()
            assert self._take() == ")"
            return value
        token = self._take()
        if token.startswith("steps."):
            return self.lookup.get(token, "")  # an output a step did not set is empty
        if token.startswith("'"):
            return token[1:-1].replace("''", "'")
        if token == "always()":
            return True
        if token in ("true", "false"):
            return token == "true"
        if token not in self.lookup:
            raise KeyError(f"unknown context value {token!r}")
        return self.lookup[token]


def evaluate(text: str, lookup: Mapping[str, Any]) -> Any:
    """The value of one expression (without `${{ }}`)."""
    return _Parser(text.strip(), lookup).parse()


def interpolate(text: str, lookup: Mapping[str, Any]) -> str:
    """A string with every `${{ }}` replaced by its value (as GitHub prints it)."""

    def one(match: re.Match[str]) -> str:
        value = evaluate(match.group(1), lookup)
        return (
            "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        )

    return _EXPRESSION.sub(one, text)


def read_outputs(path: Path) -> dict[str, str]:
    """The `name=value` (and `name<<DELIMITER` multi-line) entries of a GITHUB_OUTPUT file."""
    outputs: dict[str, str] = {}
    lines = path.read_text().splitlines() if path.exists() else []
    index = 0
    while index < len(lines):
        line = lines[index]
        if "<<" in line and "=" not in line.split("<<", 1)[0]:
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, index + 1)
            outputs[name] = "\n".join(lines[index + 1 : end])
            index = end + 1
            continue
        name, _, value = line.partition("=")
        outputs[name] = value
        index += 1
    return outputs


@dataclass
class StepResult:
    """One step: whether it ran, its exit code, outputs and printed text."""

    id: str
    ran: bool
    returncode: int = 0
    outputs: dict[str, str] = field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""


@dataclass
class ActionRun:
    """What a run of the action left: each step, the action's outputs and the job summary."""

    steps: list[StepResult]
    outputs: dict[str, str]
    summary: str

    @property
    def failed(self) -> StepResult | None:
        """The first step that failed, if any."""
        return next((s for s in self.steps if s.ran and s.returncode != 0), None)


def run_action(
    action_dir: Path,
    inputs: Mapping[str, str],
    *,
    github: Mapping[str, str],
    env: Mapping[str, str],
    runner_temp: Path,
    tool_cache: Path,
) -> ActionRun:
    """Run `action_dir/action.yml` with `inputs`; `github` holds the github context values used.

    `env` is the job's environment (GITHUB_EVENT_NAME, GITHUB_TOKEN, ...); each step adds its own.
    """
    action = yaml.safe_load((action_dir / "action.yml").read_text())
    runner = {"runner.temp": str(runner_temp), "runner.tool_cache": str(tool_cache)}
    contexts: dict[str, Any] = {f"github.{k}": v for k, v in github.items()} | runner
    contexts["github.action_path"] = str(action_dir)
    for name, spec in action["inputs"].items():
        given = inputs.get(name)
        contexts[f"inputs.{name}"] = (
            given if given is not None else interpolate(str(spec.get("default", "")), contexts)
        )
    unknown = set(inputs) - set(action["inputs"])
    if unknown:
        raise KeyError(f"inputs the action does not declare: {sorted(unknown)}")
    summary = runner_temp / "step-summary.md"
    results: list[StepResult] = []
    failed = False
    for index, step in enumerate(action["runs"]["steps"]):
        step_id = step.get("id", f"step{index}")
        condition = step.get("if")
        if condition is not None:
            condition = condition.strip().removeprefix("${{").removesuffix("}}")
            should = evaluate(condition, contexts) and (not failed or "always()" in condition)
        else:
            should = not failed
        if not should:
            results.append(StepResult(step_id, ran=False))
            continue
        output_file = runner_temp / f"output-{index}"
        output_file.write_text("")
        step_env = {
            **os.environ,
            **env,
            "GITHUB_OUTPUT": str(output_file),
            "GITHUB_STEP_SUMMARY": str(summary),
            "RUNNER_TEMP": str(runner_temp),
            "RUNNER_TOOL_CACHE": str(tool_cache),
            "GITHUB_ACTION_PATH": str(action_dir),
            "CI": "true",
        }
        step_env.update({k: interpolate(str(v), contexts) for k, v in step.get("env", {}).items()})
        assert step.get("shell") == "bash", "this runner runs bash steps only"
        script = runner_temp / f"step-{index}.sh"
        script.write_text(step["run"])
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            env=step_env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        outputs = read_outputs(output_file)
        results.append(
            StepResult(step_id, True, done.returncode, outputs, done.stdout, done.stderr)
        )
        contexts.update({f"steps.{step_id}.outputs.{k}": v for k, v in outputs.items()})
        failed = failed or done.returncode != 0
    action_outputs = {
        name: interpolate(spec["value"], contexts)
        for name, spec in action.get("outputs", {}).items()
    }
    return ActionRun(results, action_outputs, summary.read_text() if summary.exists() else "")
