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


def _keyed(corpus: Corpus, seed: int) -> Iterator[tuple[float, int, str]]:
    draw = random.Random(seed).random
    for index, text in enumerate(corpus.texts()):
        yield draw(), index, text


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
        texts = self._sampled()
        return self._budgeted(texts) if self.budget is not None else texts

    def _sampled(self) -> Iterator[str]:
        if self.sample is None:
            yield from self.base.texts()
        elif isinstance(self.sample, float):
            for key, _, text in _keyed(self.base, self.seed):
                if key < self.sample:
                    yield text
        else:
            cutoff = self._cutoff(self.sample)
            for key, index, text in _keyed(self.base, self.seed):
                if (key, index) <= cutoff:
                    yield text

    def _cutoff(self, n: int) -> tuple[float, int]:
        """The n-th smallest (key, index): pass one of bottom-k sampling."""
        heap: list[tuple[float, int]] = []  # the n smallest so far, negated: a max-heap
        count = 0
        for key, index, _ in _keyed(self.base, self.seed):
            count += 1
            if len(heap) < n:
                heapq.heappush(heap, (-key, -index))
            elif (key, index) < (-heap[0][0], -heap[0][1]):
                heapq.heapreplace(heap, (-key, -index))
        if count < n:
            raise CorpusError(f"{self.base.spec} has {count} texts, fewer than the sample of {n} asked for")
        return -heap[0][0], -heap[0][1]

    def _budgeted(self, texts: Iterator[str]) -> Iterator[str]:
        used = 0
        for text in texts:
            used += len(text.encode("utf-8", "surrogatepass"))
            if used > self.budget:
                if hasattr(texts, "close"):
                    texts.close()
                return
            yield text

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
