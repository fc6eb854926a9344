"""`max_file_bytes` holds in every stage: a file over it is never read, not even for the style."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import GitRepo

NUMPY_DOC = (
    'def f{n}(x):\n    """Return x.\n\n    Parameters\n    ----------\n    x : int\n'
    '        A number.\n    """\n    return x\n\n\n'
)


def test_style_detection_skips_files_over_the_limit(
    make_repo: Callable[[], GitRepo], run_cli, tmp_path: Path
) -> None:
    # The only docstrings with sections are NumPy ones, in a module over the limit: read, it
    # would make the style `numpy`; unread, the style stays the default (Google).
    big = "".join(NUMPY_DOC.format(n=n) for n in range(40))
    repo = make_repo()
    base = repo.commit({"pkg/__init__.py": '"""Pkg."""\n', "pkg/generated.py": big}, "base")
    repo.commit({"pkg/small.py": "def add(a: int, b: int) -> int:\n    return a + b\n"}, "add")
    config = tmp_path / "codegen.toml"
    out = tmp_path / "report.json"
    for limit, style in ((len(big) - 1, "google"), (len(big) + 1, "numpy")):
        config.write_text(f"max_file_bytes = {limit}\n")
        args = ["review", "--repo", str(repo.path), "--base", base, "--config", str(config)]
        result = run_cli(*args, "--format", "json", "--out", str(out))
        assert result.code == 0, result.err
        assert json.loads(out.read_text())["style"] == style, limit
