"""Static checks of action.yml and workflows/: zizmor, actionlint, GitHub's JSON schemas, and our rules.

Each tool is also shown a workflow with known faults, so a silent tool cannot pass these tests.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / "workflows").glob("codegen-*.yml"))
ACTION = ROOT / "action.yml"
BIN = Path(sys.executable).parent

BAD_WORKFLOW = """\
name: bad
on:
  pull_request_target:
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: echo "${{ github.event.pull_request.title }}"
"""


def _zizmor(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            BIN / "zizmor",
            "--offline",
            "--persona",
            "pedantic",
            "--format",
            "plain",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def _actionlint(*paths: Path) -> list[dict[str, object]]:
    if shutil.which("node") is None or not (ROOT / "node_modules" / "@tktco").is_dir():
        pytest.fail("node and the npm fixtures are needed: run `npm ci` (make test does)")
    run = subprocess.run(
        ["node", str(ROOT / "tests" / "tools" / "actionlint.cjs"), *map(str, paths)],
        capture_output=True,
        text=True,
        check=True,
    )
    findings = json.loads(run.stdout)
    # What `.github/actionlint.yaml` does for the real binary: custom runner labels are known.
    config = yaml.safe_load((ROOT / "workflows" / "actionlint.yaml").read_text())
    known = {f'label "{label}" is unknown' for label in config["self-hosted-runner"]["labels"]}
    return [f for f in findings if not any(str(f["message"]).startswith(k) for k in known)]


def _schema(schema: str, *paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BIN / "check-jsonschema", "--builtin-schema", schema, *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_zizmor_finds_nothing() -> None:
    run = _zizmor(ACTION, *WORKFLOWS)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "No findings to report" in run.stdout + run.stderr


def test_actionlint_finds_nothing() -> None:
    assert _actionlint(*WORKFLOWS) == []


def test_workflows_and_action_match_github_schemas() -> None:
    workflows = _schema("vendor.github-workflows", *WORKFLOWS)
    assert workflows.returncode == 0, workflows.stdout + workflows.stderr
    action = _schema("vendor.github-actions", ACTION)
    assert action.returncode == 0, action.stdout + action.stderr


def test_the_tools_do_find_faults(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(BAD_WORKFLOW)
    zizmor = _zizmor(bad)
    assert zizmor.returncode != 0 and "dangerous-triggers" in zizmor.stdout
    assert any("potentially untrusted" in str(f["message"]) for f in _actionlint(bad))
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    steps: 3\n")
    assert _schema("vendor.github-workflows", broken).returncode != 0


def _all_uses() -> list[str]:
    found = []
    for path in [ACTION, *WORKFLOWS]:
        found += re.findall(r"^\s*(?:-\s*)?uses:\s*(\S+)", path.read_text(), re.M)
    return found


def test_every_action_is_pinned_to_a_full_commit() -> None:
    uses = _all_uses()
    assert uses
    for ref in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), ref


def test_event_text_never_inside_run_and_no_pull_request_target() -> None:
    for path in [ACTION, *WORKFLOWS]:
        document = yaml.safe_load(path.read_text())
        assert "pull_request_target" not in path.read_text()
        steps = (
            document["runs"]["steps"]
            if path == ACTION
            else [step for job in document["jobs"].values() for step in job.get("steps", [])]
        )
        for step in steps:
            assert "${{" not in step.get("run", ""), f"{path.name}: expression inside run: {step}"


def test_least_permissions_and_concurrency() -> None:
    for path in WORKFLOWS:
        document = yaml.safe_load(path.read_text())
        assert document["permissions"] == {}, path.name
        assert "concurrency" in document, path.name
        for name, job in document["jobs"].items():
            permissions = job["permissions"]
            if "self-hosted" in job["runs-on"]:
                # The job that runs pull-request code can read and nothing more.
                assert set(permissions.values()) == {"read"}, (path.name, name)
                assert not any("secrets." in json.dumps(step) for step in job["steps"]), (
                    path.name,
                    name,
                )
    review = yaml.safe_load((ROOT / "workflows" / "codegen-review.yml").read_text())
    assert review["concurrency"]["cancel-in-progress"] is True
    assert review[True]["pull_request"]["types"] == [
        "opened",
        "synchronize",
        "reopened",
        "ready_for_review",
    ]


def _readme_inputs() -> set[str]:
    """The inputs README's "Setting up the Action" names, in its sentence "its inputs are …"."""
    text = " ".join((ROOT / "README.md").read_text().split())
    sentence = text.split("its inputs are ", 1)[1].split("; its outputs", 1)[0]
    return set(re.findall(r"`([a-z-]+)`", sentence))


def test_every_action_input_is_documented_and_engine_inputs_reach_codegen() -> None:
    action = yaml.safe_load(ACTION.read_text())
    assert set(action["inputs"]) == _readme_inputs()
    run = next(step for step in action["runs"]["steps"] if step.get("id") == "run")
    # The engine's settings are the runner's inputs, passed as codegen's own flags.
    for name, flag in {
        "engine": "--engine",
        "model": "--model",
        "adapters": "--adapters",
        "server": "--server",
        "samples": "--samples",
        "prompt-format": "--prompt-format",
    }.items():
        variable = name.upper().replace("-", "_")
        assert run["env"][variable] == f"${{{{ inputs.{name} }}}}", name
        assert f'{flag} "${variable}"' in run["run"], name
    for name in ("samples", "prompt-format"):
        assert action["inputs"][name]["default"] == ""  # empty: the repository's settings
