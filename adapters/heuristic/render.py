"""Docstrings from facts, rendered in the Google, NumPy or Sphinx convention."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from adapters.heuristic import wording as w
from adapters.heuristic.facts import ClassFacts, FunctionFacts, Param, Raise

_WIDTH = 72  # wrap long descriptions; ruff's line-length gate judges the rest
_MAX_CONDITION_CHARS = 60


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


# --- content -----------------------------------------------------------------------------------


def _param_description(param: Param) -> str:
    if param.star:
        kind = "positional" if param.star == "*" else "keyword"
        return (
            f"Passed on to `{param.passed_to}`." if param.passed_to else f"Extra {kind} arguments."
        )
    parts = w.words(param.name)
    if param.annotation == "bool" or param.default in {"True", "False"}:
        if parts and parts[0] in w.VERBS:
            return w.sentence(f"whether to {w.phrase(parts)}")
        return w.sentence(f"whether {w.phrase(parts)} is enabled")
    return w.sentence(w.with_article(parts) or param.name)


def _param_entries(params: tuple[Param, ...]) -> list[Entry]:
    return [
        Entry(
            name=f"{p.star}{p.name}",
            type=p.annotation,
            description=_param_description(p),
            optional=p.default is not None,
            default=p.default,
        )
        for p in params
    ]


def _subject(facts: FunctionFacts) -> str:
    if facts.is_method and facts.class_name:
        return f"the {w.class_phrase(facts.class_name)}"
    if facts.params:
        return f"`{facts.params[0].name}`"
    return "it"


def _returns_entry(facts: FunctionFacts) -> Entry | None:
    if not facts.returns_value or facts.is_generator:
        return None
    predicate = w.predicate_summary(facts.name, _subject(facts))
    if predicate is not None:
        # "Return whether the order is paid." → "True if the order is paid."
        text = "True if" + predicate.removeprefix("Return whether")
        return Entry(None, facts.returns or "bool", text)
    if facts.returned_name:
        return Entry(None, facts.returns, w.sentence(w.with_article(w.words(facts.returned_name))))
    noun = w.result_phrase(facts.name)
    if noun:
        return Entry(None, facts.returns, w.sentence(w.with_article(noun)))
    verb, *rest = w.words(facts.name) or [facts.name]
    doing = " ".join([w.gerund(verb), w.with_article(rest)]).strip()
    return Entry(None, facts.returns, w.sentence(f"the result of {doing}"))


def _singular(parts: list[str]) -> list[str]:
    if parts and parts[-1].endswith("s") and not parts[-1].endswith("ss"):
        return [*parts[:-1], parts[-1][:-1]]
    return parts


def _yields_entry(facts: FunctionFacts) -> Entry | None:
    if not facts.is_generator:
        return None
    noun = w.words(facts.yielded_name) if facts.yielded_name else _singular(w.noun_of(facts.name))
    text = w.sentence(f"each {w.phrase(noun)}") if noun else "Each value."
    return Entry(None, facts.yields, text)


def _raise_entry(fact: Raise) -> Entry | None:
    if fact.message and fact.message.strip():
        first_line = fact.message.strip().splitlines()[0].rstrip(":")
        return Entry(fact.exception, None, w.sentence(first_line))
    if fact.condition and len(fact.condition) <= _MAX_CONDITION_CHARS:
        return Entry(fact.exception, None, f"If `{fact.condition}`.")
    if fact.caught:
        return Entry(fact.exception, None, f"If `{fact.caught}` is raised.")
    if fact.unconditional:
        return Entry(fact.exception, None, "Always.")
    return None


def function_parts(facts: FunctionFacts) -> DocParts:
    """What a function's docstring says: summary, parameters, returns, yields, raises."""
    first_param = facts.params[0].name if facts.params else None
    if facts.is_property:
        summary = w.sentence(w.with_article(w.noun_of(facts.name) or w.words(facts.name)))
    else:
        summary = w.predicate_summary(facts.name, _subject(facts)) or w.command_summary(
            facts.name,
            generator=facts.is_generator,
            first_param=first_param,
            yielded=facts.yielded_name,
        )
    raises = [entry for entry in map(_raise_entry, facts.raises) if entry is not None]
    return DocParts(
        summary=summary,
        params=[] if facts.is_property else _param_entries(facts.params),
        returns=None if facts.is_property else _returns_entry(facts),
        yields=_yields_entry(facts),
        raises=raises,
    )


def class_parts(facts: ClassFacts) -> DocParts:
    """What a class's docstring says: a summary, its fields, and its constructor's parameters."""
    name = w.class_phrase(facts.name)
    if facts.is_enum and facts.members:
        summary = w.sentence(f"{name}: one of {w.listing(list(facts.members), 'or')}")
    elif facts.fields:
        summary = w.sentence(f"{name} with {w.listing([f.name for f in facts.fields])}")
    else:
        summary = w.sentence(name)
    attributes = [
        Entry(f.name, f.annotation, w.sentence(w.with_article(w.words(f.name)) or f.name))
        for f in facts.fields
    ]
    return DocParts(
        summary=summary, params=_param_entries(facts.init_params), attributes=attributes
    )


def says_more_than_the_name(parts: DocParts) -> bool:
    """Whether a docstring states any fact beyond restating the name (`Cart.` does not)."""
    return bool(
        parts.params
        or parts.attributes
        or parts.returns
        or parts.yields
        or parts.raises
        or "`" in parts.summary
        or " whether " in parts.summary
    )


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


RENDERERS = {"google": render_google, "numpy": render_numpy, "sphinx": render_sphinx}
