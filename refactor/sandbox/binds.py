"""What a bubblewrap sandbox shows: only what a run needs, nothing else of the host.

The sandbox starts from an empty root. It binds, read-only, the system folders programs need to
start (`/usr` and its `/bin`, `/lib` links), a few files of `/etc` that hold no secret, and the
interpreter: its prefixes, its standard library and its site-packages, as the interpreter itself
reports them. The folders a run may write (the copy of the commit, the run's results) are bound
read-write, `/tmp` is a private tmpfs and the root is made read-only last. Nothing of `$HOME`,
`/root`, `/run`, `/var`, the host's `/tmp`, the runner's work folder or the model folder is
there unless the interpreter itself lives in it, and then only the interpreter's own folders.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

#: Every namespace unshared (no network, no other processes), killed with its parent, and no
#: capability even where the runner is root (else, in the sandbox's user namespace, a test could
#: ptrace the warm parent that forks the sessions, or remount what the sandbox shows).
NAMESPACES = ("--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL")
#: System folders, bound read-only when present (a link such as `/bin -> usr/bin` stays a link).
SYSTEM_FOLDERS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
#: Files of /etc that programs read while starting (the dynamic linker's cache, users and groups
#: for `getpass`, the time zone, `alternatives` links); none holds a secret.
ETC_FILES = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/alternatives",
    "/etc/localtime",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
)
_REPORT = (
    "import json, os, sys; print(json.dumps([sys.prefix, sys.base_prefix, sys.exec_prefix, "
    "sys.base_exec_prefix, os.path.dirname(os.path.realpath(sys.executable)), *sys.path]))"
)


def system_binds() -> list[str]:
    """The bubblewrap arguments for the system folders and the harmless files of /etc."""
    arguments: list[str] = []
    for folder in SYSTEM_FOLDERS:
        if os.path.islink(folder):
            arguments += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            arguments += ["--ro-bind", folder, folder]
    for path in ETC_FILES:
        arguments += ["--ro-bind-try", path, path]
    return [*arguments, "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]


@functools.cache
def interpreter_paths(python: str) -> tuple[Path, ...]:
    """The folders `python` needs: its prefixes, its executable's folder, its site-packages.

    Asked of the interpreter itself (with `-E -s`: no environment, no user site), so `.pth`
    files that add folders are honoured. Folders on its path that are neither under a prefix
    nor a site-packages (an editable project's checkout) are left out.
    """
    try:
        answer = subprocess.run(
            [python, "-E", "-s", "-c", _REPORT],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        )
        reported = [str(p) for p in json.loads(answer.stdout) if p]
    except (OSError, subprocess.SubprocessError, ValueError):
        reported = [sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(python))]
    prefixes = [Path(p) for p in reported[:5]]
    paths = set(prefixes)
    for entry in map(Path, reported[5:]):
        is_packages = entry.name in ("site-packages", "dist-packages")
        if entry.is_absolute() and (is_packages or any(entry.is_relative_to(p) for p in prefixes)):
            paths.add(entry)
    return outermost(p for p in paths if p.exists())


def outermost(paths: Iterable[Path]) -> tuple[Path, ...]:
    """`paths` without those inside another one of them, sorted."""
    unique = sorted(set(paths))
    kept: list[Path] = []
    for path in unique:
        if not any(path.is_relative_to(k) for k in kept):
            kept.append(path)
    return tuple(kept)


def _shown_by_system(path: Path) -> bool:
    real = Path(os.path.realpath(path))
    return any(real.is_relative_to(f) for f in SYSTEM_FOLDERS if not os.path.islink(f))


def bwrap_arguments(
    argv: Sequence[str], writable: Sequence[Path], hidden: Sequence[Path]
) -> list[str]:
    """The bubblewrap arguments (before `--chdir`) for running `argv` with `writable` folders.

    Read-only: the system, the interpreter `argv[0]`, and the folders of
    files named on the command line. `hidden` paths inside what is shown are masked.
    """
    program = argv[0] if argv else sys.executable
    shown = list(interpreter_paths(program))
    for argument in argv[1:]:
        path = Path(argument)
        if path.is_absolute() and path.exists():
            shown.append(path.parent if path.is_file() else path)
    readable = [
        p
        for p in outermost(shown)
        if not _shown_by_system(p) and not any(p.is_relative_to(w) for w in writable)
    ]
    arguments = [*NAMESPACES, *system_binds()]
    for path in readable:
        arguments += ["--ro-bind", str(path), str(path)]
    for path in writable:
        arguments += ["--bind", str(path), str(path)]
    for path in hidden:
        if not any(path.is_relative_to(p) for p in [*readable, *writable]):
            continue  # not shown in the first place
        if path.is_dir():
            arguments += ["--tmpfs", str(path)]
        elif path.exists():
            arguments += ["--ro-bind", "/dev/null", str(path)]
    # Last, so the folders above exist as mount points: nothing else can be written.
    return [*arguments, "--remount-ro", "/"]
