"""Hidden markers: HTML comments in the bot's own GitHub text, so it recognises what it posted.

Every comment, review and reply the bot writes carries one, e.g.
`<!-- codegen:suggestion {"key": "docs:a.py:f", "digest": "…"} -->`. GitHub renders nothing for
it; the bot reads it back to edit instead of posting again, to tell whether a write that failed
on the network landed, and to remember what it suggested. The data is JSON with `-` and `>`
escaped, so no value can close the comment early.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

_PATTERN = re.compile(r"<!-- codegen:(?P<kind>[a-z-]+) (?P<data>\{.*?\}) -->")


def hidden(kind: str, data: Mapping[str, Any]) -> str:
    """Return the marker of `kind` carrying `data` (a JSON object of strings, numbers, lists)."""
    text = json.dumps(dict(data), sort_keys=True, ensure_ascii=True)
    text = text.replace("-", "\\u002d").replace(">", "\\u003e")
    return f"<!-- codegen:{kind} {text} -->"


def find(kind: str, text: str | None) -> list[dict[str, Any]]:
    """Every marker of `kind` in `text`, decoded; markers that do not decode are ignored."""
    found = []
    for match in _PATTERN.finditer(text or ""):
        if match.group("kind") != kind:
            continue
        try:
            data = json.loads(match.group("data"))
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict):
            found.append(data)
    return found


def first(kind: str, text: str | None) -> dict[str, Any] | None:
    """Return the first marker of `kind` in `text`, or None."""
    markers = find(kind, text)
    return markers[0] if markers else None


def digest(*parts: str) -> str:
    """Return a short stable fingerprint of some texts (what was suggested, which run)."""
    sha = hashlib.sha256()
    for part in parts:
        sha.update(part.encode("utf-8"))
        sha.update(b"\0")
    return sha.hexdigest()[:16]
