"""Exact byte-level probabilities from a tokenized LM, for batches of prompts.

:class:`ByteModel` puts a :class:`~tokkit.byte_level.lm.CausalLM` and the cover trees of
:mod:`tokkit.byte_level.covers` together (Phan et al. 2024, "Exact Byte-Level
Probabilities from Tokenized Language Models for FIM-Tasks and Model Ensembles";
Hayase et al., "Sampling from Your Language Model One Byte at a Time"):

* :meth:`ByteModel.start` reads each prompt's stable tokens in one batched forward, then
  feeds the open end of each prompt byte by byte;
* :meth:`ByteModel.push` appends a byte to each prompt; the new hypotheses of all prompts
  (each one token added to a hypothesis the model has read, whose cached state it
  extends) go through **one** batched forward;
* :meth:`ByteModel.next_byte_logprobs` is the distribution over the 256 bytes and end of
  text, normalised, float64; :meth:`ByteModel.logprob` is log P(text starts with bytes).

**Lookahead** (tokkit's addition; exact, it only chooses what to compute early). Most
bytes create a hypothesis, so a plain byte-level sampler pays one forward per byte while
token generation pays one per token. But the model has already said what it expects: the
most probable cover's last token spells the next few bytes. A forward that has to run
anyway also reads, in the same batch, the hypotheses that those bytes would create (found
by pushing them into a copy of the cover tree, which needs no model). When the bytes
then arrive as guessed, their hypotheses take those states and no forward runs; when
they do not, the guesses are dropped. On a CPU a forward's cost is mostly reading the
weights once, so a few more rows cost little against the passes they save.

The model reads its context first: the tokenizer's BOS token (EOS where there is no BOS,
as GPT-2-style models separate documents), and for fill-in-the-middle the FIM header.
Special tokens contribute no bytes: EOS is the end-of-text outcome and every other
special token's probability goes to no outcome (it is counted once, nowhere; ByteSampler
counts it twice). Token sequences the tokenizer cannot produce get no mass either, so the
outcome scores are normalised over what is left, as both papers do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from tokkit.byte_level.canonical import Canonical
from tokkit.byte_level.covers import CoverTree, Hypothesis
from tokkit.byte_level.lm import EMPTY, CausalLM, Prefix
from tokkit.errors import InvalidValue, TokkitError

#: index of the end-of-text outcome in a next-byte distribution
EOS = 256


@dataclass
class ByteState:
    """One prompt: its cover tree, its context, and the states read ahead (see lookahead
    in the module docstring), by token sequence."""

    tree: CoverTree
    context: tuple[int, ...]
    lead: bytes
    ahead: dict[tuple[int, ...], Prefix] = field(default_factory=dict)

    @property
    def data(self) -> bytes:
        """The text's bytes so far (without a SentencePiece dummy-prefix space)."""
        return self.tree.data[len(self.lead):]


class ByteModel:
    """Byte-level view of a tokenized causal LM (see the module docstring).

    ``lookahead``: at most this many guessed bytes read ahead per prompt (0: none)."""

    def __init__(self, lm: CausalLM, lookahead: int = 8):
        self.lm = lm
        self.canonical = Canonical(lm.tokenizer)
        self.lookahead = lookahead

    @classmethod
    def load(cls, spec: str, device: str = "auto") -> "ByteModel":
        """The byte-level view of a model loaded by :meth:`CausalLM.load`."""
        return cls(CausalLM.load(spec, device=device))

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

    def check_room(self, used: int, max_bytes: int) -> None:
        """Refuse a generation of ``max_bytes`` that could run past the model's context
        after ``used`` tokens (the context and the prompt): each new byte adds at most one
        token, since every token but a special one spells at least a byte. Checked before
        the first byte, so that a long generation does not fail at its end."""
        self.lm.check_fits(used)
        size = self.lm.context_size
        if size is not None and used + max_bytes > size:
            raise InvalidValue("max_bytes", f"must be at most {size - used:,} here, not {max_bytes:,}: {self.lm.name} reads "
                                            f"{size:,} tokens at most and the prompt takes {used:,}")

    @staticmethod
    def most_tokens(state: ByteState) -> int:
        """The most tokens a hypothesis of ``state`` can hold: its context, the stable
        tokens, and one for each byte after them."""
        tree = state.tree
        return len(state.context) + len(tree.frozen) + len(tree.data) - tree.frozen_end

    # -- states -------------------------------------------------------------------------
    def start(self, prompts: Sequence[bytes], contexts: Sequence[Sequence[int]] | None = None,
              absolute: bool = True) -> list[ByteState]:
        """States for ``prompts`` (bytes), each after its context (default: BOS).

        One forward reads every prompt's context and stable tokens; the open ends are then
        pushed into the cover trees without the model, and one more forward reads every
        hypothesis they made (rows of several tokens over the stable root). With
        ``absolute=False`` the stable tokens' own probability is not computed (the output
        layer then runs at one position per prompt): log-probabilities are relative to
        it, which next-byte distributions and the choice of a cover do not depend on."""
        contexts = [list(c) for c in contexts] if contexts is not None else [self.default_context() for _ in prompts]
        if any(not c for c in contexts):
            raise TokkitError("the model needs a context token before the text (BOS or a FIM header)")
        prompts = [self.canonical.lead + bytes(p) for p in prompts]
        stable = [self.canonical.stable_prefix(p) for p in prompts]
        rows = [ctx + frozen for ctx, (frozen, _) in zip(contexts, stable)]
        roots, steps = self.lm.extend([EMPTY] * len(prompts), rows, with_steps=absolute)
        states = []
        for k, (ctx, prompt, (frozen, end), root) in enumerate(zip(contexts, prompts, stable, roots)):
            logp = float(np.sum(steps[k][len(ctx) - 1 :])) if absolute else 0.0
            tree = CoverTree(self.canonical, prompt, frozen, end, logp, state=root)
            for value in prompt[end:]:
                tree.push(value)
            states.append(ByteState(tree, tuple(ctx), self.canonical.lead))
        self._read(states)
        return states

    def push(self, states: Sequence[ByteState], values: Sequence[int | None]) -> None:
        """Append ``values[i]`` (a byte, or None for no change) to state ``i``; at most one forward."""
        for state, value in zip(states, values):
            if value is not None:
                state.tree.push(value)
                self._forget_stale(state)
        self._read([s for s, v in zip(states, values) if v is not None])

    def _read(self, states: Sequence[ByteState]) -> None:
        """Give every hypothesis of ``states`` its model state: from the states read
        ahead where they have it, else from one forward that also reads ahead."""
        pending = []
        for state in states:
            for hyp in state.tree.hypotheses:
                if hyp.state is None and hyp.tokens in state.ahead:
                    hyp.state, hyp.parent = state.ahead.pop(hyp.tokens), None
            pending.extend(h for h in state.tree.hypotheses if h.state is None)
        if not pending:
            return
        guesses = [(state, hyp) for state in states for hyp in self._guessed(state)]
        rows = [_row(hyp) for hyp in pending] + [_row(hyp) for _, hyp in guesses]
        read, steps = self.lm.extend([base.state for base, _ in rows], [tokens for _, tokens in rows], with_steps=True)
        for hyp, prefix, (base, tokens), step in zip(pending, read, rows, steps):
            hyp.logp = base.logp + float(base.next_logprobs[tokens[0]]) + float(np.sum(step))
            hyp.state, hyp.parent = prefix, None  # read: without the link, dropped ancestors are freed
        for (state, hyp), prefix in zip(guesses, read[len(pending) :]):
            state.ahead[hyp.tokens] = prefix

    def _guessed(self, state: ByteState) -> list[Hypothesis]:
        """The hypotheses that the rest of the most probable cover's last token would
        create, byte by byte (pushed into a copy of the tree; no model)."""
        if self.lookahead <= 0:
            return []
        tree, best, guess = state.tree, -np.inf, b""
        for hyp in tree.hypotheses:
            if hyp.state is None or hyp.end == len(tree.data):
                continue
            tokens = tree.cover_tokens(hyp, exact_end=False)
            if len(tokens):
                scores = hyp.next_logprobs[tokens]
                k = int(np.argmax(scores))
                if hyp.logp + scores[k] > best:
                    best = hyp.logp + scores[k]
                    guess = self.canonical.token_bytes[tokens[k]][len(tree.data) - hyp.end :]
        twin, made = tree.copy(), []
        for value in guess[: self.lookahead]:
            made.extend(h for h in twin.push(value) if h.tokens not in state.ahead)
        size = self.lm.context_size  # a guess past the end of the context is never read
        return [h for h in made if size is None or len(state.context) + len(h.tokens) <= size]

    def _forget_stale(self, state: ByteState) -> None:
        """Drop states read ahead for bytes that did not come."""
        data = state.tree.data
        for tokens in list(state.ahead):
            spelled = self.canonical.bytes_of(tokens)
            if len(spelled) < len(data) or not spelled.startswith(data):
                del state.ahead[tokens]

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


def _row(hyp: Hypothesis) -> tuple[Hypothesis, list[int]]:
    """The nearest ancestor of ``hyp`` that the model has read, and the tokens after it."""
    base = hyp.parent
    while base.state is None:
        base = base.parent
    return base, list(hyp.tokens[len(base.tokens) :])

