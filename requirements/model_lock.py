"""Write the model lock from `pip install --dry-run --report` resolutions (see `make lock`).

Each report is one resolution of `.[model]` for Linux x86_64 and one Python version; the lock
pins every package once, with the hashes of the wheels each Python version uses. `--without
torch` leaves torch out: `cuda_closure.py` pins PyPI's torch (on Linux x86_64 the CUDA build a
GPU runner wants) and its CUDA runtime instead, so the resolution itself may use a CPU build.

    python requirements/model_lock.py [--without NAME] REPORT.json [...] > rest.lock
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def lock(reports: list[dict], without: set[str]) -> str:
    """The lock text: `name==version` and its `--hash` lines, sorted by name; `without` left out."""
    pins: dict[str, tuple[str, set[str]]] = {}
    for report in reports:
        for item in report["install"]:
            name = item["metadata"]["name"].lower().replace("_", "-")
            if name in without:
                continue
            version = item["metadata"]["version"]
            hashes = item["download_info"].get("archive_info", {}).get("hashes", {})
            if "sha256" not in hashes:  # the project itself, installed from its folder
                continue
            known = pins.setdefault(name, (version, set()))
            if known[0] != version:
                sys.exit(f"{name}: {known[0]} in one resolution, {version} in another")
            known[1].add(hashes["sha256"])
    lines = ["# Written by `make lock` (requirements/model_lock.py, cuda_closure.py); do not edit."]
    for name, (version, hashes) in sorted(pins.items()):
        lines.append(f"{name}=={version} \\")
        ordered = sorted(hashes)
        for index, digest in enumerate(ordered):
            end = " \\" if index < len(ordered) - 1 else ""
            lines.append(f"    --hash=sha256:{digest}{end}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    args = sys.argv[1:]
    without = set()
    while args and args[0] == "--without":
        without.add(args[1])
        args = args[2:]
    sys.stdout.write(lock([json.loads(Path(p).read_text()) for p in args], without))
