"""Content words of docstring text: what is left once grammar and generic words are taken out.

"The d." has one content word, `d`; if that is the parameter's name, the line says nothing.
Words are compared by a crude stem, so "scales" and "scale", "expanding" and "expand" meet.
"""

from __future__ import annotations

import functools
import keyword
import re
from collections.abc import Iterable

from codegen_bot.refactor.docstrings.code_facts import identifier_words

# Grammar, and words that describe any function at all ("Return the value of the given x.").
STOP_WORDS = frozenset(
    """
    a an the and or nor but of to for in into on onto by with without at as from about over
    this that these those it its it's is are be been being was were will would can could
    should may might must do does did done has have had having not no yes so than then
    there here which who whom whose what when where how if else also just only very all any
    each every some other another such same own one ones
    return returns returned returning get gets got getting give gives given
    value values result results object objects instance instances thing things item items
    function functions method methods class classes argument arguments arg args parameter
    parameters param params kwarg kwargs keyword keywords positional optional default defaults
    specified provided passed pass forwarded input output data variable variables
    whether true false none boolean bool flag flags enabled enable disabled disable option
    options set
    str string int integer float number dict dictionary list tuple type types
    new current corresponding respective appropriate relevant certain various
    docstring docstrings documentation document documents describe describes described
    description
    """.split()
)
_CODE_STOP_WORDS = frozenset([*keyword.kwlist, *(k.lower() for k in keyword.kwlist), "self", "cls"])
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?")
_CODE_SPAN = re.compile(r"``?([^`]+)``?")


@functools.cache
def _stop_stems() -> frozenset[str]:
    return frozenset(stem(word) for word in STOP_WORDS)


def stem(word: str) -> str:
    """Cut a word to a crude stem: plurals, -ing, -ed and a final -e go."""
    word = word.lower().removesuffix("'s")
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
        if len(word) > 2 and word[-1] == word[-2] and word[-1] not in "aeiouls":
            word = word[:-1]
    elif len(word) > 4 and word.endswith("ed"):
        word = word[:-2]
        if len(word) > 2 and word[-1] == word[-2] and word[-1] not in "aeiouls":
            word = word[:-1]
    elif len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes", "zes")):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def stems(words: Iterable[str]) -> set[str]:
    """Return the stems of `words`, each identifier split into its words first."""
    found: set[str] = set()
    for word in words:
        for part in identifier_words(word) if word and not word[0].isdigit() else [word]:
            found.add(stem(part))
    return found


# Words that fit any class or function: without a word of the code beside them, a summary made
# of the name and these ("A product with its own attributes.") restates the name.
GENERIC = frozenset(
    stem(word)
    for word in """
    represent represents representation attribute attributes property properties field fields
    wrapper wrappers helper helpers utility utilities container containers simple basic generic
    custom main implement implements implementation implementations allow allows used use uses
    useful various entity entities
    """.split()
)


def code_spans(text: str) -> list[str]:
    """Return the contents of the text's inline code spans."""
    return [span.strip() for span in _CODE_SPAN.findall(text)]


def _words(text: str, skip: frozenset[str]) -> set[str]:
    found: set[str] = set()
    for token in _WORD.findall(text):
        if token.lower() in skip:
            continue
        parts = [token] if token[0].isdigit() else identifier_words(token)
        if len(parts) > 2:  # `intersection_with`: its words, not the whole, carry the meaning
            parts = parts[1:]
        found.update(stem(part) for part in parts if part not in skip)
    return found


def content_words(text: str) -> set[str]:
    """The stems of the words in `text` that are not grammar or generic, identifiers split.

    Inside code spans every identifier counts (`self.items` names the items), Python's
    keywords and `self` aside.
    """
    prose = _CODE_SPAN.sub(" ", text)
    code = " ".join(code_spans(text))
    return (_words(prose, STOP_WORDS) - _stop_stems()) | _words(code, _CODE_STOP_WORDS)


def new_words(text: str, name: str, signature: str) -> set[str]:
    """The content words of `text` that neither `name` nor the `signature` text holds.

    Doctest lines are not counted: an example shows a call, it does not describe one.
    """
    prose = "\n".join(
        line for line in text.splitlines() if not line.lstrip().startswith((">>>", "..."))
    )
    known = stems([name, *re.findall(r"[A-Za-z_]\w*|\d+(?:\.\d+)?", signature)])
    return content_words(prose) - known - content_words(signature)
