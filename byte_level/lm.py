"""A causal language model behind one small interface: log-probabilities after token rows
that extend cached token prefixes, in one batched forward pass.

Byte-level work (Phan et al. 2024; Hayase et al., ByteSampler) evaluates many short token
sequences that share a long prefix: the prompt's stable tokens, then a few tokens that
differ between the candidate tokenizations of the open end of the text. :class:`CausalLM`
keeps the shared part as a :class:`Prefix` (its key/value cache, computed once) and runs
every candidate's differing tail, for every prompt in a batch, as one forward pass:

* the prefixes' caches are left-padded to one length, the padding masked out;
* each tail is a row, right-padded (causal attention never lets a real token see a pad);
* each row's log-probabilities are read at its own last token, in float64.

A forward can also *freeze* the first tokens of each prompt's rows: their keys and values
are cut out of the same forward and appended to the prompt's prefix, so that moving the
stable point of a prompt forward costs no extra pass. ``forward_calls`` counts passes.

Models load from a Hugging Face folder, a hub name, or a GGUF file (transformers reads
GGUF and dequantizes it); the tokenizer is the model's own, wrapped as a tokkit
:class:`~tokkit.backends.hf.HFTokenizer` with the model's BOS/EOS roles.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from tokkit.errors import TokkitError, require
from tokkit.tokenizer import SpecialTokens, Tokenizer

torch = require("torch", "lm")


@dataclass
class Prefix:
    """A token prefix the model has read: its ids, its key/value cache (batch 1, one
    ``(keys, values)`` pair per layer, or ``None`` before the first forward) and the
    log-probabilities of the next token after it (float64, or ``None`` when empty)."""

    ids: tuple[int, ...]
    cache: list[tuple["torch.Tensor", "torch.Tensor"]] | None
    next_logprobs: np.ndarray | None

    def __len__(self) -> int:
        return len(self.ids)


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
        empty = Prefix((), None, None)
        if not ids:
            return empty
        (logprobs,), _, (prefix,) = self.extend([empty], [[list(ids)]], freeze=[len(ids)])
        prefix.next_logprobs = logprobs[0]
        return prefix

    @torch.no_grad()
    def extend(
        self,
        prefixes: Sequence[Prefix],
        rows: Sequence[Sequence[Sequence[int]]],
        freeze: Sequence[int] | None = None,
    ) -> tuple[list[np.ndarray], list[list[np.ndarray]], list[Prefix]]:
        """Next-token log-probabilities after each row, one forward for all of them.

        ``rows[i]`` are the token rows that extend ``prefixes[i]`` (each non-empty).
        ``freeze[i]`` tokens, which every row of prompt ``i`` starts with, are appended to
        that prompt's prefix in the returned prefixes. Returns, per prompt, an array
        ``[len(rows[i]), vocab]`` of float64 next-token log-probabilities; per prompt and
        row, the log-probability of each row token after the first given those before it;
        and the new prefixes (whose ``next_logprobs`` are left unset).
        """
        freeze = list(freeze) if freeze is not None else [0] * len(prefixes)
        flat = [(i, list(row)) for i, group in enumerate(rows) for row in group]
        if not flat:
            return [np.zeros((0, self.vocab_size))] * len(prefixes), [[] for _ in prefixes], list(prefixes)
        past = max(len(p) for p in prefixes)
        width = max(len(row) for _, row in flat)
        ids = torch.zeros((len(flat), width), dtype=torch.long)
        mask = torch.zeros((len(flat), past + width), dtype=torch.long)
        positions = torch.zeros((len(flat), width), dtype=torch.long)
        for r, (i, row) in enumerate(flat):
            ids[r, : len(row)] = torch.tensor(row)
            mask[r, past - len(prefixes[i]) :] = 1
            positions[r] = torch.arange(len(prefixes[i]), len(prefixes[i]) + width)
        cache = self._padded_cache(prefixes, [i for i, _ in flat], past)
        out = self.model(
            input_ids=ids.to(self.device),
            attention_mask=mask.to(self.device),
            position_ids=positions.to(self.device),
            cache=cache,
            use_cache=True,
        )
        self.forward_calls += 1
        last = torch.tensor([len(row) - 1 for _, row in flat], device=self.device)
        logits = out.logits[torch.arange(len(flat), device=self.device), last].double()
        logprobs = torch.log_softmax(logits, dim=-1).cpu().numpy()
        steps = torch.log_softmax(out.logits[:, :-1], dim=-1).gather(-1, ids[:, 1:].to(self.device).unsqueeze(-1))
        steps = steps.squeeze(-1).double().cpu().numpy()
        results, row_steps, new_prefixes, r = [], [], [], 0
        layers = [(layer.keys, layer.values) for layer in out.cache.layers]
        for i, group in enumerate(rows):
            results.append(logprobs[r : r + len(group)])
            row_steps.append([steps[r + k, : len(row) - 1] for k, row in enumerate(group)])
            new_prefixes.append(self._frozen(prefixes[i], layers, r, past, group, freeze[i]))
            r += len(group)
        return results, row_steps, new_prefixes

    def _padded_cache(self, prefixes: Sequence[Prefix], owners: list[int], past: int):
        transformers = require("transformers", "lm")
        if past == 0:
            return transformers.DynamicCache(config=self.model.config)
        layers = []
        for layer in range(len(next(p for p in prefixes if p.cache).cache)):
            keys, values = [], []
            for i in owners:
                k, v = prefixes[i].cache[layer] if prefixes[i].cache else (None, None)
                keys.append(_left_pad(k, past, like=_any_layer(prefixes, layer, 0)))
                values.append(_left_pad(v, past, like=_any_layer(prefixes, layer, 1)))
            layers.append((torch.cat(keys), torch.cat(values)))
        return transformers.DynamicCache(ddp_cache_data=layers, config=self.model.config)

    @staticmethod
    def _frozen(prefix: Prefix, layers, row: int, past: int, group, n: int) -> Prefix:
        if n == 0:
            return prefix
        first = list(group[0])
        if any(list(g[:n]) != first[:n] for g in group):
            raise ValueError("every row of a prompt must start with the tokens it freezes")
        cache = []
        for layer, (k, v) in enumerate(layers):
            new_k, new_v = k[row : row + 1, :, past : past + n], v[row : row + 1, :, past : past + n]
            if prefix.cache:
                old_k, old_v = prefix.cache[layer]
                new_k, new_v = torch.cat([old_k, new_k], dim=2), torch.cat([old_v, new_v], dim=2)
            cache.append((new_k.contiguous(), new_v.contiguous()))
        return Prefix(prefix.ids + tuple(first[:n]), cache, None)


def _any_layer(prefixes: Sequence[Prefix], layer: int, which: int):
    return next(p.cache[layer][which] for p in prefixes if p.cache)


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
