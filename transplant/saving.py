"""Saving a transplanted model: a folder that ``transformers`` loads without tokkit.

It holds safetensors weights, the config and the new tokenizer as ``tokenizer.json`` +
``tokenizer_config.json``, so ``AutoModelForCausalLM`` and ``AutoTokenizer`` load it
alone. (Models are loaded by :mod:`tokkit.causal_lm`.)
"""

from __future__ import annotations

from pathlib import Path

from tokkit.atomic import atomic_directory
from tokkit.tokenizer import Tokenizer


def save(model, tokenizer: Tokenizer, out: str | Path, chat_template: str | None, force: bool = False) -> Path:
    """Write model + tokenizer into ``out`` atomically (complete or absent)."""
    fast = tokenizer.to_transformers()
    fast.chat_template = chat_template
    with atomic_directory(out, force=force) as tmp:
        model.save_pretrained(tmp)
        fast.save_pretrained(tmp)
    return Path(out)
