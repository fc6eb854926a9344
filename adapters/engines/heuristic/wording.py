"""Plain-English phrases built from identifiers: `load_user_config` → "Load the user config."."""

from __future__ import annotations

import re

_ACRONYMS = {
    "api": "API",
    "ascii": "ASCII",
    "csv": "CSV",
    "db": "database",
    "dns": "DNS",
    "html": "HTML",
    "http": "HTTP",
    "https": "HTTPS",
    "id": "ID",
    "ids": "IDs",
    "io": "I/O",
    "ip": "IP",
    "json": "JSON",
    "jwt": "JWT",
    "pdf": "PDF",
    "pr": "PR",
    "sql": "SQL",
    "ssh": "SSH",
    "tcp": "TCP",
    "toml": "TOML",
    "ui": "UI",
    "uri": "URI",
    "url": "URL",
    "urls": "URLs",
    "utc": "UTC",
    "utf8": "UTF-8",
    "uuid": "UUID",
    "xml": "XML",
    "yaml": "YAML",
}

# Verbs that commonly start function names. A name that starts with one of these reads as a
# command ("Load the config."); any other name reads as the thing returned ("Return the area.").
VERBS = frozenset(
    """
    accept add adjust aggregate allow append apply assert assign attach authenticate authorize
    build bump calculate call cancel cast check clean cleanup clear clone close collect combine
    commit compare compile complete compose compress compute configure connect consume convert
    copy count create decode decorate decrypt delete deserialize destroy detect disable
    disconnect dispatch download drop dump dumps emit enable encode encrypt ensure enqueue
    evaluate execute expand export extend extract fetch fill filter find finish fit flatten
    flush format generate handle hash import increment index init initialize insert install
    invoke iterate join keep kill list load loads lock log lookup make map mark match merge
    migrate move normalize notify open pack pad paginate parse patch pick ping pop post predict
    prepare print process publish pull push put query queue raise read rebuild receive record
    refresh register reload remove rename render reorder repeat replace report request require
    reset resolve restore retry return reverse rollback rotate round run sample sanitize save
    scale scan schedule score search select send serialize set setup show shuffle sign skip
    sleep slice sort split start stop store strip submit subscribe sum swap sync tag tokenize
    track train transform translate trim truncate unlock unpack unregister unsubscribe update
    upgrade upload upsert use validate verify visit wait walk warn wrap write yield
    """.split()
)
_PREPOSITIONS = frozenset(
    "a an the to from for in into of on by with at as all any each every".split()
)
_IRREGULAR_GERUNDS = {
    "be": "being",
    "see": "seeing",
    "set": "setting",
    "get": "getting",
    "put": "putting",
    "run": "running",
    "stop": "stopping",
    "log": "logging",
    "map": "mapping",
    "tag": "tagging",
    "ping": "pinging",
    "swap": "swapping",
    "pad": "padding",
    "plan": "planning",
    "skip": "skipping",
    "wrap": "wrapping",
    "ship": "shipping",
    "drop": "dropping",
    "trim": "trimming",
    "sum": "summing",
}


def words(identifier: str) -> list[str]:
    """Split `snake_case`, `camelCase` and `CamelCase` names into lower-case words."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", identifier)
    return [w.lower() for w in spaced.strip("_").split("_") if w]


def phrase(parts: list[str]) -> str:
    """Join words, spelling acronyms the usual way (`json` → `JSON`)."""
    return " ".join(_ACRONYMS.get(w, w) for w in parts)


def capitalize(text: str) -> str:
    """Upper-case the first letter only (`jSON parser` stays as written after it)."""
    return text[:1].upper() + text[1:] if text else text


def sentence(text: str) -> str:
    """Capitalize and end with a full stop, as PEP 257 asks of a summary line."""
    text = capitalize(text.strip())
    return text if text.endswith((".", "!", "?")) else f"{text}."


def with_article(parts: list[str]) -> str:
    """`["user", "config"]` → "the user config"; a phrase led by a preposition stays as it is."""
    if not parts:
        return ""
    if parts[0] in _PREPOSITIONS:
        return phrase(parts)
    return f"the {phrase(parts)}"


def gerund(verb: str) -> str:
    """`apply` → "applying", `validate` → "validating", `run` → "running"."""
    if verb in _IRREGULAR_GERUNDS:
        return _IRREGULAR_GERUNDS[verb]
    if verb.endswith("ie"):
        return verb[:-2] + "ying"
    if verb.endswith("e") and not verb.endswith(("ee", "ye", "oe")):
        return verb[:-1] + "ing"
    if re.fullmatch(r"[^aeiou]*[aeiou][bdgmnpt]", verb):  # one syllable, consonant-vowel-consonant
        return verb + verb[-1] + "ing"
    return verb + "ing"


def class_phrase(name: str) -> str:
    """`HTTPClientError` → "HTTP client error"."""
    return phrase(words(name))


def listing(items: list[str], conjunction: str = "and") -> str:
    """`["a", "b", "c"]` → "`a`, `b` and `c`"."""
    quoted = [f"`{item}`" for item in items]
    if len(quoted) <= 1:
        return "".join(quoted)
    return f"{', '.join(quoted[:-1])} {conjunction} {quoted[-1]}"
