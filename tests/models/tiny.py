"""Tiny real models for the model-engine tests: a Qwen2-shaped model with random weights, a BPE
tokenizer trained here, and LoRA adapters made with peft (one trained to answer known prompts).

Nothing is downloaded: the tokenizer is trained on the sample repository below and the prompt
templates, the model is built from a config, the adapter is trained in a few seconds.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from peft import LoraConfig, get_peft_model
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    PreTrainedTokenizerFast,
    Qwen2Config,
    Qwen2ForCausalLM,
)

from codegen_bot.adapters.engines.base import RunContext
from codegen_bot.adapters.engines.hf.hf_config import HFConfig
from codegen_bot.adapters.engines.hf.loading import load_model, model_fingerprint
from codegen_bot.adapters.engines.prompted import prompt_budget
from codegen_bot.adapters.lora.layout import adapter_folder
from codegen_bot.adapters.lora.metadata import AdapterMetadata
from codegen_bot.adapters.prompts.build import build_prompt
from codegen_bot.adapters.prompts.parse import docstring_completion
from codegen_bot.bot.tasks.docs.task import select_targets
from codegen_bot.bot.tasks.pipeline import load_config
from codegen_bot.bot.tasks.run_context import run_context
from codegen_bot.bot.workspace.repository import Workspace
from codegen_bot.bot.workspace.sources import read_sources, repository_style
from codegen_bot.refactor.results import Success

ROOT = Path(__file__).resolve().parents[2]

# --- the sample repository the engine end-to-end tests review --------------------------------

PYPROJECT = """\
[tool.ruff.lint]
select = ["E", "F", "W", "D400"]

[tool.codegen.engine]
context_tokens = 1024

[tool.codegen.engine.max_new_tokens]
docs = 24
"""

PRICES_BASE = '''\
"""Prices."""


def total(prices: list[float]) -> float:
    """Return the sum of the prices.

    Args:
        prices: The item prices.

    Returns:
        The sum.
    """
    return sum(prices)
'''

PRICES_HEAD = (
    PRICES_BASE
    + """

def apply_discount(price: float, rate: float) -> float:
    return price * (1 - rate)


def round_cents(value: float) -> float:
    return round(value, 2)


def clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))
"""
)

TESTS = """\
from shop.prices import total


def test_total():
    assert total([1.0, 2.0]) == 3.0


def test_total_empty():
    assert total([]) == 0
"""

BASE_FILES = {
    "pyproject.toml": PYPROJECT,
    "shop/__init__.py": '"""Shop."""\n',
    "shop/prices.py": PRICES_BASE,
    "tests/test_prices.py": TESTS,
}
HEAD_FILES = {"shop/prices.py": PRICES_HEAD}

#: What the docs adapter learns to answer, per target. `apply_discount` gets a docstring that
#: passes every gate; `round_cents` an answer that never closes the docstring (malformed);
#: `clamp` a well-formed docstring whose summary lacks its period, which the repository's ruff
#: rule D400 rejects.
GOOD_DOCSTRING = "Take a rate off a price."  # "take off" is beyond the name: the facts gate
_FIRST_DOCSTRING = "Apply a discount rate to a price."
NO_PERIOD_DOCSTRING = "Clamp the value"
UNCLOSED = "value" + " value" * 30


def answers(indent: str) -> dict[str, str]:
    """The completion the docs adapter is trained to write after each target's prompt."""
    return {
        "apply_discount": docstring_completion(GOOD_DOCSTRING, indent),
        "round_cents": UNCLOSED,
        "clamp": docstring_completion(NO_PERIOD_DOCSTRING, indent),
    }


# --- tokenizer and model ---------------------------------------------------------------------


PYTHON = '''\
import math
from dataclasses import dataclass


@dataclass
class Item:
    """An item of a cart."""

    name: str
    price: float
    quantity: int = 1

    def total(self) -> float:
        """Return the price of all units.

        Returns:
            The price times the quantity.
        """
        return self.price * self.quantity


def average(values: list[float]) -> float:
    if not values:
        raise ValueError("no values")
    return sum(values) / len(values)


def test_average():
    assert average([1.0, 3.0]) == 2.0
    assert math.isclose(average([0.1, 0.2]), 0.15)
'''


def corpus() -> list[str]:
    """Text to train the tokenizer on: fixed, so the tiny model does not change with our code."""
    prompts = sorted((ROOT / "adapters" / "prompts").glob("*.txt"))
    # The first docstring the adapter was taught, kept so the vocabulary stays as it was.
    texts = [PYPROJECT, PRICES_HEAD, TESTS, _FIRST_DOCSTRING, NO_PERIOD_DOCSTRING, PYTHON]
    return texts + [p.read_text(encoding="utf-8") for p in prompts]


def make_tokenizer(vocab_size: int = 1024) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer (any text round-trips), trained on `corpus()`."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["<|endoftext|>", "<|pad|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(corpus(), trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, eos_token="<|endoftext|>", pad_token="<|pad|>"
    )


def make_model(
    folder: Path, tokenizer: PreTrainedTokenizerFast, seed: int = 0, **shape: float
) -> Path:
    """Save a Qwen2-shaped model with random weights, and its tokenizer, into `folder`."""
    torch.manual_seed(seed)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=int(shape.get("hidden_size", 64)),
        intermediate_size=int(shape.get("intermediate_size", 128)),
        num_hidden_layers=int(shape.get("num_hidden_layers", 2)),
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
        tie_word_embeddings=True,
        # Wider than the default 0.02, so that logits can grow confident under a LoRA adapter
        # (which cannot touch the embeddings or the final norm).
        initializer_range=shape.get("initializer_range", 0.3),
    )
    Qwen2ForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


# --- adapters --------------------------------------------------------------------------------


def _peft(model: object, config: LoraConfig) -> object:
    """`get_peft_model`, quiet about transformers APIs peft still calls (not our concern)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return get_peft_model(model, config)  # type: ignore[arg-type]


def lora(r: int = 8) -> LoraConfig:
    """LoRA on every linear layer, as the benchmark and training use it."""
    return LoraConfig(r=r, lora_alpha=2 * r, target_modules="all-linear", lora_dropout=0.0)


def save_adapter(peft_model: object, root: Path, task: str, version: str, model_dir: Path) -> Path:
    """Save an adapter in the layout engines read, with its metadata."""
    folder = adapter_folder(root, task, version)  # type: ignore[arg-type]
    peft_model.save_pretrained(folder)  # type: ignore[attr-defined]
    AdapterMetadata(
        task=task,  # type: ignore[arg-type]
        version=version,
        base_model=model_dir.name,
        base_fingerprint=model_fingerprint(model_dir),
        metrics={"exact": 1.0},
    ).save(folder)
    return folder


def random_adapter(model_dir: Path, root: Path, task: str, version: str, seed: int = 1) -> Path:
    """An adapter with random (non-zero) weights: it changes the model's answers."""
    torch.manual_seed(seed)
    base = AutoModelForCausalLM.from_pretrained(model_dir)
    config = lora()
    config.init_lora_weights = False
    return save_adapter(_peft(base, config), root, task, version, model_dir)


@dataclass(frozen=True)
class Example:
    """A prompt and the answer to learn, as token ids."""

    name: str
    prompt: list[int]
    answer: list[int]


def sample_prompts(
    model_dir: Path, repo_path: Path, base: str, head: str
) -> tuple[dict[str, str], str]:
    """The docs prompts `codegen review` builds for the sample repository, by target name."""
    loaded = load_model(HFConfig(str(model_dir), device="cpu"))
    workspace = Workspace(repo_path)
    config = load_config(workspace, head)
    sources, _ = read_sources(workspace, workspace.merge_base(base, head), head, config)
    targets, _ = select_targets(sources, config.docs)
    style = repository_style(workspace, head)
    context: RunContext = run_context(workspace, head, style, config, [s.path for s in sources])
    budget = prompt_budget(context, "docs", loaded.max_context)
    prompts = {}
    indent = ""
    for target in targets:
        built = build_prompt("docs", target, context, loaded.count_tokens, budget)
        assert isinstance(built, Success), built
        prompts[target.name] = built.value.text
        indent = built.value.indent
    return prompts, indent


def train_docs_adapter(
    model_dir: Path, root: Path, prompts: dict[str, str], indent: str, steps: int = 400
) -> Path:
    """Train the docs adapter until greedy decoding writes each target's answer exactly."""
    # The tokenizer class the engine loads (transformers picks it by model type), so that the
    # prompts are the same token ids at training and at review time.
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    torch.manual_seed(0)
    model: Any = _peft(AutoModelForCausalLM.from_pretrained(model_dir), lora(16))
    wanted = answers(indent)
    examples = [
        Example(
            name,
            tokenizer(prompt)["input_ids"],
            tokenizer(wanted[name], add_special_tokens=False)["input_ids"],
        )
        for name, prompt in prompts.items()
    ]
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=5e-3)
    model.train()
    for step in range(steps):
        optimizer.zero_grad()
        loss = sum(_loss(model, e) for e in examples)
        loss.backward()  # type: ignore[union-attr]
        optimizer.step()
        if step % 25 == 24 and _learned(model, examples):
            break
    model.eval()
    assert _learned(model, examples), "the docs adapter did not learn its answers"
    return save_adapter(model, root, "docs", "1", model_dir)


def _loss(model: torch.nn.Module, example: Example) -> torch.Tensor:
    ids = torch.tensor([example.prompt + example.answer])
    labels = torch.tensor([[-100] * len(example.prompt) + example.answer])
    return model(input_ids=ids, labels=labels).loss


def _learned(model: torch.nn.Module, examples: Sequence[Example]) -> bool:
    """Whether teacher-forced greedy predictions equal every answer token."""
    with torch.no_grad():
        for example in examples:
            ids = torch.tensor([example.prompt + example.answer])
            logits = model(input_ids=ids).logits[0, len(example.prompt) - 1 : -1]
            if logits.argmax(-1).tolist() != example.answer:
                return False
    return True
