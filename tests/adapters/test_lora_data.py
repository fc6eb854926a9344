"""From mined rows to training data: the engine's own prompts, packing, settings, ROUGE-L.

No model here: prompts are counted in characters, which is all the prompt builder needs from a
tokenizer; the tests on the tiny model are in tests/models/test_lora_*.py.
"""

from __future__ import annotations

import argparse
import ast
import json
from pathlib import Path

import pytest

from codegen_bot.adapters.engines.prompted import prompt_budget
from codegen_bot.adapters.lora.dataset_context import DatasetContext, cut_test
from codegen_bot.adapters.lora.mining.dataset import read
from codegen_bot.adapters.lora.mining.records import Row
from codegen_bot.adapters.lora.packing import IGNORE, Tokenized, pack, targets_of
from codegen_bot.adapters.lora.pairs import make_pair, module_for_test
from codegen_bot.adapters.lora.settings import TrainSettings
from codegen_bot.adapters.lora.trainer import next_version, unfinished_version
from codegen_bot.adapters.prompts.build import build_prompt
from codegen_bot.adapters.prompts.parse import docstring_completion
from codegen_bot.bot.cli.adapters import train_settings
from codegen_bot.bot.cli.main import build_parser
from codegen_bot.bot.config import config_from_files
from codegen_bot.bot.errors import ConfigError, UsageError
from codegen_bot.bot.tasks.docs.task import select_targets
from codegen_bot.bot.tasks.pipeline import load_config
from codegen_bot.bot.tasks.run_context import run_context
from codegen_bot.bot.workspace.repository import Workspace
from codegen_bot.bot.workspace.sources import read_sources, repository_style
from codegen_bot.refactor.results import Failure, Success
from codegen_bot.refactor.rouge import lcs_length, rouge_l


def count(text: str) -> int:
    """A stand-in tokenizer: one token per four characters."""
    return len(text) // 4 + 1


HELPERS = '''\
"""Helpers."""


def area(width: float, height: float) -> float:
    """Compute the area of a rectangle.

    Args:
        width: Its width.
        height: Its height.

    Returns:
        The area.
    """
    return width * height


def perimeter(width: float, height: float) -> float:
    """Compute the perimeter of a rectangle.

    Args:
        width: Its width.
        height: Its height.

    Returns:
        The perimeter.
    """
    return 2 * (width + height)
'''

DIAGONAL = """

def diagonal(width: float, height: float) -> float:
    return (width**2 + height**2) ** 0.5
"""

DIAGONAL_DOCUMENTED = '''

def diagonal(width: float, height: float) -> float:
    """Compute the length of a rectangle's diagonal.

    Args:
        width: Its width.
        height: Its height.

    Returns:
        The diagonal.
    """
    return (width**2 + height**2) ** 0.5
'''


def test_a_docs_pair_is_the_prompt_the_review_built(make_repo, run_cli, tmp_path) -> None:
    repo = make_repo()
    base = repo.commit({"geometry/helpers.py": HELPERS}, "Add helpers")
    head = repo.commit({"geometry/helpers.py": HELPERS + DIAGONAL}, "Add diagonal")
    repo.commit(
        {"geometry/helpers.py": HELPERS + DIAGONAL_DOCUMENTED}, "Apply suggestions from code review"
    )

    # The prompt `codegen review` builds for `diagonal` in the pull request base..head.
    workspace = Workspace(str(repo.path))
    config = load_config(workspace, head)
    sources, _ = read_sources(workspace, base, head, config)
    (target,), _ = select_targets(sources, config.docs)
    style = repository_style(workspace, head)
    context = run_context(workspace, head, style, config, [s.path for s in sources])
    budget = prompt_budget(context, "docs", 4096)
    review_prompt = build_prompt("docs", target, context, count, budget)
    assert isinstance(review_prompt, Success)

    # The pair training builds from the docstring that landed later.
    out = tmp_path / "data"
    assert run_cli("adapters", "mine", "--repo", str(repo.path), "--out", str(out), "-q").code == 0
    (row,) = [r for r in read(out / "docs.jsonl") if r.symbol == "diagonal"]
    assert row.origin == "accepted" and row.weight == 3.0
    pair = make_pair(row, DatasetContext.load(out), count, 4096)
    assert isinstance(pair, Success), pair
    assert pair.value.prompt == review_prompt.value.text
    assert pair.value.completion == docstring_completion(row.output, "    ")
    assert pair.value.answer == row.output
    # The docstring examples in the prompt are the other functions', never its own.
    assert "length of a rectangle's diagonal" not in pair.value.prompt


def test_examples_that_hold_the_answer_are_left_out() -> None:
    own = 'def diagonal(w):\n    """Old words about it."""'
    other = 'def area(w):\n    """Compute an area."""'
    third = 'def perimeter(w):\n    """Compute a perimeter."""'
    context = DatasetContext(docstring_examples={"geometry": (own, other, third)})
    row = Row(
        "docs", "geometry/helpers.py", "diagonal", "c", "def diagonal(w): ...", "New.", "history"
    )
    assert context.run_context(row).docstring_examples == (other, third)
    module = "import m\n\n\ndef test_a():\n    pass\n\n\nclass TestB:\n    def test_b(self):\n        assert 1\n"
    assert "test_a" not in cut_test(module, "def test_a():\n    pass\n")
    cut = cut_test(module, "    def test_b(self):\n        assert 1\n")
    ast.parse(cut)  # the emptied class still parses
    assert "test_b" not in cut


def test_a_tests_completion_is_a_runnable_module() -> None:
    imports = "import math\nimport pytest\nfrom shop.prices import (\n    net,\n    gross,\n)\nfrom __future__ import annotations"
    row = Row(
        "tests", "shop/prices.py", "net", "c", "def net(x): ...",
        "def test_net():\n    assert math.isclose(net(2.0), 1.0)\n", "tests", context=imports,
    )  # fmt: skip
    module = module_for_test(row)
    assert module.startswith(
        "from __future__ import annotations\nimport math\nfrom shop.prices import net\n"
    )
    assert "pytest" not in module and "gross" not in module
    method = Row(
        "tests", "shop/prices.py", "Cart.net_total", "c", "", "    def test_it(self):\n        assert True\n",
        "tests",
    )  # fmt: skip
    assert module_for_test(method).startswith("class TestNetTotal:\n    def test_it(self):")


def test_a_row_without_its_source_is_refused() -> None:
    row = Row("docs", "a.py", "f", "c", "def f(): pass\n", "Do it.", "history")
    assert isinstance(make_pair(row, DatasetContext(), count, 4096), Failure)


def test_packing_restarts_positions_and_never_crosses_examples() -> None:
    a = Tokenized((1, 2, 3), (4, 5), weight=1.0)
    b = Tokenized((6, 7), (8,), weight=3.0)
    c = Tokenized((9,) * 6, (10,) * 3)
    sequences = pack([a, b, c], 10, pad_id=0)
    assert [s.examples for s in sequences] == [1, 2]  # c alone; a and b fill the second
    first, second = sequences
    assert first.input_ids == (9,) * 6 + (10,) * 3 + (0,) and first.padding == 1
    assert second.input_ids == (1, 2, 3, 4, 5, 6, 7, 8, 0, 0)
    assert second.position_ids == (0, 1, 2, 3, 4, 0, 1, 2, 0, 1)
    # Position t learns token t + 1 of its own example, only where that token is a completion.
    assert second.targets == (IGNORE, IGNORE, 4, 5, IGNORE, IGNORE, 8, IGNORE, IGNORE, IGNORE)
    assert second.weights == (0, 0, 1.0, 1.0, 0, 0, 3.0, 0, 0, 0)
    assert second.weight == 5.0
    assert targets_of(a) == ([IGNORE, IGNORE, 4, 5, IGNORE], [0.0, 0.0, 1.0, 1.0, 0.0])
    with pytest.raises(ValueError, match="more than seq_len"):
        pack([Tokenized((1,) * 11, ())], 10, 0)


def test_rouge_l_against_the_published_example() -> None:
    # rouge-score's README: 'The quick brown fox jumps over the lazy dog' as the target and
    # 'The quick brown dog jumps on the log.' as the prediction give rougeL F1 0.5882.
    score = rouge_l(
        "The quick brown dog jumps on the log.", "The quick brown fox jumps over the lazy dog"
    )
    assert score == pytest.approx(0.58824, abs=1e-4)
    assert rouge_l("same words here", "Same, words: here!") == 1.0
    assert rouge_l("", "anything") == 0.0 and rouge_l("nothing shared", "at all") == 0.0
    assert lcs_length("abcbdab", "bdcaba") == 4


def _args(*flags: str) -> argparse.Namespace:
    return build_parser().parse_args(["adapters", "train", "--task", "docs", "--base", "m", *flags])


def test_training_settings_from_config_then_flags(tmp_path: Path) -> None:
    config = config_from_files(
        '[tool.codegen.lora]\nrank = 8\nalpha = 16\ntarget_modules = ["q_proj", "v_proj"]\n', None
    )
    assert config.lora == TrainSettings(rank=8, alpha=16, target_modules=("q_proj", "v_proj"))
    with pytest.raises(ConfigError, match="lora: `rank` must be at least 1"):
        config_from_files("[tool.codegen.lora]\nrank = 0\n", None)
    with pytest.raises(ConfigError, match=r"unknown key `tool\.codegen\.lora\.ranks`"):
        config_from_files("[tool.codegen.lora]\nranks = 4\n", None)

    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.codegen.lora]\nrank = 8\nepochs = 2.0\ncompile = "on"\n')
    settings = train_settings(
        _args("--config", str(pyproject), "--rank", "4", "--target-modules", "q_proj,o_proj")
    )
    assert (settings.rank, settings.epochs, settings.compile) == (4, 2.0, "on")
    assert settings.target_modules == ("q_proj", "o_proj")
    assert json.loads(json.dumps(settings.to_dict()))["target_modules"] == ["q_proj", "o_proj"]
    with pytest.raises(UsageError, match="`dropout` must be from 0"):
        train_settings(_args("--dropout", "1.5"))


def test_versions_count_up_and_an_interrupted_run_is_found(tmp_path: Path) -> None:
    assert next_version(tmp_path, "docs") == "1"
    (tmp_path / "docs" / "1").mkdir(parents=True)
    (tmp_path / "docs" / "1" / "adapter_config.json").write_text("{}")
    (tmp_path / "docs" / "v-test").mkdir()
    assert next_version(tmp_path, "docs") == "2"
    assert unfinished_version(tmp_path, "docs") is None
    (tmp_path / "docs" / "2" / "checkpoint").mkdir(parents=True)
    (tmp_path / "docs" / "2" / "checkpoint" / "state.pt").write_bytes(b"")
    assert unfinished_version(tmp_path, "docs") == "2"
    assert next_version(tmp_path, "docs") == "3"


def test_refactor_answers_meet_the_static_gates() -> None:
    from collections import Counter

    from codegen_bot.adapters.engines.base import Candidate, EngineIdentity
    from codegen_bot.adapters.lora.evaluation import _refactor_gates, _rounds
    from codegen_bot.refactor.gates.lint import RuffGate
    from codegen_bot.refactor.targets import find_definitions

    source = "import os\n\n\ndef shipping(weight):\n    total = 0\n    for _ in range(int(weight)):\n        total = total + 2\n    return total\n"
    (target,) = find_definitions("shop/ship.py", source)
    who = EngineIdentity("hf", "m", "refactor@1")
    answers = [
        "def shipping(weight):\n    return 2 * int(weight)\n",  # passes
        target.code,  # unchanged
        "def postage(weight):\n    return 2\n",  # another function
        "def shipping(weight):\n    return os.path.join(undefined_name)\n",  # F821: new finding
        None,  # the parser already refused it
    ]
    candidates = [
        Candidate(target, "refactor", text, who, None if text else "the code does not parse")
        for text in answers
    ]
    reasons: Counter[str] = Counter()
    with RuffGate({"pyproject.toml": '[tool.ruff.lint]\nselect = ["F"]\n'}) as ruff:
        assert _refactor_gates(candidates, ruff, reasons) == 1
    assert reasons["the code did not change"] == 1
    assert reasons["the code does not parse"] == 1
    assert any(r.startswith("edit: the new definition is named 'postage'") for r in reasons)
    assert any(r.startswith("ruff:") and "F821" in r for r in reasons)
    # prove_all keeps one proposal per target: candidates are proven in rounds of distinct targets
    assert list(_rounds(candidates[:3])) == [[0], [1], [2]]
