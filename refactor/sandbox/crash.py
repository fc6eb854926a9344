"""The error a session stopped with, read from its output (a traceback's last exception).

A suite can stop before it runs anything: a `conftest.py` whose hook pytest refuses
(`PluginValidationError`), an import that fails while pytest starts. The note that says so
names that error, not the warnings printed after it (coverage's "no data was collected").
"""

from __future__ import annotations

import re

#: A traceback's exception line: an optionally dotted class name ending the way errors do.
_EXCEPTION = re.compile(
    r"^(?:[A-Za-z_][\w]*\.)*(?P<name>\w*(?:Error|Exception|Exit|Failure|Interrupt))"
    r"(?::\s*(?P<message>.*))?$"
)
#: Prefixes pytest puts before the lines of its own report of an error.
_PREFIXES = re.compile(r"^(?:INTERNALERROR>|E|!+)\s+")
#: What follows the error and is not part of it: a warning, or indented source it quotes.
_NOT_MESSAGE = re.compile(r"Warning:|^\s|^Traceback \(|^During handling")


def stopped_with(output: str, root: str, limit: int = 400) -> str:
    """The last exception `output` names with the lines of its message; "" if none.

    `root` (the session's worktree) is cut from paths, so they read as the repository's own.
    """
    lines = [_PREFIXES.sub("", line).rstrip(" !") for line in output.splitlines()]
    found = None
    for index, line in enumerate(lines):
        match = _EXCEPTION.match(line.strip())
        if match is not None and not line.startswith((" ", "\t")):
            found = index, match
    if found is None:
        return ""
    index, match = found
    message = [match.group("message") or ""]
    for line in lines[index + 1 :]:
        if not line.strip() or _NOT_MESSAGE.search(line):
            break
        message.append(line.strip())
    text = f"{match.group('name')}: {' '.join(part for part in message if part)}".strip(": ")
    text = text.replace(root.rstrip("/") + "/", "")
    return text if len(text) <= limit else text[: limit - 1] + "…"
