"""Docstrings from facts, rendered in the Google, NumPy, Sphinx or plain convention."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

_WIDTH = 72  # wrap long descriptions; ruff's line-length gate judges the rest


@dataclass(frozen=True)
class Entry:
    """One documented item: a parameter, attribute, return value or exception."""

    name: str | None
    type: str | None
    description: str
    optional: bool = False
    default: str | None = None


@dataclass(frozen=True)
class DocParts:
    """A docstring's content before a convention is applied."""

    summary: str
    params: list[Entry] = field(default_factory=list)
    attributes: list[Entry] = field(default_factory=list)
    returns: Entry | None = None
    yields: Entry | None = None
    raises: list[Entry] = field(default_factory=list)


# --- conventions -------------------------------------------------------------------------------


def _wrap(text: str, indent: str, first_prefix: str = "", hanging: str = "    ") -> list[str]:
    """Wrap one entry: the first line starts with `first_prefix`, the rest hang further in."""
    return textwrap.wrap(
        first_prefix + text,
        width=_WIDTH,
        initial_indent=indent,
        subsequent_indent=indent + hanging,
        break_long_words=False,
        break_on_hyphens=False,
    )


def render_google(parts: DocParts) -> str:
    """Render in the Google convention (`Args:`, `Returns:`, ...)."""
    lines = [parts.summary]

    def section(title: str, entries: list[Entry], with_defaults: bool = False) -> None:
        """Append a Google section (`Args:`, `Raises:`...), one indented line per entry."""
        if not entries:
            return
        lines.extend(["", f"{title}:"])
        for e in entries:
            description = e.description
            if with_defaults and e.default is not None:
                description = f"{description} Defaults to {e.default}."
            if e.name is None:
                head = f"{e.type}: " if e.type else ""
            else:
                head = f"{e.name} ({e.type}): " if e.type else f"{e.name}: "
            lines.extend(_wrap(description, "    ", head))

    section("Args", parts.params, with_defaults=True)
    section("Attributes", parts.attributes)
    section("Returns", [parts.returns] if parts.returns else [])
    section("Yields", [parts.yields] if parts.yields else [])
    section("Raises", parts.raises)
    return "\n".join(lines)


def render_numpy(parts: DocParts) -> str:
    """Render in the NumPy convention (underlined section titles, `name : type`)."""
    lines = [parts.summary]

    def section(title: str, entries: list[Entry], with_defaults: bool = False) -> None:
        """Append a NumPy section: the underlined title, then each entry and its text."""
        entries = [e for e in entries if e.name or e.type]
        if not entries:
            return
        lines.extend(["", title, "-" * len(title)])
        for e in entries:
            head = e.name or e.type or ""
            if e.name and e.type:
                head = f"{e.name} : {e.type}{', optional' if e.optional else ''}"
            elif e.name and e.optional:
                head = f"{e.name} : optional"
            lines.append(head)
            description = e.description
            if with_defaults and e.default is not None:
                description = f"{description} Default is {e.default}."
            lines.extend(_wrap(description, "    ", hanging=""))

    section("Parameters", parts.params, with_defaults=True)
    section("Attributes", parts.attributes)
    section("Returns", [parts.returns] if parts.returns else [])
    section("Yields", [parts.yields] if parts.yields else [])
    section("Raises", parts.raises)
    return "\n".join(lines)


def render_sphinx(parts: DocParts) -> str:
    """Render in the Sphinx field-list convention (`:param x:`, `:rtype:`, ...)."""
    fields: list[str] = []
    for e in parts.params:
        name = (e.name or "").lstrip("*")
        description = e.description + (
            f" Defaults to {e.default}." if e.default is not None else ""
        )
        fields.extend(_wrap(description, "", f":param {name}: "))
        if e.type:
            fields.append(f":type {name}: {e.type}")
    for e in parts.attributes:
        fields.extend(_wrap(e.description, "", f":ivar {e.name}: "))
        if e.type:
            fields.append(f":vartype {e.name}: {e.type}")
    for label, type_label, entry in (
        ("returns", "rtype", parts.returns),
        ("yields", "ytype", parts.yields),
    ):
        if entry is not None:
            fields.extend(_wrap(entry.description, "", f":{label}: "))
            if entry.type:
                fields.append(f":{type_label}: {entry.type}")
    for e in parts.raises:
        fields.extend(_wrap(e.description, "", f":raises {e.name}: "))
    return "\n".join([parts.summary, "", *fields]) if fields else parts.summary


def render_plain(parts: DocParts) -> str:
    """Render as prose, no sections: the summary, then one sentence per exception."""
    lines = [parts.summary]
    for e in parts.raises:
        condition = e.description.rstrip(".")
        condition = condition[:1].lower() + condition[1:]
        lines.extend(["", *_wrap(f"Raises `{e.name}` {condition}.", "", hanging="")])
    return "\n".join(lines)


def without_types(parts: DocParts) -> DocParts:
    """The same parts with no parameter or attribute types, for repositories that omit them."""
    return DocParts(
        summary=parts.summary,
        params=[Entry(e.name, None, e.description, e.optional, e.default) for e in parts.params],
        attributes=[Entry(e.name, None, e.description) for e in parts.attributes],
        returns=parts.returns,
        yields=parts.yields,
        raises=parts.raises,
    )


RENDERERS = {
    "google": render_google,
    "numpy": render_numpy,
    "sphinx": render_sphinx,
    "plain": render_plain,
}
