"""The Action installs from hash-checked locks that agree with pyproject.toml (no network here).

`make lock` writes `requirements/action.lock` (the plain install) and `action-model.lock` (with
the model extra); action.yml's setup step installs with `pip install --require-hashes`. When
pyproject.toml's requirements change and the locks are not refreshed, these tests fail.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+?)(?:\s*;.*?)?\s*\\?$")


def pins(lock: Path) -> dict[str, tuple[Version, int]]:
    """name → (pinned version, number of hashes) for every entry of a pip-compile lock."""
    found: dict[str, tuple[Version, int]] = {}
    current = None
    for line in lock.read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = canonicalize_name(match["name"])
            found[current] = (Version(match["version"]), 0)
        elif line.strip().startswith("--hash=sha256:") and current is not None:
            version, count = found[current]
            found[current] = (version, count + 1)
        elif line and not line.startswith((" ", "#")):
            pytest.fail(f"{lock.name}: a line that is no pin: {line!r}")
    return found


def requirements(extras: tuple[str, ...] = ()) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    build = project["build-system"]["requires"]
    listed = project["project"]["dependencies"] + build
    for extra in extras:
        listed += project["project"]["optional-dependencies"][extra]
    return [Requirement(text) for text in listed]


def disagreements(lock: Path, extras: tuple[str, ...]) -> list[str]:
    """What the lock misses or pins outside pyproject.toml's ranges, and unhashed pins."""
    pinned = pins(lock)
    problems = [f"{name} has no hash" for name, (_, hashes) in pinned.items() if hashes == 0]
    for requirement in requirements(extras):
        name = canonicalize_name(requirement.name)
        if name not in pinned:
            problems.append(f"{requirement} is not in {lock.name}")
        elif not requirement.specifier.contains(pinned[name][0], prereleases=True):
            problems.append(f"{lock.name} pins {name}=={pinned[name][0]}, not {requirement}")
    return problems


@pytest.mark.parametrize(
    ("lock", "extras"),
    [("action.lock", ()), ("action-model.lock", ("model",))],
)
def test_each_lock_pins_every_requirement_with_hashes(lock: str, extras: tuple[str, ...]) -> None:
    path = ROOT / "requirements" / lock
    assert path.exists(), f"{path} is missing: run `make lock`"
    assert disagreements(path, extras) == [], "pyproject.toml changed: run `make lock`"


def test_a_lock_that_disagrees_is_caught(tmp_path: Path) -> None:
    text = (ROOT / "requirements" / "action.lock").read_text()
    stale = tmp_path / "action.lock"
    # a dependency dropped from the lock, another pinned below pyproject's range
    stale.write_text(
        re.sub(r"(?m)^pygithub==.*\n(    .*\n)*", "", text).replace(
            re.search(r"(?m)^ruff==\S+", text).group(0), "ruff==0.1.0"
        )
    )
    problems = disagreements(stale, ())
    assert any(p.startswith("PyGithub>=") and "is not in" in p for p in problems), problems
    assert any("pins ruff==0.1.0" in p for p in problems), problems


def test_the_action_installs_only_from_the_locks() -> None:
    setup = (ROOT / "action.yml").read_text()
    installs = [line.strip() for line in setup.splitlines() if "pip install" in line]
    assert installs, "action.yml installs nothing?"
    for line in installs:
        assert "--require-hashes" in line or "--no-deps --no-build-isolation" in line, line
    assert "requirements/action.lock" in setup and "requirements/action-model.lock" in setup
