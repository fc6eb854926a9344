"""Doctest examples are found and taken out, with a heading they leave empty."""

from __future__ import annotations

from codegen_bot.refactor.docstrings.examples import has_examples, without_examples

GOOGLE = """Compose functions to operate in series.

Returns a function that applies the others in sequence.

Examples:
    >>> inc = lambda i: i + 1
    >>> compose(str, inc)(3)
    '4'

See Also:
    pipe"""

NUMPY = """Join words.

Examples
--------
>>> join(["a", "b"])
'a b'

Notes
-----
Spaces only."""


def test_examples_and_their_outputs_go_with_an_emptied_heading() -> None:
    assert has_examples(GOOGLE) and has_examples(NUMPY)
    assert without_examples(GOOGLE) == (
        "Compose functions to operate in series.\n\n"
        "Returns a function that applies the others in sequence.\n\n"
        "See Also:\n    pipe"
    )
    assert without_examples(NUMPY) == "Join words.\n\nNotes\n-----\nSpaces only."


def test_a_fence_that_held_only_examples_goes_too() -> None:
    humanize = "Convert to ordinal.\n\nExamples:\n  ```pycon\n  >>> ordinal(1)\n  '1st'\n\n  ```\n\nArgs:\n    value: A number."
    assert without_examples(humanize) == "Convert to ordinal.\n\nArgs:\n    value: A number."
    kept = "Show it.\n\n```python\nshow(1)\n```"
    assert without_examples(kept) == kept


def test_prose_beside_examples_and_lookalikes_stay() -> None:
    inline = "Run it.\n\n>>> run()\n1\nThe call above prints nothing."
    # An example ends at a blank line: the prose right after its output goes with it.
    assert without_examples(inline) == "Run it."
    explained = "Run it.\n\nExamples:\n    Call it with no argument.\n\n    >>> run()\n    1"
    assert without_examples(explained) == "Run it.\n\nExamples:\n    Call it with no argument."
    # ">>>" inside prose, or without a space after it, is not a prompt.
    for text in ("Shift with `x >>> 2`.", "Quote a REPL: '>>>x'.", "Plain summary."):
        assert not has_examples(text)
        assert without_examples(text) == text
