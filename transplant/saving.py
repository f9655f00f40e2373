"""Loading and saving causal LMs: a HF model folder, a hub name, or a GGUF file.

GGUF files are read by ``transformers`` itself (``from_pretrained(folder,
gguf_file=name)``, which dequantizes to float32); tokkit reads the same file's
vocabulary through ``tokkit.load``. ``trust_remote_code`` stays off. A saved folder holds
safetensors weights, the config and the new tokenizer as ``tokenizer.json`` +
``tokenizer_config.json``, so ``AutoModelForCausalLM`` and ``AutoTokenizer`` load it
without tokkit.
"""

from __future__ import annotations

from pathlib import Path

import tokkit
from tokkit.atomic import atomic_directory
from tokkit.backends.gguf_once import reading_once
from tokkit.errors import TokkitError, first_line, require
from tokkit.tokenizer import Tokenizer

torch = require("torch", "lm")

_WEIGHTS = ("*.safetensors", "*.bin", "*.safetensors.index.json", "*.bin.index.json")


def resolve_device(device: str) -> str:
    """``auto`` -> CUDA when torch sees a GPU, else CPU; ``cuda`` without a GPU is an error."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise TokkitError(f"--device {device} was asked for but torch sees no CUDA GPU; use --device cpu or auto")
    if device != "cpu" and not device.startswith("cuda"):
        raise TokkitError(f"unknown device '{device}': use auto, cpu or cuda")
    return device


def is_gguf(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return path.is_file() and handle.read(4) == b"GGUF"
    except OSError:
        return False


def load_model(spec: str, device: str = "cpu"):
    """A causal LM in eval mode from a folder, a GGUF file, or a hub name."""
    transformers = require("transformers", "lm")
    if is_gguf(Path(spec)):
        require("gguf", "lm")
        path = Path(spec).resolve()
        where, kwargs = str(path.parent), {"gguf_file": path.name}
    else:
        path = Path(spec)
        if path.is_dir():
            if not (path / "config.json").is_file():
                raise TokkitError(f"{spec} is not a model folder: it has no config.json")
            if not any(next(path.glob(p), None) for p in _WEIGHTS):
                raise TokkitError(f"{spec} has no model weights (*.safetensors or *.bin)")
        elif path.exists():
            raise TokkitError(f"{spec} is neither a model folder nor a GGUF file")
        where, kwargs = spec, {}
    try:
        with reading_once():  # a GGUF file is parsed once (see tokkit.backends.gguf_once)
            model = transformers.AutoModelForCausalLM.from_pretrained(where, trust_remote_code=False, **kwargs)
    except Exception as exc:
        raise TokkitError(f"cannot load the model {spec}: {first_line(exc)}") from exc
    if kwargs:
        _forget_gguf_origin(model)
    return model.to(device).eval()


def _forget_gguf_origin(model) -> None:
    """A GGUF model arrives dequantized (float32) but still marked as quantized, which
    ``save_pretrained`` refuses; where its weights are plain float tensors the mark is dropped."""
    quantizer = getattr(model, "hf_quantizer", None)
    if quantizer is not None and all(type(p) is torch.nn.Parameter and p.dtype.is_floating_point for p in model.parameters()):
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config


def load_model_tokenizer(spec: str) -> Tokenizer:
    """The tokenizer that ships with a model: its folder, its GGUF file, or hf:NAME."""
    path = Path(spec)
    return tokkit.load(spec if path.exists() else f"hf:{spec}")


def save(model, tokenizer: Tokenizer, out: str | Path, chat_template: str | None, force: bool = False) -> Path:
    """Write model + tokenizer into ``out`` atomically (complete or absent)."""
    fast = tokenizer.to_transformers()
    fast.chat_template = chat_template
    with atomic_directory(out, force=force) as tmp:
        model.save_pretrained(tmp)
        fast.save_pretrained(tmp)
    return Path(out)
