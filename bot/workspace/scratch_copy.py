"""The scratch copy of a commit that sandboxed runs work in: extracted, never checked out.

`git archive` gives the commit's files without a checkout or a `.git`; links that point outside
the copy are left out (and named), so a pull request cannot reach a host file through one.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Sequence
from pathlib import Path

from codegen_bot.bot.workspace.repository import Workspace


def export_tree(workspace: Workspace, rev: str, folder: Path) -> tuple[str, ...]:
    """Extract the files of commit `rev` into `folder` (`git archive`: no checkout, no .git).

    Returns what was left out: links that point outside the copy (absolute, or up past its
    root), which `tarfile`'s data filter refuses, so they can never reach a host file.
    """
    buffer = io.BytesIO()
    workspace.repo.archive(buffer, treeish=rev, format="tar")
    buffer.seek(0)
    left_out: list[str] = []

    def only_safe(member: tarfile.TarInfo, path: str) -> tarfile.TarInfo | None:
        try:
            return tarfile.data_filter(member, path)
        except tarfile.FilterError:
            left_out.append(member.name)
            return None

    with tarfile.open(fileobj=buffer) as archive:
        archive.extractall(folder, filter=only_safe)
    return tuple(left_out)


def left_out_note(left_out: Sequence[str]) -> list[str]:
    """The report's note about links left out of the scratch copy (none when nothing was)."""
    if not left_out:
        return []
    shown = ", ".join(f"`{name}`" for name in left_out[:5])
    more = f" and {len(left_out) - 5} more" if len(left_out) > 5 else ""
    return [f"left out of the copy: links that point outside the repository ({shown}{more})"]


def read_copied(path: Path, max_bytes: int) -> str | None:
    """A file of the scratch copy as text; None when missing, not UTF-8, or over `max_bytes`."""
    try:
        if path.stat().st_size > max_bytes:
            return None
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
