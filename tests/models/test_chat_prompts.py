"""Prompt formats with a real tokenizer's chat template: the engine, training, eval and serve agree.

The tiny model here is the suite's Qwen2-shaped one with a ChatML template (SmolLM2's shape:
a default system turn, `<|im_start|>`/`<|im_end|>` special tokens) on its tokenizer.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codegen_bot.adapters.engines.base import RunContext
from codegen_bot.adapters.engines.chat import ChatFrame, TrainedPrompt, chat_frame_of
from codegen_bot.adapters.engines.hf.engine import HFCompleter
from codegen_bot.adapters.engines.hf.hf_config import HFConfig
from codegen_bot.adapters.engines.hf.loading import load_model
from codegen_bot.adapters.engines.openai.client import ClientConfig, OpenAIClient
from codegen_bot.adapters.engines.openai.engine import OpenAICompleter
from codegen_bot.adapters.engines.prompted import prompt_budget, prompt_setup
from codegen_bot.adapters.lora.metadata import AdapterMetadata
from codegen_bot.adapters.lora.pairs import make_pair
from codegen_bot.adapters.lora.trainer import load_dataset
from codegen_bot.adapters.prompts.build import build_prompt
from codegen_bot.adapters.serve.server import App, start_server
from codegen_bot.refactor.results import Failure, Success
from tests.models import tiny
from tests.models.conftest import Shop
from tests.models.lora_shop import cli, train_args

pytestmark = pytest.mark.model

#: SmolLM2-135M-Instruct's template (ChatML with a default system turn).
CHATML = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant<|im_end|>\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


@pytest.fixture(scope="module")
def chat_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model, its tokenizer given ChatML special tokens and template."""
    tokenizer = tiny.make_tokenizer()
    tokenizer.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<|im_end|>"]})
    tokenizer.chat_template = CHATML
    return tiny.make_model(tmp_path_factory.mktemp("chat") / "tiny-chat", tokenizer)


@pytest.fixture(scope="module")
def chat_adapters(chat_model: Path, shop: Shop, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A docs adapter trained (a couple of steps) on the shop's rows with `--prompt-format auto`."""
    out = tmp_path_factory.mktemp("chat-adapters")
    args = train_args(chat_model, shop.data, out, "--prompt-format", "auto")
    args[args.index("--steps") + 1] = "2"
    code, stdout, err = cli(*args)
    assert code == 0, err
    assert "chat format" in err
    assert json.loads(stdout)["adapter"] == "docs@1"
    return out


def test_the_frame_is_the_templates_own_text_around_one_message(chat_model: Path) -> None:
    loaded = load_model(HFConfig(str(chat_model), device="cpu"))
    frame = loaded.chat_frame
    assert frame == ChatFrame(
        "<|im_start|>system\nYou are a helpful AI assistant<|im_end|>\n<|im_start|>user\n",
        "<|im_end|>\n<|im_start|>assistant\n",
    )
    message = [{"role": "user", "content": "Write it."}]
    rendered = loaded.tokenizer.apply_chat_template(
        message, tokenize=False, add_generation_prompt=True
    )
    assert frame.wrap("Write it.\n", '"""') == rendered + '"""'
    # The template's markers are single special tokens, so budgets count them exactly.
    start = loaded.tokenizer.convert_tokens_to_ids("<|im_start|>")
    assert loaded.tokenizer(frame.head)["input_ids"].count(start) == 2
    # A tokenizer without a template has no frame: auto stays with completion prompts.
    plain = load_model(
        HFConfig(str(tiny.make_model(chat_model.parent / "p", tiny.make_tokenizer())))
    )
    assert plain.chat_frame is None
    assert chat_frame_of(plain.tokenizer) is None


def test_auto_builds_chat_prompts_that_end_where_completion_prompts_end(
    chat_model: Path, shop: Shop
) -> None:
    loaded = load_model(HFConfig(str(chat_model), device="cpu"))
    completer = HFCompleter(loaded)
    dataset = load_dataset(shop.data, "docs")
    row = dataset.split("eval")[0]
    made = make_pair(row, dataset.context, loaded.count_tokens, loaded.max_context)
    assert isinstance(made, Success)
    target = made.value.target
    prompts = {}
    for fmt in ("auto", "completion", "chat"):
        context = RunContext(prompt_format=fmt)
        setup = prompt_setup(context, "docs", completer)
        assert not isinstance(setup, Failure)
        built = build_prompt(
            "docs",
            target,
            setup[0],
            loaded.count_tokens,
            prompt_budget(setup[0], "docs", loaded.max_context),
            frame=setup[1],
        )
        assert isinstance(built, Success)
        prompts[fmt] = built.value
    assert prompts["auto"] == prompts["chat"]
    chat, completion = prompts["chat"], prompts["completion"]
    assert (chat.format, completion.format) == ("chat", "completion")
    assert chat.text.startswith("<|im_start|>system\n")
    # The answer starts the same way in both: the header and the opening quotes.
    _, _, answer_start = completion.text.rpartition("with its docstring:\n")
    assert chat.text.endswith(
        "with its docstring:<|im_end|>\n<|im_start|>assistant\n" + answer_start
    )
    assert chat.tokens == loaded.count_tokens(chat.text) > completion.tokens
    # Asking for chat of a model without a template is a clear rejection, never a crash.
    plain = HFCompleter(load_model(HFConfig(str(shop.model), device="cpu")))
    refused = prompt_setup(RunContext(prompt_format="chat"), "docs", plain)
    assert isinstance(refused, Failure)
    assert "no chat template" in refused.reason


def test_an_adapter_is_prompted_at_review_as_it_was_trained(
    chat_model: Path, chat_adapters: Path, shop: Shop
) -> None:
    metadata = AdapterMetadata.load(chat_adapters / "docs" / "1")
    # The shop asks for 900 context tokens; a 1024-token sequence leaves 1024 - 128 (docs).
    assert metadata.hyperparameters["prompt"] == {"format": "chat", "context_tokens": 896}
    loaded = load_model(HFConfig(str(chat_model), str(chat_adapters), device="cpu"))
    assert loaded.trained_prompt("docs") == TrainedPrompt("chat", 896)
    assert loaded.trained_prompt("tests") is None
    # Whatever the run asks, the adapter's task gets the trained format and budget.
    asked = RunContext(prompt_format="completion", context_tokens=2048)
    context, frame = prompt_setup(asked, "docs", HFCompleter(loaded))  # type: ignore[misc]
    assert (context.context_tokens, frame) == (896, loaded.chat_frame)
    # ...so the engine's prompt for a training row's target is the prompt it was trained on.
    dataset = load_dataset(shop.data, "docs")
    row = dataset.split("train")[0]
    trained = make_pair(row, dataset.context, loaded.count_tokens, 1024, loaded.chat_frame)
    assert isinstance(trained, Success)
    pair = trained.value
    context = dataset.context.run_context(row)
    setup = prompt_setup(context, "docs", HFCompleter(loaded))
    assert not isinstance(setup, Failure)
    budget = prompt_budget(setup[0], "docs", loaded.max_context)
    built = build_prompt("docs", pair.target, setup[0], loaded.count_tokens, budget, frame=setup[1])
    assert isinstance(built, Success)
    assert built.value.text == pair.prompt


def test_serve_hands_the_frame_and_the_trained_prompt_to_the_openai_engine(
    chat_model: Path, chat_adapters: Path
) -> None:
    loaded = load_model(HFConfig(str(chat_model), str(chat_adapters), device="cpu"))
    handle = start_server(App(loaded), "127.0.0.1", 0)
    try:
        remote = OpenAICompleter(OpenAIClient(ClientConfig(handle.url)))
        assert remote.chat_frame == loaded.chat_frame
        assert remote.trained_prompt("docs") == TrainedPrompt("chat", 896)
        asked = RunContext(prompt_format="completion")
        here = prompt_setup(asked, "docs", HFCompleter(loaded))
        there = prompt_setup(asked, "docs", remote)
        assert here == there
    finally:
        handle.close()
