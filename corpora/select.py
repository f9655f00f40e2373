"""Taking part of a corpus, deterministically and streamed: a seeded sample, then a byte budget.

Sampling gives text *i* (counting from 0, in corpus order) the key ``u_i``, the *i*-th draw
of ``random.Random(seed).random()`` (Python's Mersenne Twister, whose ``random()`` stream
is the same on every platform and version). Then

- ``sample=p``, a float in (0, 1]: keep text *i* when ``u_i < p`` (a Bernoulli sample,
  one pass; about ``p`` of the texts);
- ``sample=n``, an int: keep the ``n`` texts with the smallest keys ("bottom-k" sampling,
  a uniform sample of exactly ``n`` texts without replacement). A first pass finds the
  ``n``-th smallest key with a heap of ``n`` keys (no texts held); a second pass yields
  the texts whose key is at most that one.

Either way the kept texts come in corpus order, the same seed keeps the same texts, and a
larger fraction keeps a superset of a smaller one with the same seed.

The budget then takes the sampled texts in order while their UTF-8 bytes (line endings not
counted) add up to at most ``budget``: it stops before the first text that would cross it.
"""

from __future__ import annotations

import heapq
import random
from typing import Iterator

from tokkit.corpora.base import Corpus
from tokkit.corpora.errors import CorpusError


def check_sample(sample: int | float | None) -> int | float | None:
    if sample is None:
        return None
    if isinstance(sample, bool) or not isinstance(sample, (int, float)):
        raise CorpusError(f"sample must be a number of texts (int) or a fraction in (0, 1], not {sample!r}")
    if isinstance(sample, int):
        if sample < 1:
            raise CorpusError(f"sample={sample}: ask for at least 1 text")
    elif not 0.0 < sample <= 1.0:
        raise CorpusError(f"sample={sample}: a fraction must be in (0, 1]")
    return sample


def check_budget(budget: int | None) -> int | None:
    if budget is None:
        return None
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise CorpusError(f"budget must be a positive number of bytes, not {budget!r}")
    return budget


def _keyed(pieces: Iterator[tuple[str, bool]], seed: int) -> Iterator[tuple[float, int, str, bool]]:
    """``(key, index, piece, ends)``: each text's key is drawn at its first piece."""
    draw = random.Random(seed).random
    key, index, starts = 0.0, -1, True
    for piece, ends in pieces:
        if starts:
            key, index = draw(), index + 1
        yield key, index, piece, ends
        starts = ends


def _whole(texts: Iterator[str]) -> Iterator[tuple[str, bool]]:
    return ((text, True) for text in texts)


class Selection(Corpus):
    """Part of ``base``: a seeded sample (count or fraction), then a byte budget."""

    def __init__(self, base: Corpus, *, sample: int | float | None = None, seed: int = 0, budget: int | None = None):
        self.base = base
        self.sample = check_sample(sample)
        self.seed = seed
        self.budget = check_budget(budget)
        parts = [f"sample={sample}, seed={seed}"] if sample is not None else []
        parts += [f"budget={budget}"] if budget is not None else []
        super().__init__(f"{base.spec} ({', '.join(parts)})" if parts else base.spec)

    def texts(self) -> Iterator[str]:
        return (text for text, _ in self._selected(lambda: _whole(self.base.texts())))

    def pieces(self, limit: int) -> Iterator[tuple[str, bool]]:
        """The selected texts in pieces, streamed from the base corpus's pieces. Under a
        budget, a text's pieces are held until it ends (it is kept only if it fits), so a
        long text costs at most the budget in memory."""
        return self._selected(lambda: self.base.pieces(limit))

    def _selected(self, pieces) -> Iterator[tuple[str, bool]]:
        sampled = self._sampled(pieces)
        return self._budgeted(sampled) if self.budget is not None else sampled

    def _sampled(self, pieces) -> Iterator[tuple[str, bool]]:
        if self.sample is None:
            yield from pieces()
        elif isinstance(self.sample, float):
            for key, _, piece, ends in _keyed(pieces(), self.seed):
                if key < self.sample:
                    yield piece, ends
        else:
            cutoff = self._cutoff(self.sample, pieces())
            for key, index, piece, ends in _keyed(pieces(), self.seed):
                if (key, index) <= cutoff:
                    yield piece, ends

    def _cutoff(self, n: int, pieces: Iterator[tuple[str, bool]]) -> tuple[float, int]:
        """The n-th smallest (key, index): pass one of bottom-k sampling."""
        heap: list[tuple[float, int]] = []  # the n smallest so far, negated: a max-heap
        count = 0
        for key, index, _, ends in _keyed(pieces, self.seed):
            if not ends:
                continue
            count += 1
            if len(heap) < n:
                heapq.heappush(heap, (-key, -index))
            elif (key, index) < (-heap[0][0], -heap[0][1]):
                heapq.heapreplace(heap, (-key, -index))
        if count < n:
            raise CorpusError(f"{self.base.spec} has {count} texts, fewer than the sample of {n} asked for")
        return -heap[0][0], -heap[0][1]

    def _budgeted(self, pieces: Iterator[tuple[str, bool]]) -> Iterator[tuple[str, bool]]:
        used = 0
        held: list[str] = []  # the pieces of a text not yet known to fit
        for piece, ends in pieces:
            used += len(piece.encode("utf-8", "surrogatepass"))
            if used > self.budget:
                if hasattr(pieces, "close"):
                    pieces.close()
                return
            if not ends:
                held.append(piece)
                continue
            for earlier in held:
                yield earlier, False
            held.clear()
            yield piece, True

    def size_hint(self) -> int | None:
        """The budget, or the base's size where it is smaller; unknown for a sample."""
        if self.sample is not None:
            return None
        base = self.base.size_hint()
        return self.budget if base is None else min(base, self.budget)

    def describe(self, fingerprint: str | None = None) -> dict:
        info = super().describe(fingerprint)
        info.update({"sample": self.sample, "seed": self.seed, "budget": self.budget})
        return info
