"""GGUF model files: converted once, with transformers' GGUF loader, into a cached model folder.

A `.gguf` file (llama.cpp's format) is dequantised by transformers (the `gguf` package reads it)
into a plain fp32 model and saved as a safetensors folder under the cache, keyed by the file's
SHA-256, so only the first load pays the conversion (about a minute for a 135M model on two busy
cores) and every later load reads the folder in seconds. Quantised weights are dequantised: the
model runs at full precision, with the quantised values.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from codegen_bot.adapters.engines.base import EngineError

#: Overrides where converted models are kept (else `$XDG_CACHE_HOME/codegen`, `~/.cache/codegen`).
CACHE_ENV = "CODEGEN_CACHE_DIR"
#: The suffix that marks a model file for conversion.
SUFFIX = ".gguf"
_CHUNK = 1 << 20


def is_gguf(path: Path) -> bool:
    """Whether `path` names a GGUF file (by suffix; conversion checks the magic bytes)."""
    return path.suffix.lower() == SUFFIX


def cache_root(environ: Mapping[str, str]) -> Path:
    """The folder converted models live in: `$CODEGEN_CACHE_DIR`, `$XDG_CACHE_HOME/codegen`, ~."""
    if environ.get(CACHE_ENV):
        return Path(environ[CACHE_ENV]).expanduser()
    if environ.get("XDG_CACHE_HOME"):
        return Path(environ["XDG_CACHE_HOME"]).expanduser() / "codegen"
    return Path.home() / ".cache" / "codegen"


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def converted_folder(gguf: Path, environ: Mapping[str, str]) -> Path:
    """Where the conversion of `gguf` lives (whether or not it exists yet)."""
    return cache_root(environ) / "gguf" / file_sha256(gguf)[:16]


def _convert_into(gguf: Path, target: Path) -> None:
    """Dequantise `gguf` with transformers and save model and tokenizer as a folder."""
    import torch  # noqa: PLC0415 (heavy; only when converting)
    from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: PLC0415
    from transformers.utils import logging as hf_logging  # noqa: PLC0415

    hf_logging.disable_progress_bar()
    folder, name = str(gguf.parent), gguf.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(
        folder, gguf_file=name, dtype=torch.float32, local_files_only=True
    )
    # The weights are already plain fp32 tensors; what blocks saving is only the record that
    # they came through the GGUF quantizer.
    model.hf_quantizer = None  # type: ignore[assignment]  # transformers types it loosely
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(str(target))
    tokenizer.save_pretrained(str(target))
    (target / "source.txt").write_text(f"{gguf.name}\n", encoding="utf-8")


def ensure_converted(
    gguf: Path, environ: Mapping[str, str], progress: Callable[[str], None] | None = None
) -> Path:
    """The converted folder of `gguf`, converting it first when the cache lacks it.

    The conversion is written to a scratch folder beside its final place and renamed into it, so
    a killed conversion leaves no half folder, and two processes converting at once both end
    with the same complete one. Raises EngineError when the file cannot be read or converted.
    """
    if not gguf.is_file():
        raise EngineError(f"model file {gguf} does not exist")
    with gguf.open("rb") as stream:
        if stream.read(4) != b"GGUF":
            raise EngineError(f"model file {gguf} is not a GGUF file (no GGUF magic bytes)")
    target = converted_folder(gguf, environ)
    if (target / "config.json").is_file():
        return target
    if progress is not None:
        progress(f"converting {gguf.name} to a model folder in {target} (once; dequantised)")
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        _convert_into(gguf, scratch)
    except ImportError as error:
        shutil.rmtree(scratch, ignore_errors=True)
        raise EngineError(
            f"reading {gguf.name} needs the gguf package (pip install gguf): {error}"
        ) from error
    except (OSError, ValueError, KeyError, RuntimeError) as error:
        shutil.rmtree(scratch, ignore_errors=True)
        raise EngineError(f"cannot convert {gguf}: {error}") from error
    scratch.chmod(0o755)  # mkdtemp's 0700 would hide the model from the runner's other users
    try:
        os.rename(scratch, target)
    except OSError:
        # Another process finished first: its folder is as good as ours.
        shutil.rmtree(scratch, ignore_errors=True)
        if not (target / "config.json").is_file():
            raise
    return target
