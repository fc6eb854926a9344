"""Read a docstring's parts — prose sentences and section entries — in any of the conventions.

Google (`Args:`), NumPy (underlined titles) and Sphinx (`:param x:`) sections are read alike, so
the facts gate can compare what a docstring states with what the code shows whatever its style.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from typing import Literal

Section = Literal["param", "attribute", "returns", "yields", "raises", "other"]

_GOOGLE_TITLES: dict[str, Section] = {
    "args": "param",
    "arguments": "param",
    "parameters": "param",
    "params": "param",
    "keyword args": "param",
    "keyword arguments": "param",
    "other parameters": "param",
    "attributes": "attribute",
    "returns": "returns",
    "return": "returns",
    "yields": "yields",
    "yield": "yields",
    "raises": "raises",
    "except": "raises",
    "exceptions": "raises",
}
_GOOGLE_HEADER = re.compile(r"^\s*([A-Z][A-Za-z ]*):\s*$")
_NUMPY_RULE = re.compile(r"^\s*-{3,}\s*$")
_SPHINX_FIELD = re.compile(
    r"^\s*:(param|parameter|arg|argument|key|keyword|type|returns?|rtype|yields?|ytype|raises?"
    r"|except|exception|ivar|var|cvar|vartype)((?:\s+[^:]+?)?)\s*:(.*)$"
)
_SPHINX_SECTIONS: dict[str, Section] = {
    "param": "param",
    "parameter": "param",
    "arg": "param",
    "argument": "param",
    "key": "param",
    "keyword": "param",
    "type": "param",
    "returns": "returns",
    "return": "returns",
    "rtype": "returns",
    "yields": "yields",
    "yield": "yields",
    "ytype": "yields",
    "raises": "raises",
    "raise": "raises",
    "except": "raises",
    "exception": "raises",
    "ivar": "attribute",
    "var": "attribute",
    "cvar": "attribute",
    "vartype": "attribute",
}
_ENTRY_WITH_TYPE = re.compile(r"^(\*{0,2}[A-Za-z_][\w.]*)\s*\(([^)]*)\)\s*:\s*(.*)$")
_ENTRY = re.compile(r"^(\*{0,2}[A-Za-z_][\w.]*)\s*:\s*(.*)$")
_NUMPY_ENTRY = re.compile(
    r"^(\*{0,2}[A-Za-z_][\w.]*(?:\s*,\s*\*{0,2}[A-Za-z_]\w*)*)\s*(?::\s*(.*))?$"
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`(])")


@dataclass(frozen=True)
class Entry:
    """One item of a section: a parameter, attribute, return value or exception."""

    section: Section
    name: str | None  # parameter, attribute or exception name; None for returns/yields
    type: str | None
    text: str
    line: str  # the entry as written (first line), for messages


@dataclass(frozen=True)
class ParsedDoc:
    """A docstring's prose sentences, its section entries, and the convention its sections use."""

    prose: tuple[str, ...]
    entries: tuple[Entry, ...]
    style: Literal["google", "numpy", "sphinx"] | None  # None: prose only

    def of(self, section: Section) -> list[Entry]:
        """Return the entries of one section, in order."""
        return [entry for entry in self.entries if entry.section == section]


def sentences(text: str) -> list[str]:
    """Split prose into sentences; doctest lines (`>>>` and their output) are not prose."""
    kept: list[str] = []
    in_example = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(">>>"):
            in_example = True
            continue
        if in_example and stripped:
            continue
        in_example = False
        kept.append(stripped)
    found: list[str] = []
    for paragraph in re.split(r"\n\s*\n", "\n".join(kept)):
        joined = " ".join(paragraph.split())
        found.extend(part for part in _SENTENCE_END.split(joined) if part)
    return found


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _blocks(lines: list[str], start: int, base: int) -> tuple[list[list[str]], int]:
    """Group the lines after a section title into entries (an entry's continuation is deeper)."""
    blocks: list[list[str]] = []
    index = start
    entry_indent: int | None = None
    while index < len(lines):
        line = lines[index]
        if not line.strip():
            index += 1
            continue
        indent = _indent(line)
        if indent <= base:
            break
        if entry_indent is None:
            entry_indent = indent
        if indent <= entry_indent or not blocks:
            blocks.append([line.strip()])
        else:
            blocks[-1].append(line.strip())
        index += 1
    return blocks, index


def _google_entry(section: Section, block: list[str]) -> Entry:
    first, rest = block[0], " ".join(block[1:])
    if section in ("param", "attribute", "raises"):
        typed = _ENTRY_WITH_TYPE.match(first)
        if typed and section != "raises":
            return Entry(section, typed[1], typed[2], f"{typed[3]} {rest}".strip(), first)
        plain = _ENTRY.match(first)
        if plain:
            return Entry(section, plain[1], None, f"{plain[2]} {rest}".strip(), first)
        return Entry(section, None, None, " ".join(block), first)
    plain = _ENTRY.match(first)
    if plain and " " not in plain[1]:
        return Entry(section, None, plain[1], f"{plain[2]} {rest}".strip(), first)
    return Entry(section, None, None, " ".join(block), first)


def _numpy_entries(section: Section, lines: list[str]) -> list[Entry]:
    entries: list[Entry] = []
    base = min((_indent(line) for line in lines if line.strip()), default=0)
    for line in lines:
        if not line.strip():
            continue
        if _indent(line) == base:
            head = line.strip()
            match = _NUMPY_ENTRY.match(head)
            if section in ("returns", "yields"):
                name, kind = (match[1], match[2]) if match and match[2] else (None, head)
                entries.append(Entry(section, name, kind, "", head))
            elif match:
                for name in re.split(r"\s*,\s*", match[1]):
                    entries.append(Entry(section, name, match[2], "", head))
            else:
                entries.append(Entry(section, None, None, head, head))
        elif entries:
            last = entries[-1]
            text = f"{last.text} {line.strip()}".strip()
            entries[-1] = Entry(last.section, last.name, last.type, text, last.line)
    return entries


def _parse_numpy(lines: list[str]) -> tuple[list[str], list[Entry]]:
    prose: list[str] = []
    entries: list[Entry] = []
    titles = [
        i for i in range(len(lines) - 1) if _NUMPY_RULE.match(lines[i + 1]) and lines[i].strip()
    ]
    prose_end = titles[0] if titles else len(lines)
    prose.extend(lines[:prose_end])
    for number, title_index in enumerate(titles):
        end = titles[number + 1] if number + 1 < len(titles) else len(lines)
        title = lines[title_index].strip().lower()
        section: Section = _GOOGLE_TITLES.get(title, "other")
        body = lines[title_index + 2 : end]
        if section == "other":
            if title in ("notes", "note"):
                prose.extend(body)
            continue
        entries.extend(_numpy_entries(section, body))
    return prose, entries


def _parse_sphinx(lines: list[str]) -> tuple[list[str], list[Entry]]:
    prose: list[str] = []
    entries: list[Entry] = []
    for line in lines:
        field = _SPHINX_FIELD.match(line)
        if field is None:
            if entries and line.strip() and _indent(line) > 0:
                last = entries[-1]
                entries[-1] = Entry(
                    last.section, last.name, last.type, f"{last.text} {line.strip()}", last.line
                )
            elif not entries:
                prose.append(line)
            continue
        kind, argument, text = field[1].lower(), field[2].strip(), field[3].strip()
        section = _SPHINX_SECTIONS.get(kind, "other")
        words = argument.split()
        name = words[-1] if words else None
        kind_text = " ".join(words[:-1]) or None
        if kind in ("type", "vartype"):
            entries.append(Entry(section, name, text, "", line.strip()))
        elif kind in ("rtype", "ytype"):
            entries.append(Entry(section, None, text, "", line.strip()))
        elif section in ("returns", "yields"):
            entries.append(Entry(section, None, None, text, line.strip()))
        else:
            entries.append(Entry(section, name, kind_text, text, line.strip()))
    return prose, entries


def _parse_google(lines: list[str]) -> tuple[list[str], list[Entry]]:
    prose: list[str] = []
    entries: list[Entry] = []
    index = 0
    while index < len(lines):
        header = _GOOGLE_HEADER.match(lines[index])
        title = header[1].strip().lower() if header else ""
        if not header or (title not in _GOOGLE_TITLES and title not in _GOOGLE_OTHER):
            prose.append(lines[index])
            index += 1
            continue
        blocks, index = _blocks(lines, index + 1, _indent(lines[index]))
        section = _GOOGLE_TITLES.get(title)
        if section is None:
            if title in ("note", "notes"):
                prose.extend(" ".join(block) for block in blocks)
            continue
        entries.extend(_google_entry(section, block) for block in blocks)
    return prose, entries


_GOOGLE_OTHER = {
    "example", "examples", "note", "notes", "see also", "todo", "warning", "warnings",
    "references", "usage",
}  # fmt: skip


def parse_docstring(text: str) -> ParsedDoc:
    """Return the prose and section entries of `text` (its indentation may be raw or cleaned)."""
    lines = inspect.cleandoc(text).splitlines()
    style: Literal["google", "numpy", "sphinx"] | None
    if any(_NUMPY_RULE.match(lines[i + 1]) and lines[i].strip() for i in range(len(lines) - 1)):
        prose, entries = _parse_numpy(lines)
        style = "numpy"
    elif any(_SPHINX_FIELD.match(line) for line in lines):
        prose, entries = _parse_sphinx(lines)
        style = "sphinx"
    else:
        prose, entries = _parse_google(lines)
        style = "google" if entries else None  # "Examples:" or "See Also:" alone is prose
    if style == "numpy" and not entries:
        style = None
    return ParsedDoc(tuple(sentences("\n".join(prose))), tuple(entries), style)
