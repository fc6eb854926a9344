"""ROUGE-L: how much of a reference text a candidate says, in order (longest common subsequence).

F1 of LCS precision (over the candidate's tokens) and recall (over the reference's), on
lower-cased word tokens, as in Lin (2004) with beta = 1 (the `rouge-score` package's `rougeL`
without stemming).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_TOKEN = re.compile(r"[a-z0-9]+")


def tokens(text: str) -> list[str]:
    """Lower-cased runs of letters and digits: punctuation and layout do not count."""
    return _TOKEN.findall(text.lower())


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence of `a` and `b` (one row of the DP table kept)."""
    if len(a) < len(b):
        a, b = b, a
    row = [0] * (len(b) + 1)
    for x in a:
        diagonal = 0
        for j, y in enumerate(b, start=1):
            above = row[j]
            row[j] = diagonal + 1 if x == y else max(row[j], row[j - 1])
            diagonal = above
    return row[-1]


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1 of `candidate` against `reference`, from 0 (nothing shared) to 1 (same words)."""
    got, want = tokens(candidate), tokens(reference)
    if not got or not want:
        return 0.0
    common = lcs_length(got, want)
    if common == 0:
        return 0.0
    precision, recall = common / len(got), common / len(want)
    return 2 * precision * recall / (precision + recall)
