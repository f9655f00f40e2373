"""A causal language model behind one small interface: next-token log-probabilities
after token rows that each extend a cached token prefix, in one batched forward pass.

Byte-level work (Phan et al. 2024; Hayase et al., ByteSampler) evaluates many short token
sequences that share long prefixes: the prompt's stable tokens, then a few tokens that
differ between the candidate tokenizations of the open end of the text. Like
ByteSampler's tree of cached states, every sequence the model has read is a
:class:`Prefix` that holds its own key/value cache, so a new sequence that adds one token
to a known one costs a one-token row. :meth:`CausalLM.extend` runs rows over any mix of
prefixes (of any prompts) as one forward pass:

* the prefixes' caches are left-padded to one length, the padding masked out;
* each row is right-padded (causal attention never lets a real token see a pad);
* each row's log-probabilities are read at its own last token, in float64;
* each new prefix keeps a *view* of its row's slice of the pass's key/value tensors, so
  nothing is copied beyond what the batched cache itself needs.

``forward_calls`` counts passes. Models load from a Hugging Face folder, a hub name, or a
GGUF file (transformers reads GGUF and dequantizes it); the tokenizer is the model's own,
wrapped as a tokkit :class:`~tokkit.backends.hf.HFTokenizer` with the model's BOS/EOS roles.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from tokkit.errors import TokkitError, require
from tokkit.tokenizer import SpecialTokens, Tokenizer

torch = require("torch", "lm")


@dataclass(eq=False)
class Prefix:
    """A token sequence the model has read: its ids, its key/value cache (batch 1, one
    ``(keys, values)`` pair per layer, ``[1, heads, len(ids), dim]``; ``None`` when empty)
    and the float64 log-probabilities of the next token after it (``None`` when empty)."""

    ids: tuple[int, ...]
    cache: list[tuple["torch.Tensor", "torch.Tensor"]] | None
    next_logprobs: np.ndarray | None

    def __len__(self) -> int:
        return len(self.ids)


EMPTY = Prefix((), None, None)


def pick_device(device: str = "auto") -> str:
    """``auto``: CUDA when present, else the CPU."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


class CausalLM:
    """A transformers causal LM and its tokenizer; see the module docstring."""

    def __init__(self, model, tokenizer: Tokenizer, name: str = "model"):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.name = name
        self.device = next(model.parameters()).device
        self.vocab_size = int(model.get_output_embeddings().weight.shape[0])
        self.forward_calls = 0

    # -- loading ----------------------------------------------------------------------
    @classmethod
    def load(cls, spec: str, device: str = "auto", dtype: str = "float32") -> "CausalLM":
        """Load a model: a HF folder, a hub name, or a ``.gguf`` file (see the module docstring)."""
        transformers = require("transformers", "lm")
        path = Path(spec).expanduser()
        kwargs: dict = {}
        source = spec
        if path.is_file():
            if path.suffix != ".gguf":
                raise TokkitError(f"{spec} is a file but not a GGUF model: pass a model folder, a hub name or a .gguf file")
            source, kwargs = str(path.parent), {"gguf_file": path.name}
        elif not path.exists() and (spec.startswith((".", "/", "~")) or spec.count("/") > 1):
            raise TokkitError(f"no model at {spec}: pass a model folder, a hub name or a .gguf file")
        transformers.utils.logging.disable_progress_bar()
        try:
            fast = transformers.AutoTokenizer.from_pretrained(source, **kwargs)
            model = transformers.AutoModelForCausalLM.from_pretrained(source, dtype=getattr(torch, dtype), **kwargs)
        except Exception as exc:  # transformers raises many kinds on a file it cannot read
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise TokkitError(f"transformers cannot load a causal LM from {spec}: {first}") from exc
        tokenizer = tokenizer_of(fast, spec)
        return cls(model.to(pick_device(device)), tokenizer, name=spec)

    # -- forward passes ----------------------------------------------------------------
    def start(self, ids: Sequence[int]) -> Prefix:
        """A prefix for ``ids`` (read with one forward unless ``ids`` is empty)."""
        return self.extend([EMPTY], [list(ids)])[0][0] if ids else EMPTY

    @torch.no_grad()
    def extend(
        self, prefixes: Sequence[Prefix], rows: Sequence[Sequence[int]], with_steps: bool = False
    ) -> tuple[list[Prefix], list[np.ndarray] | None]:
        """Read ``rows[i]`` (non-empty) after ``prefixes[i]``, all rows in one forward.

        Returns the new prefixes (``prefixes[i]`` + ``rows[i]``, with their caches and
        next-token log-probabilities) and, with ``with_steps``, per row the float64
        log-probability of each of its tokens after the first given those before it.
        """
        if not rows:
            return [], [] if with_steps else None
        real = len(rows)
        if self.device.type == "cpu" and real in (2, 3):
            # CPU BLAS multiplies 2 or 3 rows by a weight matrix row by row (measured with
            # torch 2.13: 2 rows cost 2x one row, 4 rows 1.6x), so pad to 4 with copies
            prefixes, rows = list(prefixes) + [prefixes[0]] * (4 - real), list(rows) + [rows[0]] * (4 - real)
        past = max(len(p) for p in prefixes)
        width = max(len(row) for row in rows)
        ids = torch.zeros((len(rows), width), dtype=torch.long)
        mask = torch.zeros((len(rows), past + width), dtype=torch.long)
        positions = torch.zeros((len(rows), width), dtype=torch.long)
        for r, (prefix, row) in enumerate(zip(prefixes, rows)):
            ids[r, : len(row)] = torch.tensor(row)
            mask[r, past - len(prefix) :] = 1
            positions[r] = torch.arange(len(prefix), len(prefix) + width)
        out = self.model(
            input_ids=ids.to(self.device),
            attention_mask=mask.to(self.device),
            position_ids=positions.to(self.device),
            cache=self._batched_cache(prefixes, past),
            use_cache=True,
        )
        self.forward_calls += 1
        last = torch.tensor([len(row) - 1 for row in rows], device=self.device)
        logits = out.logits[torch.arange(len(rows), device=self.device), last].double()
        logprobs = torch.log_softmax(logits, dim=-1).cpu().numpy()
        layers = [(layer.keys, layer.values) for layer in out.cache.layers]
        new = []
        prefixes, rows = prefixes[:real], rows[:real]
        for r, (prefix, row) in enumerate(zip(prefixes, rows)):
            span = slice(past - len(prefix), past + len(row))
            cache = [(k[r : r + 1, :, span], v[r : r + 1, :, span]) for k, v in layers]
            new.append(Prefix(prefix.ids + tuple(row), cache, logprobs[r]))
        if not with_steps:
            return new, None
        steps = torch.log_softmax(out.logits[:, :-1].double(), dim=-1).gather(-1, ids[:, 1:].to(self.device).unsqueeze(-1))
        steps = steps.squeeze(-1).cpu().numpy()
        return new, [steps[r, : len(row) - 1] for r, row in enumerate(rows)]

    def _batched_cache(self, prefixes: Sequence[Prefix], past: int):
        """The prefixes' caches as one left-padded batch (the tensors themselves for a
        single full-length prefix: the forward appends to a copy, never in place)."""
        transformers = require("transformers", "lm")
        if past == 0:
            return transformers.DynamicCache(config=self.model.config)
        like = next(p.cache for p in prefixes if p.cache)
        if len(prefixes) == 1:
            return transformers.DynamicCache(ddp_cache_data=like, config=self.model.config)
        layers = []
        for layer, (k0, v0) in enumerate(like):
            keys = [_left_pad(p.cache[layer][0] if p.cache else None, past, k0) for p in prefixes]
            values = [_left_pad(p.cache[layer][1] if p.cache else None, past, v0) for p in prefixes]
            layers.append((torch.cat(keys), torch.cat(values)))
        return transformers.DynamicCache(ddp_cache_data=layers, config=self.model.config)


def _left_pad(tensor, length: int, like):
    """``tensor`` ([1, heads, n, dim] or ``None``) left-padded with zeros to ``length``."""
    n = 0 if tensor is None else tensor.shape[2]
    if n == length:
        return tensor
    pad = like.new_zeros((1, like.shape[1], length - n, like.shape[3]))
    return pad if tensor is None else torch.cat([pad, tensor], dim=2)


def tokenizer_of(fast, name: str) -> Tokenizer:
    """The tokkit tokenizer of a transformers fast tokenizer, with its BOS/EOS roles.

    Byte-level probabilities need the exact bytes of every token, which tokkit reads off a
    ``tokenizers`` BPE (byte-level or byte-fallback); anything else has no byte mapping.
    """
    from tokkit.backends.hf import HFTokenizer

    backend = getattr(fast, "backend_tokenizer", None)
    if backend is None:
        raise TokkitError(f"the tokenizer of {name} is not a fast (tokenizers) tokenizer, so tokkit has no byte mapping for its tokens")
    roles = {role: getattr(fast, f"{role}_token_id", None) for role in ("bos", "eos", "pad", "unk")}
    return HFTokenizer(backend, name=name, specials=SpecialTokens(**{k: v for k, v in roles.items() if v is not None}))
