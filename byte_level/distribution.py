"""Exact byte-level probabilities from a tokenized LM, for batches of prompts.

:class:`ByteModel` puts a :class:`~tokkit.byte_level.lm.CausalLM` and the cover trees of
:mod:`tokkit.byte_level.covers` together (Phan et al. 2024, "Exact Byte-Level
Probabilities from Tokenized Language Models for FIM-Tasks and Model Ensembles";
Hayase et al., "Sampling from Your Language Model One Byte at a Time"):

* :meth:`ByteModel.start` reads each prompt's stable tokens in one batched forward, then
  feeds the open end of each prompt byte by byte;
* :meth:`ByteModel.push` appends a byte to each prompt; all new hypotheses of all
  prompts go through **one** batched forward that reuses each prompt's cached prefix;
* :meth:`ByteModel.next_byte_logprobs` is the distribution over the 256 bytes and end of
  text, normalised, float64; :meth:`ByteModel.logprob` is log P(text starts with bytes).

The model reads its context first: the tokenizer's BOS token (EOS where there is no BOS,
as GPT-2-style models separate documents), and for fill-in-the-middle the FIM header.
Special tokens contribute no bytes: EOS is the end-of-text outcome and every other
special token's probability goes to no outcome (it is counted once, nowhere; ByteSampler
counts it twice). Token sequences the tokenizer cannot produce get no mass either, so the
outcome scores are normalised over what is left, as both papers do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from tokkit.byte_level.canonical import Canonical
from tokkit.byte_level.covers import CoverTree
from tokkit.byte_level.lm import CausalLM, Prefix
from tokkit.errors import TokkitError

#: index of the end-of-text outcome in a next-byte distribution
EOS = 256


@dataclass
class ByteState:
    """One prompt: its cover tree and the model's cached prefix (context + stable tokens)."""

    tree: CoverTree
    prefix: Prefix
    context: tuple[int, ...]
    lead: bytes

    @property
    def data(self) -> bytes:
        """The text's bytes so far (without a SentencePiece dummy-prefix space)."""
        return self.tree.data[len(self.lead):]


class ByteModel:
    """Byte-level view of a tokenized causal LM (see the module docstring)."""

    def __init__(self, lm: CausalLM):
        self.lm = lm
        self.canonical = Canonical(lm.tokenizer)

    @property
    def tokenizer(self):
        return self.lm.tokenizer

    def default_context(self) -> list[int]:
        """What the model reads before the text: BOS, or EOS where there is no BOS."""
        specials = self.tokenizer.specials
        start = specials.bos if specials.bos is not None else specials.eos
        if start is None:
            raise TokkitError(f"{self.tokenizer.name} has neither a BOS nor an EOS token to start a text with")
        return [start]

    # -- states -------------------------------------------------------------------------
    def start(self, prompts: Sequence[bytes], contexts: Sequence[Sequence[int]] | None = None) -> list[ByteState]:
        """States for ``prompts`` (bytes), each after its context (default: BOS)."""
        contexts = [list(c) for c in contexts] if contexts is not None else [self.default_context() for _ in prompts]
        prompts = [self.canonical.lead + bytes(p) for p in prompts]
        stable = [self.canonical.stable_prefix(p) for p in prompts]
        empty = Prefix((), None, None)
        rows = [[ctx + frozen] for ctx, (frozen, _) in zip(contexts, stable)]
        if any(not row[0] for row in rows):
            raise TokkitError("the model needs a context token before the text (BOS or a FIM header)")
        lasts, steps, prefixes = self.lm.extend([empty] * len(prompts), rows, freeze=[len(r[0]) for r in rows])
        states = []
        for i, prompt in enumerate(prompts):
            frozen, end = stable[i]
            prefixes[i].next_logprobs = lasts[i][0]
            logp = float(np.sum(steps[i][0][len(contexts[i]) - 1 :]))
            tree = CoverTree(self.canonical, prompt, frozen, end, logp)
            tree.hypotheses[0].next_logprobs = lasts[i][0]
            states.append(ByteState(tree, prefixes[i], tuple(contexts[i]), self.canonical.lead))
        self._read_open_ends(states, [p[end:] for p, (_, end) in zip(prompts, stable)])
        return states

    def _read_open_ends(self, states: list[ByteState], pending: list[bytes]) -> None:
        """Push each prompt's open end without the model, then give every hypothesis its
        probabilities from one batched forward over their tails."""
        roots = [s.tree.hypotheses[0] for s in states]
        for state, data in zip(states, pending):
            for value in data:
                state.tree.push(value)
        rows, freeze, owners = [], [], []
        for state, root in zip(states, roots):
            hyps = [h for h in state.tree.hypotheses if h is not root]
            done = len(state.prefix) - len(state.context)
            rows.append([list(h.tokens[done:]) for h in hyps])
            freeze.append(len(state.tree.frozen) - done if hyps else 0)
            owners.append(hyps)
        lasts, steps, prefixes = self.lm.extend([s.prefix for s in states], rows, freeze=freeze)
        for state, root, hyps, group, last, step, prefix in zip(states, roots, owners, rows, lasts, steps, prefixes):
            state.prefix = prefix
            for hyp, row, logprobs, path in zip(hyps, group, last, step):
                hyp.logp = root.logp + root.next_logprobs[row[0]] + float(np.sum(path))
                hyp.next_logprobs = logprobs

    def push(self, states: Sequence[ByteState], values: Sequence[int | None]) -> None:
        """Append ``values[i]`` (a byte, or None for no change) to state ``i``; one forward."""
        touched, rows, freeze, created = [], [], [], []
        for state, value in zip(states, values):
            if value is None:
                continue
            new = state.tree.push(value)
            if not new:
                continue
            done = len(state.prefix) - len(state.context)
            touched.append(state)
            rows.append([list(h.tokens[done:]) for h in new])
            freeze.append(len(state.tree.frozen) - done)
            created.append(new)
        if not touched:
            return
        lasts, _, prefixes = self.lm.extend([s.prefix for s in touched], rows, freeze=freeze)
        for state, new, last, prefix in zip(touched, created, lasts, prefixes):
            state.prefix = prefix
            for hyp, logprobs in zip(new, last):
                hyp.next_logprobs = logprobs

    # -- probabilities --------------------------------------------------------------------
    def next_byte_logprobs(self, states: Sequence[ByteState]) -> np.ndarray:
        """``[len(states), 257]`` normalised log-probabilities: bytes 0-255, then end of text."""
        out = np.stack([s.tree.next_byte_scores() for s in states])
        total = np.logaddexp.reduce(out, axis=1, keepdims=True)
        if not np.all(np.isfinite(total)):
            raise TokkitError("no byte can follow this text under the model (every continuation has probability 0)")
        return out - total

    def logprob(self, prompts: Sequence[bytes], contexts: Sequence[Sequence[int]] | None = None) -> list[float]:
        """log P(text starts with ``prompts[i]``) for each prompt, float64."""
        return [s.tree.logprob() for s in self.start(prompts, contexts)]
