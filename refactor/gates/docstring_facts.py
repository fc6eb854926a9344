"""Gate 6 for docstrings, every engine: what a docstring states is what the code shows.

The gates before it prove form (the edit parses, ruff is content, only a docstring changed);
this one proves content. Each rule names the fact it found wrong:

- parameters: documented names are exactly the signature's;
- returns and yields: only when the function's own body returns a value or yields (a nested
  function's `yield` is not its own), and a generator is described as yielding;
- raises: only exceptions raised in its own body; a quoted condition is the whole condition;
- filler: no sentence or entry whose content words are only the name's, a parameter's or a type's,
  and no sentence whose content words (three or more) one earlier sentence already holds;
- beyond the name: the summary says something the code shows — a word of the code that the name
  does not hold (an identifier, attribute, parameter, literal, base, called name, exception) or
  quoted code; a summary whose only other words are generic ("represents", "attributes") or a
  single unsupported one ("A shopping cart." for `class Cart`) restates the name;
- grounded: no identifiers, literals or verbs of another definition in the file and not this one;
- exposure: no private names, local variables or sentinels;
- markup: no links, images, @mentions or HTML (a model's answer is untrusted text);
- style: the repository's convention (plain prose, or sections; with or without types).
"""

from __future__ import annotations

import ast
import re

from codegen_bot.refactor.docstrings.code_facts import CodeFacts, code_facts, identifier_words
from codegen_bot.refactor.docstrings.examples import without_examples
from codegen_bot.refactor.docstrings.parts import Entry, ParsedDoc, parse_docstring
from codegen_bot.refactor.docstrings.style import Convention
from codegen_bot.refactor.docstrings.words import (
    GENERIC,
    code_spans,
    content_words,
    new_words,
    stems,
)
from codegen_bot.refactor.gates.verdict import Verdict, timed

_LINK = re.compile(r"https?://|\bwww\.|\]\(|!\[|\bmailto:", re.I)
_MENTION = re.compile(r"(?<![\w`.@/])@[A-Za-z][\w-]*")
_HTML = re.compile(r"<(?:[A-Za-z][\w-]*(?:\s[^<>]*)?|/[A-Za-z][\w-]*|!--.*?)>", re.S)
_PRIVATE = re.compile(r"(?<!\w)_{1,2}[A-Za-z]\w*")  # `_marker`, `self._cache`
_ALWAYS = re.compile(r"\b(always|unconditionally|in any case)\b", re.I)
# "If `cond`." quotes a condition; "If `seq` has no items." describes one in words.
_CONDITION = re.compile(r"\b(?:if|when|whenever)\s+`([^`]+)`\s*(?:[.,;:)]|$)", re.I)
# A summary's words that the code does not show: one alone is a label ("A shopping cart."),
# two or more describe (measured on real projects' docstrings: bench/facts_refusals.py).
MIN_UNSUPPORTED_WORDS = 2
# A later sentence with this many content words, all in one earlier sentence, says it again;
# shorter ones are connectors and wrapped fragments ("For example:", "Elements are dropped").
_RESTATED_WORDS = 3
_YIELD_STEMS = {"yield", "generat", "iterat", "iterator", "lazily", "lazy", "stream"}


def _outside_code(text: str) -> str:
    """The text without code spans and doctest lines, where markup rules apply."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith((">>>", "..."))]
    return re.sub(r"``?[^`]+``?", " ", "\n".join(lines))


def _markup(text: str) -> list[str]:
    problems = []
    if _LINK.search(text):
        problems.append("holds a link or an image")
    plain = _outside_code(text)
    mention = _MENTION.search(plain)
    if mention:
        problems.append(f"holds the mention {mention.group(0)!r}")
    html = _HTML.search(plain)
    if html:
        problems.append(f"holds HTML ({html.group(0)[:30]!r})")
    return problems


def _style(parsed: ParsedDoc, convention: Convention) -> list[str]:
    if parsed.style is None:
        return []
    if convention.style == "plain":
        return [f"has {parsed.style} sections; the repository writes plain prose docstrings"]
    if parsed.style != convention.style:
        return [f"is in the {parsed.style} style; the repository uses the {convention.style} style"]
    if not convention.arg_types:
        typed = [e for e in parsed.of("param") if e.type and not e.line.startswith(":type")]
        typed += [e for e in parsed.of("param") if e.line.startswith(":type")]
        if typed:
            return [
                f"gives parameter types ({typed[0].line!r}); the repository's docstrings omit them"
            ]
    return []


def _documented_params(parsed: ParsedDoc) -> list[str]:
    names = []
    for entry in parsed.of("param"):
        if entry.name:
            names.append(entry.name.lstrip("*"))
    return list(dict.fromkeys(names))


def _params(parsed: ParsedDoc, facts: CodeFacts) -> list[str]:
    documented = _documented_params(parsed)
    problems = [
        f"documents `{name}`, which is not a parameter of `{facts.name}`"
        for name in documented
        if name not in facts.params
    ]
    if documented:
        # `*args`, `**kwargs` and `__private` positional parameters are often left out.
        problems += [
            f"leaves out the parameter `{name}`"
            for name in facts.params
            if name not in documented and name not in facts.star_params and not name.startswith("_")
        ]
    known = set(facts.params) | facts.attributes
    problems += [
        f"documents the attribute `{e.name}`, which `{facts.name}` does not have"
        for e in parsed.of("attribute")
        if e.name and e.name not in known
    ]
    return problems


def _returns_and_yields(parsed: ParsedDoc, facts: CodeFacts) -> list[str]:
    problems = []
    if facts.kind == "class":
        if parsed.of("returns") or parsed.of("yields"):
            return ["a class docstring documents a return value"]
        return []
    if parsed.of("returns") and (not facts.returns_value or facts.is_generator):
        what = "is a generator" if facts.is_generator else "returns no value in its own body"
        problems.append(f"documents a return value, but `{facts.name}` {what}")
    if parsed.of("yields") and not facts.is_generator:
        problems.append(f"documents what it yields, but `{facts.name}` does not yield")
    if facts.is_generator and not parsed.of("yields"):
        said = stems(w for sentence in parsed.prose for w in re.findall(r"\w+", sentence))
        if not said & _YIELD_STEMS:
            problems.append(
                f"`{facts.name}` is a generator, but the docstring does not say it yields"
            )
    summary = parsed.prose[0] if parsed.prose else ""
    claims = re.match(r"returns?\b(?!\s+`?None\b)", summary, re.I) is not None
    iterator = re.search(r"\b(iterator|generator)\b", summary, re.I) is not None
    if claims and not facts.returns_value and not (facts.is_generator and iterator):
        problems.append(f"says it returns something, but `{facts.name}` returns no value")
    return problems


def _normal(expression: str) -> str | None:
    try:
        return ast.unparse(ast.parse(expression.strip(), mode="eval"))
    except SyntaxError:
        return None


def _raises(parsed: ParsedDoc, facts: CodeFacts) -> list[str]:
    problems = []
    for entry in parsed.of("raises"):
        if not entry.name:
            continue
        short = entry.name.rsplit(".", 1)[-1]
        sites = [site for site in facts.raises if site.exception == short]
        if not sites:
            problems.append(f"says it raises `{short}`, which its own body does not raise")
            continue
        if _ALWAYS.search(entry.text) and not any(site.always for site in sites):
            problems.append(f"says `{short}` is always raised, but a condition guards it")
        quoted = _CONDITION.search(entry.text)
        if quoted is None:
            continue
        span = quoted.group(1)
        if any(span.strip() in site.caught for site in sites):
            continue
        wanted = _normal(span)
        whole = [_normal(site.guard) for site in sites if site.simple and site.guard]
        if wanted is None or wanted not in whole:
            problems.append(
                f"quotes `{span}` as the condition for `{short}`, which is not the whole condition"
            )
    return problems


def _states_code(text: str) -> bool:
    """Whether a line quotes code beyond a bare name (`radius < 0`, `f(x)`, `None`)."""
    for span in code_spans(text):
        try:
            node = ast.parse(span, mode="eval").body
        except SyntaxError:
            continue
        if not isinstance(node, ast.Name | ast.Attribute):
            return True
    return False


def _filler(parsed: ParsedDoc, facts: CodeFacts, docstring: str) -> list[str]:
    name_words = set(identifier_words(facts.name))
    if facts.owner:
        name_words.update(identifier_words(facts.owner))
    signature = name_words | {w for p in facts.params for w in identifier_words(p)}
    signature |= {w for t in facts.param_types.values() for w in re.findall(r"\w+", t)}
    base = stems(signature)
    problems = []
    if not new_words(docstring, facts.name, facts.signature):
        problems.append(f"says nothing that the name `{facts.name}` and its signature do not")
    said: list[set[str]] = []
    for sentence in parsed.prose:
        words = content_words(sentence) - base
        # A model that runs on says its sentence again ("A wrapper around ... . A wrapper
        # around ... ."); no reader needs that.
        restated = len(words) >= _RESTATED_WORDS and any(words <= earlier for earlier in said)
        said.append(words)
        if _states_code(sentence):
            continue
        if not words:
            problems.append(f"filler: {sentence!r} says nothing beyond the name and signature")
        elif restated:
            problems.append(f"filler: {sentence!r} says again what an earlier sentence said")
    for entry in parsed.entries:
        if not entry.text or entry.section == "other":
            continue
        if entry.section == "raises" and re.match(r"(if|when|unless|whenever)\b", entry.text, re.I):
            continue  # that it raises, and when, is beyond the names; the raises rule checks it
        allowed = set(base)
        allowed |= stems([entry.name or "", *re.findall(r"\w+", entry.type or "")])
        if not content_words(entry.text) - allowed and not _states_code(entry.text):
            problems.append(f"filler: {entry.line!r} says nothing beyond the names")
    return problems


def _summary(docstring: str) -> str:
    """The summary: the docstring's first paragraph, doctest lines aside, as one line."""
    paragraph = re.split(r"\n\s*\n", without_examples(docstring).strip(), maxsplit=1)[0]
    return " ".join(paragraph.split())


def _beyond_the_name(docstring: str, facts: CodeFacts) -> list[str]:
    summary = _summary(docstring)
    if not summary or _states_code(summary):
        return []
    name = stems([facts.name])
    beyond = content_words(summary) - name
    code = stems([*facts.own_words, *facts.params, *facts.attributes])
    code |= stems(w for t in facts.param_types.values() for w in re.findall(r"\w+", t))
    if beyond & code:
        return []
    unsupported = beyond - GENERIC
    if len(unsupported) >= MIN_UNSUPPORTED_WORDS:
        return []
    return [
        f"restates the name: the summary {summary!r} says nothing the code of `{facts.name}`"
        " shows beyond its name"
    ]


def _grounded(text: str, facts: CodeFacts) -> list[str]:
    own = stems(facts.own_words) | stems([facts.name, *facts.params])
    own_names = {w.lower() for w in facts.own_words}
    for span in code_spans(text):
        for identifier in re.findall(r"[A-Za-z_]\w*", span):
            for other in facts.foreign:
                if identifier.lower() == other.lower() and identifier.lower() not in own_names:
                    return [f"names `{identifier}`, which is `{other}`'s, not `{facts.name}`'s"]
    said = content_words(text)
    for other, words in facts.foreign.items():
        hits = sorted(word for word in (said & stems(words)) - own if len(word) >= 3)
        if len(hits) >= 2:
            return [f"describes `{other}` ({', '.join(hits)}), not `{facts.name}`"]
    return []


def _exposed(text: str, facts: CodeFacts) -> list[str]:
    problems = []
    for match in _PRIVATE.finditer(text):
        word = match.group(0)
        if not (word.startswith("__") and word.endswith("__")) and word.lstrip("_") != "":
            problems.append(f"names the private `{word}`")
            break
    words = set(re.findall(r"[A-Za-z_]\w*", text))
    sentinels = sorted(words & facts.private_globals)
    if sentinels:
        problems.append(f"names the module's private or sentinel value `{sentinels[0]}`")
    # A local inside a quoted expression (`price >= threshold`) is code; alone it is a name
    # the reader cannot see ("Returns: The `d2`.").
    spans = {span for span in code_spans(text) if re.fullmatch(r"[A-Za-z_]\w*", span)}
    prose_words = set(re.findall(r"[A-Za-z_]\w*", _outside_code(text)))
    identifier_like = {w for w in prose_words if "_" in w.strip("_") or any(c.isdigit() for c in w)}
    exposed = sorted(
        (facts.locals & (spans | identifier_like)) - set(facts.params) - facts.attributes
    )
    if exposed:
        problems.append(f"names the local variable `{exposed[0]}`")
    return problems


def _capitalised(parsed: ParsedDoc, facts: CodeFacts) -> list[str]:
    for sentence in parsed.prose + tuple(e.text for e in parsed.entries):
        first = sentence.split(" ", 1)[0].rstrip(".,:;")
        for param in facts.params:
            odd = len(param) == 1 or "_" in param or any(c.isdigit() for c in param)
            if odd and first != param and first == param[:1].upper() + param[1:]:
                return [f"capitalises the identifier `{param}` as {first!r}"]
    return []


def facts_problems(
    source: str, def_line: int, name: str, docstring: str, convention: Convention | None = None
) -> list[str]:
    """Return what is wrong with `docstring` as the docstring of `name` (on `def_line`).

    `convention` is the repository's docstring style; None skips the style rule.
    """
    facts = code_facts(source, def_line, name)
    if facts is None:
        return [f"`{name}` was not found on line {def_line}"]
    parsed = parse_docstring(docstring)
    problems = _markup(docstring)
    if convention is not None:
        problems += _style(parsed, convention)
    problems += _params(parsed, facts)
    problems += _returns_and_yields(parsed, facts)
    problems += _raises(parsed, facts)
    problems += _exposed(docstring, facts)
    problems += _capitalised(parsed, facts)
    problems += _grounded(without_examples(docstring), facts)
    problems += _filler(parsed, facts, docstring)
    if not problems:
        problems += _beyond_the_name(docstring, facts)
    return problems


def check_facts(
    source: str, def_line: int, name: str, docstring: str, convention: Convention | None = None
) -> Verdict:
    """Pass when the docstring states only what the code shows, beyond the name (gate `facts`)."""

    def check() -> str | None:
        problems = facts_problems(source, def_line, name, docstring, convention)
        return "; ".join(dict.fromkeys(problems)) if problems else None

    return timed("facts", check)


__all__ = ["Entry", "check_facts", "facts_problems"]
