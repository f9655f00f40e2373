"""Cover encodings of a growing byte string (the Byte-Token Representation Lemma).

Phan et al. 2024 ("Exact Byte-Level Probabilities from Tokenized Language Models for
FIM-Tasks and Model Ensembles") prove that the probability that a text starts with the
bytes ``x`` is the sum, over the *covers* of ``x``, of the model's probability of the
cover: a cover is a valid token sequence ``t_1 .. t_k`` whose bytes start with ``x`` while
those of ``t_1 .. t_{k-1}`` are a strict prefix of ``x`` (only the last token crosses the
end of ``x``).

:class:`CoverTree` keeps the covers of ``x`` implicitly, as ByteSampler (Hayase et al.,
"Sampling from Your Language Model One Byte at a Time") does: as a set of *hypotheses*,
the valid token sequences whose bytes are exactly ``x[:e]`` for some ``e <= |x|`` close
enough to the end that a token can still reach past it. Every cover is a hypothesis ``h``
plus one token ``t`` whose bytes start with ``x[e:]``, drawn from the model's next-token
distribution after ``h``. When a byte arrives, the covers whose last token ends exactly at
the new end become hypotheses (each needs the model's distribution after it: these are
the only new forward passes), hypotheses that no token can extend are dropped, and the
stable prefix moves forward (:meth:`Canonical.stable_prefix`), dropping hypotheses that
disagree with it.

Probabilities are float64 log-probabilities of token sequences given the model's context
(BOS, or a FIM header); nothing here calls the model.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tokkit.byte_level.canonical import Canonical


@dataclass(eq=False)
class Hypothesis:
    """A valid token sequence whose bytes are ``x[:end]``, and its model log-probability.

    ``parent`` is the hypothesis it extends by its last token, kept only until the model
    has read this one (``None`` for the stable root). ``state`` is the model's state after
    it, opaque here except for its ``next_logprobs`` (the next-token distribution), set
    once a forward pass has read it."""

    tokens: tuple[int, ...]
    end: int
    logp: float
    parent: "Hypothesis | None" = field(default=None, repr=False)
    state: Any = field(default=None, repr=False)

    @property
    def next_logprobs(self) -> np.ndarray | None:
        return None if self.state is None else self.state.next_logprobs


class CoverTree:
    """The hypotheses (and through them the covers) of a byte string that grows."""

    def __init__(self, canonical: Canonical, data: bytes, frozen: list[int], frozen_end: int, frozen_logp: float, state: Any = None):
        self.canonical = canonical
        self.data = data[:frozen_end]
        self.frozen = tuple(frozen)
        self.frozen_end = frozen_end
        self.hypotheses = [Hypothesis(self.frozen, frozen_end, frozen_logp, state=state)]

    def copy(self) -> "CoverTree":
        """A tree that can be pushed without changing this one (hypotheses are shared:
        :meth:`push` never changes one, it makes new ones)."""
        twin = copy.copy(self)
        twin.hypotheses = list(self.hypotheses)
        return twin

    def tail(self, hyp: Hypothesis) -> tuple[int, ...]:
        return hyp.tokens[len(self.frozen):]

    def cover_tokens(self, hyp: Hypothesis, exact_end: bool | None = None) -> np.ndarray:
        """The valid tokens ``t`` that make ``hyp + t`` a cover of the current bytes.

        ``exact_end``: only those that end exactly at the end of the bytes (True), only
        those that reach past it (False), or both (None)."""
        depth = len(self.data) - hyp.end
        candidates = self.canonical.with_prefix(self.data[hyp.end:])
        if exact_end is not None:
            lengths = self.canonical.lengths[candidates]
            candidates = candidates[lengths == depth] if exact_end else candidates[lengths > depth]
        if len(candidates) == 0:
            return candidates
        return candidates[self.canonical.valid_after(self.tail(hyp), candidates, at_start=not self.frozen)]

    def push(self, byte: int) -> list[Hypothesis]:
        """Append one byte; return the new hypotheses, which need ``next_logprobs``.

        Which hypotheses exist depends on validity alone, so bytes can be pushed before
        any probabilities are known (a new hypothesis' ``logp`` is then NaN until set)."""
        new = []
        self.data += bytes([byte])
        for hyp in self.hypotheses:
            for t in self.cover_tokens(hyp, exact_end=True).tolist():
                logp = hyp.logp + hyp.next_logprobs[t] if hyp.next_logprobs is not None else math.nan
                new.append(Hypothesis(hyp.tokens + (t,), len(self.data), logp, parent=hyp))
        self.hypotheses = [h for h in self.hypotheses if self._reachable(h)] + new
        if self.canonical.lead and not self.canonical.space_bounded:  # no cut is ever sure: look at the whole text
            frozen, end = self.canonical.stable_prefix(self.data)
        else:  # pre-tokens after a stable boundary do not depend on the text before it
            more, end = self.canonical.stable_prefix(self.data[self.frozen_end :], at_start=not self.frozen)
            frozen, end = list(self.frozen) + more, self.frozen_end + end
        if end > self.frozen_end:
            self.frozen, self.frozen_end = tuple(frozen), end
            self.hypotheses = [h for h in self.hypotheses if h.end >= end and h.tokens[: len(frozen)] == self.frozen]
        return new

    def _reachable(self, hyp: Hypothesis) -> bool:
        """Whether some token can still extend ``hyp`` past the end of the bytes."""
        candidates = self.canonical.with_prefix(self.data[hyp.end:])
        return bool(np.any(self.canonical.lengths[candidates] > len(self.data) - hyp.end))

    # -- probabilities -----------------------------------------------------------------
    def logprob(self) -> float:
        """log P(the text starts with the bytes): the sum over covers, in float64. Covers
        whose last token ends exactly at the end are the hypotheses that end there."""
        if not self.data:
            return 0.0
        end = len(self.data)
        exact = [np.array([hyp.logp]) for hyp in self.hypotheses if hyp.end == end]
        past = [hyp.logp + hyp.next_logprobs[self.cover_tokens(hyp, exact_end=False)] for hyp in self.hypotheses if hyp.end < end]
        terms = np.concatenate(exact + past) if exact or past else np.zeros(0)
        return _logsumexp(terms)

    def covers(self) -> list[tuple[tuple[int, ...], float]]:
        """Every cover of the bytes with its log-probability (the terms of :meth:`logprob`)."""
        end = len(self.data)
        out = [(h.tokens, h.logp) for h in self.hypotheses if h.end == end and h.tokens]
        for hyp in self.hypotheses:
            if hyp.end < end:
                for t in self.cover_tokens(hyp, exact_end=False).tolist():
                    out.append((hyp.tokens + (t,), hyp.logp + float(hyp.next_logprobs[t])))
        return out

    def next_byte_scores(self) -> np.ndarray:
        """Unnormalised log-probabilities of the 257 outcomes after the bytes: each byte
        value (covers that continue with it), then end of text (the canonical encoding of
        the bytes, followed by EOS)."""
        scores = np.full(257, -np.inf)
        depth_of = len(self.data)
        for hyp in self.hypotheses:
            tokens = self.cover_tokens(hyp, exact_end=False)
            if len(tokens):
                values = hyp.logp + hyp.next_logprobs[tokens]
                nxt = self.canonical.byte_at(depth_of - hyp.end)[tokens]
                for b in np.unique(nxt):
                    scores[b] = np.logaddexp(scores[b], _logsumexp(values[nxt == b]))
        eos = self.canonical.eos
        if eos is not None:
            canonical = self.canonical.canonical_tail(self.data[self.frozen_end:], at_start=not self.frozen)
            for hyp in self.hypotheses:
                if hyp.end == len(self.data) and canonical is not None and list(self.tail(hyp)) == canonical:
                    scores[256] = np.logaddexp(scores[256], hyp.logp + hyp.next_logprobs[eos])
        return scores


def _logsumexp(values: np.ndarray) -> float:
    if len(values) == 0:
        return -np.inf
    top = np.max(values)
    if not np.isfinite(top):
        return float(top)
    return float(top + np.log(np.sum(np.exp(values - top))))
