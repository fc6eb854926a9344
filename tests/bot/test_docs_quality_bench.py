"""bench/docs_quality.py on a small source distribution: strip, propose again, measure."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from bench.docs_corpus import build_corpus, unpack
from bench.docs_quality import name_sentence, run_project, scores, table

CORE = '''\
"""Shapes."""


def area(radius):
    """Return the surface of a circle of the given radius.

    A negative radius is refused, since no circle has one.
    """
    if radius < 0:
        raise ValueError("negative")
    return 3.14159 * radius ** 2


def scale(numbers, factor):
    """Multiply every number by the factor, keeping their order.

    The numbers are left as they are; a new list is returned.
    """
    return [n * factor for n in numbers]


def name(shape):
    """Say what the shape is called, as its class says.

    Nothing is looked up: the class's own name is used.
    """
    result = type(shape).__name__
    return result
'''


def _sdist(folder: Path) -> Path:
    path = folder / "shapes-1.0.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name, text in {
            "shapes-1.0/shapes/__init__.py": "",
            "shapes-1.0/shapes/core.py": CORE,
            "shapes-1.0/tests/test_core.py": "def test_x():\n    pass\n",
        }.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_strip_propose_and_measure(tmp_path: Path) -> None:
    root = unpack(_sdist(tmp_path), tmp_path / "unpacked")
    corpus = build_corpus("shapes", root, limit=10)
    assert sorted(corpus.original) == ["shapes/__init__.py", "shapes/core.py"]  # no tests
    assert [item.target.name for item in corpus.items] == ["area", "scale", "name"]
    assert '"""Return the surface' not in corpus.stripped["shapes/core.py"]
    assert corpus.items[0].reference.startswith("Return the surface of a circle")

    row = run_project(corpus, "heuristic", "plain", tmp_path)
    assert row.detected == "plain" and row.targets == 3
    # `area` and `scale` state code beyond their names; `name` returns a local: silent.
    assert row.posted == 2 and row.rejections == {"silent": 1}
    assert row.facts_failures == 0 and row.patches_applying == 2
    assert row.beyond_name == 1.0
    assert 0 < row.rouge_l <= 1 and 0 < row.bleu4 <= 1
    assert "| shapes (plain → plain) | heuristic | 3 | 2 (67%) | silent 1 |" in table([row])
    assert row.authors_passing == 3  # the real docstrings say more than the names


def test_metrics_and_baseline() -> None:
    assert name_sentence("get_in") == "Get in."
    assert scores("Return the sum.", "Return the sum.")[0] == 1.0
    rouge, bleu = scores("Add numbers.", "Return the surface of a circle.")
    assert rouge == 0.0 and bleu < 0.2
