"""A causal language model behind one small interface: next-token log-probabilities
after token rows that each extend a token sequence the model has read, in one forward pass.

Byte-level work (Phan et al. 2024; Hayase et al., ByteSampler) evaluates many short token
sequences that share long prefixes: the prompt's stable tokens, then a few tokens that
differ between the candidate tokenizations of the open end of the text. ByteSampler keeps
them in a radix tree of key/value caches; tokkit keeps them in a :class:`Forest`:

* one key/value buffer (batch 1) holds every token any sequence of the forest has read,
  each in its own *slot*; a :class:`Prefix` is a token sequence and the slots of its
  tokens, so sequences that share a prefix share its slots, and a new sequence that adds
  one token to a known one costs one slot;
* :meth:`CausalLM.extend` reads rows of tokens, each after its own prefix, as **one**
  sequence in one forward pass: a 4-D attention mask lets each new token see its prefix's
  slots and the tokens before it in its row, nothing else, and position ids give each
  token its place in its own sequence, so every row reads as if it were alone;
* the buffer grows by doubling, so appending copies nothing most of the time (a batched
  cache of padded rows would copy every row's prefix at every step);
* log-probabilities are read at each row's last token (and, on request, at every token
  of the row), in float64, and only there: the output layer never runs elsewhere.

Several prompts share one forest too (their sequences simply never see each other). A
forest lives as long as one of its prefixes; the slots of dropped sequences stay in the
buffer, masked, until the forest goes. ``forward_calls`` counts passes.

Models and their tokenizers load through :mod:`tokkit.causal_lm` (a Hugging Face folder,
a hub name, or a GGUF file), as the transplant's do.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from tokkit.causal_lm import load_causal_lm, load_lm_tokenizer, resolve_device
from tokkit.errors import TokkitError, require
from tokkit.tokenizer import Tokenizer

torch = require("torch", "lm")
transformers = require("transformers", "lm")


class _GrowingLayer(transformers.DynamicLayer):
    """One layer's keys and values in a buffer that doubles when full (batch 1)."""

    def lazy_initialization(self, key_states, value_states) -> None:
        super().lazy_initialization(key_states, value_states)
        self._keys = key_states.new_zeros((1, key_states.shape[1], 256, key_states.shape[3]))
        self._values = value_states.new_zeros((1, value_states.shape[1], 256, value_states.shape[3]))
        self.keys, self.values = self._keys[:, :, :0], self._values[:, :, :0]

    def update(self, key_states, value_states, *args, **kwargs):
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        old, new = self.keys.shape[2], self.keys.shape[2] + key_states.shape[2]
        if new > self._keys.shape[2]:
            grown = max(2 * self._keys.shape[2], new)
            self._keys, self._values = _grown(self._keys, old, grown), _grown(self._values, old, grown)
        self._keys[:, :, old:new] = key_states
        self._values[:, :, old:new] = value_states
        self.keys, self.values = self._keys[:, :, :new], self._values[:, :, :new]
        return self.keys, self.values


def _grown(buffer, used: int, size: int):
    """``buffer`` ([1, heads, slots, dim]) with its first ``used`` slots kept, ``size`` slots long."""
    return torch.cat([buffer[:, :, :used], buffer.new_zeros((*buffer.shape[:2], size - used, buffer.shape[3]))], 2)


class Forest:
    """The key/value buffer of every token sequence read together (see the module docstring)."""

    def __init__(self):
        self.cache = transformers.Cache(layer_class_to_replicate=_GrowingLayer)
        self.size = 0


@dataclass(eq=False)
class Prefix:
    """A token sequence the model has read: its ids, the forest slots of its tokens, and
    the float64 log-probabilities of the next token after it (``None`` when empty)."""

    ids: tuple[int, ...]
    forest: Forest | None
    slots: np.ndarray
    next_logprobs: np.ndarray | None

    def __len__(self) -> int:
        return len(self.ids)


EMPTY = Prefix((), None, np.zeros(0, dtype=np.int64), None)


class CausalLM:
    """A transformers causal LM and its tokenizer; see the module docstring."""

    def __init__(self, model, tokenizer: Tokenizer, name: str = "model"):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.name = name
        self.device = next(model.parameters()).device
        self.dtype = next(model.parameters()).dtype
        self.vocab_size = int(model.get_output_embeddings().weight.shape[0])
        #: the most tokens one sequence may hold (the positions the model was trained on;
        #: None where its config does not say)
        self.context_size: int | None = getattr(model.config, "max_position_embeddings", None)
        self.forward_calls = 0
        # transformers renamed ``past_key_values`` to ``cache`` during 5.x
        self.cache_arg = "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"

    # -- loading ----------------------------------------------------------------------
    @classmethod
    def load(cls, spec: str, device: str = "auto", dtype: str = "float32") -> "CausalLM":
        """A model and its own tokenizer (see :mod:`tokkit.causal_lm`), in ``dtype``."""
        resolve_device(device)  # a bad device fails before anything loads
        tokenizer = load_lm_tokenizer(spec)
        return cls(load_causal_lm(spec, device=device, dtype=dtype), tokenizer, name=spec)

    # -- forward passes ----------------------------------------------------------------
    def check_fits(self, tokens: int) -> None:
        """Refuse a sequence of more ``tokens`` than the context: past its trained positions
        a model with learned ones fails and one with rotary ones reads garbage, silently.
        Refused, not windowed: a window would change the probabilities byte-level work
        computes exactly, into those of a shorter text."""
        if self.context_size is not None and tokens > self.context_size:
            raise TokkitError(f"the text is longer than {self.name}'s context of {self.context_size:,} tokens "
                              f"(it reached {tokens:,}): shorten it")

    def start(self, ids: Sequence[int]) -> Prefix:
        """A prefix for ``ids`` in a forest of its own (one forward unless ``ids`` is empty)."""
        return self.extend([EMPTY], [list(ids)])[0][0] if ids else EMPTY

    @torch.no_grad()
    def extend(
        self, prefixes: Sequence[Prefix], rows: Sequence[Sequence[int]], with_steps: bool = False
    ) -> tuple[list[Prefix], list[np.ndarray] | None]:
        """Read ``rows[i]`` (non-empty) after ``prefixes[i]``, all rows in one forward.

        The prefixes must belong to one forest (or be empty: then a new forest holds the
        rows). Returns the new prefixes (``prefixes[i]`` + ``rows[i]``, with their
        next-token log-probabilities) and, with ``with_steps``, per row the float64
        log-probability of each of its tokens after the first given those before it.
        """
        if not rows:
            return [], [] if with_steps else None
        forests = {id(p.forest): p.forest for p in prefixes if p.forest is not None}
        if len(forests) > 1:
            raise ValueError("the prefixes of one forward must belong to one forest")
        forest = next(iter(forests.values())) if forests else Forest()
        self.check_fits(max(len(prefix) + len(row) for prefix, row in zip(prefixes, rows)))  # before the mask is made
        lengths = [len(row) for row in rows]
        offsets = np.cumsum([0] + lengths)
        total, base = int(offsets[-1]), forest.size
        visible = np.zeros((total, base + total), dtype=bool)
        positions = np.zeros(total, dtype=np.int64)
        for prefix, row, at in zip(prefixes, rows, offsets):
            n = len(row)
            visible[at : at + n, prefix.slots] = True
            visible[at : at + n, base + at : base + at + n] = np.tril(np.ones((n, n), dtype=bool))
            positions[at : at + n] = np.arange(len(prefix), len(prefix) + n)
        mask = torch.full(visible.shape, torch.finfo(self.dtype).min, dtype=self.dtype)
        mask[torch.from_numpy(visible)] = 0
        lasts = offsets[1:] - 1
        keep = np.arange(total) if with_steps else lasts
        out = self.model(
            input_ids=torch.tensor([[t for row in rows for t in row]], device=self.device),
            attention_mask=mask[None, None].to(self.device),
            position_ids=torch.from_numpy(positions)[None].to(self.device),
            use_cache=True,
            **{self.cache_arg: forest.cache},
            logits_to_keep=torch.from_numpy(keep).to(self.device),
        )
        self.forward_calls += 1
        forest.size += total
        logits = out.logits[0]
        at_last = np.searchsorted(keep, lasts)
        logprobs = torch.log_softmax(logits[torch.from_numpy(at_last).to(self.device)].double(), dim=-1).cpu().numpy()
        new = [
            Prefix(prefix.ids + tuple(row), forest, np.concatenate([prefix.slots, np.arange(base + at, base + at + len(row))]), logprobs[r])
            for r, (prefix, row, at) in enumerate(zip(prefixes, rows, offsets))
        ]
        if not with_steps:
            return new, None
        targets = torch.tensor([t for row in rows for t in row[1:]], dtype=torch.long, device=self.device)
        before = torch.from_numpy(np.concatenate([np.arange(at, at + n - 1) for at, n in zip(offsets, lengths)])).to(self.device)
        steps = np.concatenate([
            torch.log_softmax(logits[chunk].double(), dim=-1).gather(-1, tgt[:, None])[:, 0].cpu().numpy()
            for chunk, tgt in zip(before.split(256), targets.split(256))
        ]) if len(targets) else np.zeros(0)
        ends = np.cumsum([0] + [n - 1 for n in lengths])
        return new, [steps[ends[r] : ends[r + 1]] for r in range(len(rows))]
