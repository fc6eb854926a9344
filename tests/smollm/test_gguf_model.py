"""GGUF files as `--model`: converted once into the cache, named by file and fingerprint."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from codegen_bot.adapters.engines.base import EngineError
from codegen_bot.adapters.engines.hf.gguf import (
    cache_root,
    converted_folder,
    ensure_converted,
    file_sha256,
)
from codegen_bot.adapters.engines.hf.loading import model_fingerprint
from codegen_bot.adapters.engines.hf.model import LoadedModel
from tests.smollm.conftest import GGUF_NAME

# The first test to run pays the session fixtures (conversion on a fresh machine, training).
pytestmark = [pytest.mark.model, pytest.mark.timeout(1800)]


def test_the_cache_lives_outside_the_checkout_and_is_keyed_by_the_file(
    smollm: Path, tmp_path: Path
) -> None:
    folder = converted_folder(smollm, os.environ)
    assert folder.parent.parent == cache_root(os.environ)
    assert folder.name == file_sha256(smollm)[:16]
    assert (folder / "config.json").is_file() and (folder / "model.safetensors").is_file()
    assert (folder / "source.txt").read_text().strip() == GGUF_NAME
    # A second call finds the folder: nothing is rewritten.
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    assert ensure_converted(smollm, os.environ) == folder
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp
    assert cache_root({"CODEGEN_CACHE_DIR": str(tmp_path)}) == tmp_path
    assert cache_root({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "codegen"


def test_the_identity_names_the_file_and_its_fingerprint(
    smollm: Path, smol_loaded: LoadedModel
) -> None:
    fingerprint = model_fingerprint(converted_folder(smollm, os.environ))
    assert smol_loaded.model_label == f"{GGUF_NAME}@{fingerprint}"
    assert smol_loaded.identity("docs").adapter == "docs@1"
    # The chat template came through the conversion with the tokenizer, and the engine reads
    # its frame: ChatML, its markers single special tokens (so budgets count them exactly).
    assert smol_loaded.tokenizer.chat_template
    frame = smol_loaded.chat_frame
    assert frame is not None
    assert frame.head.endswith("<|im_start|>user\n")
    assert frame.tail == "<|im_end|>\n<|im_start|>assistant\n"
    assert smol_loaded.count_tokens("<|im_start|>") == 1


def test_a_file_that_is_not_gguf_is_a_clear_error(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"not a model")
    with pytest.raises(EngineError, match="is not a GGUF file"):
        ensure_converted(fake, {"CODEGEN_CACHE_DIR": str(tmp_path / "cache")})
    with pytest.raises(EngineError, match="does not exist"):
        ensure_converted(tmp_path / "none.gguf", {"CODEGEN_CACHE_DIR": str(tmp_path)})
    assert not (tmp_path / "cache").exists()
