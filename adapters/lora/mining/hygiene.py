"""Secret hygiene: no rows from files that may hold secrets, none with token-like strings."""

from __future__ import annotations

import math
import re
from collections import Counter

_SECRET_FILES = re.compile(
    r"(^|/)(\.env[^/]*|.*secret[^/]*|.*credential[^/]*|.*passw[^/]*|id_[rd]sa[^/]*|[^/]*\.(pem|key|p12|pfx))$",
    re.IGNORECASE,
)
_KNOWN_TOKENS = re.compile(
    r"AKIA[0-9A-Z]{16}"  # AWS access key id
    r"|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}"  # GitHub tokens
    r"|xox[abposr]-[A-Za-z0-9-]{10,}"  # Slack
    r"|sk-[A-Za-z0-9_-]{20,}"  # OpenAI-style keys
    r"|AIza[0-9A-Za-z_-]{35}"  # Google API keys
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----"
    r"|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"  # JWT
)
_LONG_STRING = re.compile(r"['\"]([A-Za-z0-9+/=_\-]{32,})['\"]")
_MIN_ENTROPY = 4.0  # bits per character: random keys score ~5-6, words and hex digests less


def is_secret_file(path: str) -> bool:
    """Whether a path's name suggests it holds secrets (`.env`, `secrets.py`, `*.pem`, ...)."""
    return _SECRET_FILES.search(path) is not None


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def has_secret(text: str) -> bool:
    """Whether `text` contains a known token format or a long random-looking string literal."""
    if _KNOWN_TOKENS.search(text):
        return True
    return any(_entropy(m.group(1)) >= _MIN_ENTROPY for m in _LONG_STRING.finditer(text))
