"""Pin a PyPI torch release and its CUDA runtime for Linux x86_64, with hashes, for the model lock.

pip can only resolve CUDA torch by downloading every candidate wheel (gigabytes) where the index
serves no separate metadata; this reads each wheel's `.metadata` file from PyPI instead (a few
kB) and follows its `Requires-Dist` for Linux x86_64 and one CPython version, taking the newest
release that satisfies each requirement. It prints lock lines (`name==version` plus `--hash`)
for torch and every package it pulls in that `--known` (an existing lock) does not already pin.

    python requirements/cuda_closure.py torch==2.13.0 --python 3.11 --known LOCK > extra.lock
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import urllib.error
import urllib.request
import zipfile
from email.parser import Parser
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

INDEX = "https://pypi.org/simple"
#: A wheel without a separate metadata file is downloaded to read it, up to this size.
MAX_WHEEL_BYTES = 100 << 20
_LINK = re.compile(r'href="(?P<url>[^"#]+)#sha256=(?P<sha>[0-9a-f]{64})"')


def fetch(url: str) -> str:
    """The text at `url`."""
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read().decode("utf-8")


def requires(wheel_url: str) -> list[str] | None:
    """A wheel's `Requires-Dist` lines (PyPI's `.metadata` file, or the small wheel itself)."""
    try:
        text = fetch(wheel_url + ".metadata")
    except urllib.error.HTTPError as error:
        if error.code != 404:
            raise
        # No separate metadata: read it from the wheel itself, when the wheel is small.
        with urllib.request.urlopen(wheel_url, timeout=120) as response:
            size = int(response.headers.get("Content-Length") or 0)
            if size > MAX_WHEEL_BYTES:
                return None
            archive = zipfile.ZipFile(io.BytesIO(response.read()))
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        text = archive.read(name).decode("utf-8")
    return Parser().parsestr(text).get_all("Requires-Dist") or []


def supported(python: str) -> set[Tag]:
    """The tags a manylinux x86_64 CPython `python` (e.g. `3.11`) installs."""
    nodot = python.replace(".", "")
    platforms = [f"manylinux_2_{minor}_x86_64" for minor in range(5, 29)]
    platforms += ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64", "any"]
    interpreters = [f"cp{nodot}", f"py{nodot}", "py3", f"cp{nodot[0]}{nodot[1:]}"]
    abis = [f"cp{nodot}", "abi3", "none"]
    return {Tag(i, a, p) for i in interpreters for a in abis for p in platforms}


def wheels(name: str, tags: set[Tag]) -> dict[Version, list[tuple[str, str]]]:
    """Version → [(url, sha256)] of the wheels of `name` this interpreter installs."""
    found: dict[Version, list[tuple[str, str]]] = {}
    for match in _LINK.finditer(fetch(f"{INDEX}/{canonicalize_name(name)}/")):
        filename = match["url"].rsplit("/", 1)[-1]
        if not filename.endswith(".whl"):
            continue
        _, version, _, file_tags = parse_wheel_filename(filename)
        if version.is_prerelease or not (set(file_tags) & tags):
            continue
        found.setdefault(version, []).append((match["url"], match["sha"]))
    return found


def closure(root: str, python: str, known: set[str]) -> list[tuple[str, Version, list[str]]]:
    """Every package `root` needs on Linux x86_64 CPython `python`, with the wheels' hashes."""
    tags = supported(python)
    environment = default_environment() | {
        "python_version": python,
        "python_full_version": f"{python}.0",
        "platform_system": "Linux",
        "sys_platform": "linux",
        "platform_machine": "x86_64",
        "implementation_name": "cpython",
    }
    pinned: dict[str, tuple[str, Version, list[str]]] = {}
    wanted: dict[str, SpecifierSet] = {}
    unread: set[tuple[str, Version]] = set()
    todo = [(Requirement(root), "")]
    root_name = canonicalize_name(Requirement(root).name)
    while todo:
        requirement, extra = todo.pop(0)
        if requirement.marker and not requirement.marker.evaluate(environment | {"extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        if name in known and name != root_name:
            continue
        wanted[name] = wanted.get(name, SpecifierSet()) & requirement.specifier
        fits = name in pinned and wanted[name].contains(pinned[name][1], prereleases=True)
        if not fits:  # first seen, or a later requirement pins it tighter: (re)choose
            available = wheels(name, tags)
            matching = [v for v in available if wanted[name].contains(v)]
            if not matching:
                sys.exit(f"no wheel of {name}{wanted[name]} for Linux x86_64 CPython {python}")
            chosen = max(matching)
            files = available[chosen]
            pinned[name] = (requirement.name, chosen, sorted(sha for _, sha in files))
            needs = requires(files[0][0])
            if needs is None:  # no separate metadata: fine if a tighter pin replaces it later
                unread.add((name, chosen))
            todo.extend((Requirement(text), "") for text in needs or [])
        if requirement.extras:
            files = wheels(name, tags)[pinned[name][1]]
            for text in requires(files[0][0]) or []:
                todo.extend((Requirement(text), extra) for extra in requirement.extras)
    missing = [f"{n}=={v}" for n, v in unread if pinned[n][1] == v]
    if missing:
        sys.exit(f"PyPI has no metadata file for {', '.join(missing)}: cannot follow its needs")
    return sorted(pinned.values(), key=lambda item: canonicalize_name(item[0]))


def main() -> None:
    """Print the lock lines of `root`'s closure."""
    parser = argparse.ArgumentParser()
    parser.add_argument("root")
    parser.add_argument("--python", default="3.11")
    parser.add_argument("--known", help="a lock whose pins are kept as they are")
    args = parser.parse_args()
    known: set[str] = set()
    if args.known:
        for line in Path(args.known).read_text(encoding="utf-8").splitlines():
            if "==" in line and not line.startswith((" ", "#")):
                known.add(canonicalize_name(line.split("==", 1)[0]))
    for name, version, hashes in closure(args.root, args.python, known):
        sys.stdout.write(f"{canonicalize_name(name)}=={version} \\\n")
        lines = [f"    --hash=sha256:{sha}" for sha in hashes]
        sys.stdout.write(" \\\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
