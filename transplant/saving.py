"""Saving a transplanted model: a folder that ``transformers`` loads without tokkit.

It holds safetensors weights, the config and the new tokenizer as ``tokenizer.json`` +
``tokenizer_config.json`` (whose ``model_max_length`` is the model's number of positions),
so ``AutoModelForCausalLM`` and ``AutoTokenizer`` load it alone. (Models are loaded by :mod:`tokkit.causal_lm`.)
"""

from __future__ import annotations

from pathlib import Path

from tokkit.atomic import atomic_directory
from tokkit.tokenizer import Tokenizer


def save(model, tokenizer: Tokenizer, out: str | Path, chat_template: str | None, force: bool = False) -> Path:
    """Write model + tokenizer into ``out`` atomically (complete or absent)."""
    fast = tokenizer.to_transformers()
    fast.chat_template = chat_template
    # the tokenizer's length limit is the model's context (transformers writes 1e30, "none")
    positions = getattr(model.config, "max_position_embeddings", None)
    if positions:
        fast.model_max_length = positions
    with atomic_directory(out, force=force) as tmp:
        model.save_pretrained(tmp)
        fast.save_pretrained(tmp)
    return Path(out)
