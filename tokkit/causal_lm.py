"""Loading a causal language model and its tokenizer: the one place both leaves use.

A model is named by a Hugging Face model folder (``config.json`` and weights), a GGUF
file (a whole model, which ``transformers`` dequantizes to float32), or a hub name (when
a network is there). :func:`load_causal_lm` decides which it is, checks the local cases
before transformers sees them (so a missing weight file is one clear line, not a minute
of hub retries, and a GGUF file with no tensors, a vocabulary, is refused rather than made
into a model of random weights from its config), keeps ``trust_remote_code`` off, and
moves the model to the chosen device in eval mode. :func:`load_lm_tokenizer` gives the model's own tokenizer through
:func:`tokkit.load` (a GGUF file's vocabulary read by tokkit itself, a folder's
``tokenizer.json`` with its roles), so the transplant and byte-level code read the same
ids, bytes and special-token roles. torch and transformers are imported only when a
function is called (they are the ``lm`` extra).

transformers 5.x loads ``from_pretrained(folder, gguf_file=name)`` in
``modeling_gguf_pytorch_utils``, which parses the whole file with ``gguf.GGUFReader`` twice
(once for the config, once for the tensors; each parse makes a numpy view of every
metadata array element) and builds ``gguf.get_tensor_name_map(arch, n_blocks)`` anew for
every tensor. Both are functions of their arguments whose results are only read, so
:func:`reading_gguf_once` memoises them while one model loads (same config, bit-identical
weights: a test compares with a plain load). The stand-ins are module attributes of
``gguf``, set under a lock and restored in a ``finally`` whatever the load raises. It
works because transformers imports both names from ``gguf`` inside the functions that use
them, at each call; were that to change, loads would only be slower again (the test
counts the parses, so it would say so).
"""

from __future__ import annotations

import functools
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from tokkit.backends.gguf_metadata import tensor_count
from tokkit.errors import InvalidValue, TokkitError, first_line, require
from tokkit.loading import is_gguf
from tokkit.tokenizer import Tokenizer

#: what counts as a model folder's weights
_WEIGHTS = ("*.safetensors", "*.bin", "*.safetensors.index.json", "*.bin.index.json")

_GGUF_LOCK = threading.Lock()  # the stand-ins are module attributes: one load at a time


def resolve_device(device: str) -> str:
    """``auto``: CUDA when torch sees a GPU, else the CPU; ``cpu``, ``cuda`` and ``cuda:N``
    as given, where torch can use them."""
    torch = require("torch", "lm")
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device != "cpu" and not (device == "cuda" or device.startswith("cuda:")):
        raise InvalidValue("device", f"must be auto, cpu, cuda or cuda:N, not '{device}'")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise InvalidValue("device", f"{device} was asked for but torch sees no CUDA GPU; use cpu or auto")
    if device.startswith("cuda:") and not (device[5:].isdigit() and int(device[5:]) < torch.cuda.device_count()):
        raise InvalidValue("device", f"{device} names no GPU torch sees (it sees {torch.cuda.device_count()})")
    return device


def load_causal_lm(spec: str | Path, device: str = "auto", dtype: str | None = None):
    """A causal LM in eval mode on ``device``, from a model folder, a GGUF file or a hub
    name; ``dtype`` (``"float32"``, ...) or transformers' default."""
    torch = require("torch", "lm")
    transformers = require("transformers", "lm")
    device = resolve_device(device)
    where, kwargs = _model_source(str(spec))
    if dtype is not None:
        kwargs["dtype"] = getattr(torch, dtype)
    transformers.utils.logging.disable_progress_bar()
    try:
        with reading_gguf_once():
            model = transformers.AutoModelForCausalLM.from_pretrained(where, trust_remote_code=False, **kwargs)
    except Exception as exc:  # transformers raises many kinds on a file it cannot read
        raise TokkitError(f"cannot load a causal LM from {spec}: {first_line(exc)}") from exc
    if "gguf_file" in kwargs:
        _forget_gguf_origin(model, torch)
    return model.to(device).eval()


def load_lm_tokenizer(spec: str | Path) -> Tokenizer:
    """The tokenizer that ships with a model: its folder's, its GGUF file's, or ``hf:NAME``'s."""
    import tokkit

    where, kwargs = _model_source(str(spec))  # a path that is no model fails here, as a model
    if "gguf_file" in kwargs:
        return tokkit.load(Path(where) / kwargs["gguf_file"], name=str(spec))
    return tokkit.load(where if Path(where).exists() else f"hf:{where}", name=str(spec))


def check_tokenizer_fits(model, tokenizer: Tokenizer) -> int:
    """The number of rows of ``model``'s input embedding, after checking that every id of
    ``tokenizer`` has one.

    An embedding may have more rows than its tokenizer has ids (many models pad theirs to a
    multiple of 64 or 128; the extra rows belong to no token); fewer means that the two
    were not made for each other, and an id past the end would fail deep in the forward pass.
    """
    rows = int(model.get_input_embeddings().weight.shape[0])
    if tokenizer.vocab_size > rows:
        raise TokkitError(f"the tokenizer and the model do not match: {tokenizer.name} has {tokenizer.vocab_size:,} tokens, "
                          f"the model's embedding only {rows:,} rows")
    return rows


def _model_source(spec: str) -> tuple[str, dict]:
    """Where ``from_pretrained`` reads the model, and its keyword arguments."""
    path = Path(spec).expanduser()
    if is_gguf(path):
        if tensor_count(path) == 0:
            raise TokkitError(f"{spec} is a GGUF vocabulary with no weights (it holds no tensors), not a model: "
                              "pass a GGUF model file, a model folder or a hub name")
        require("gguf", "lm")
        path = path.resolve()
        return str(path.parent), {"gguf_file": path.name}
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise TokkitError(f"{spec} is not a model folder: it has no config.json")
        if not any(next(path.glob(p), None) for p in _WEIGHTS):
            raise TokkitError(f"{spec} has no model weights (*.safetensors or *.bin)")
        return str(path), {}
    if path.exists():
        raise TokkitError(f"{spec} is neither a model folder nor a GGUF file")
    if spec.startswith((".", "/", "~")) or spec.count("/") > 1:
        raise TokkitError(f"no model at {spec}: pass a model folder, a GGUF file or a hub name")
    return spec, {}  # a hub name


def _forget_gguf_origin(model, torch) -> None:
    """A GGUF model arrives dequantized (float32) but still marked as quantized, which
    ``save_pretrained`` refuses; where its weights are plain float tensors the mark is dropped."""
    quantizer = getattr(model, "hf_quantizer", None)
    if quantizer is not None and all(type(p) is torch.nn.Parameter and p.dtype.is_floating_point for p in model.parameters()):
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config


@contextmanager
def reading_gguf_once() -> Iterator[None]:
    """Within the block, each GGUF file is parsed once and each tensor-name map built once
    (see the module docstring); a no-op where the ``gguf`` package is missing."""
    try:
        import gguf
    except ImportError:
        yield
        return
    with _GGUF_LOCK:
        reader, name_map = gguf.GGUFReader, gguf.get_tensor_name_map
        readers: dict[tuple, object] = {}

        def read(path, *args, **kwargs):
            key = (os.fspath(path), args, tuple(sorted(kwargs.items())))
            if key not in readers:
                readers[key] = reader(path, *args, **kwargs)
            return readers[key]

        gguf.GGUFReader, gguf.get_tensor_name_map = read, functools.lru_cache(maxsize=None)(name_map)
        try:
            yield
        finally:
            gguf.GGUFReader, gguf.get_tensor_name_map = reader, name_map
