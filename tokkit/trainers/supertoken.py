"""Supertokens: byte-level BPE trained on random-length character chunks (TokenAdapt's recipe).

From "Achieving Tokenizer Flexibility in Language Models through Heuristic Adaptation
and Supertoken Learning" (Sharthak et al. 2025, the TokenAdapt paper). Ordinary BPE
splits text at whitespace and punctuation before it learns merges, so no token spans
two words. Here the training text is instead cut into chunks of random length, in
characters, drawn from a fixed distribution; each chunk is one pre-token, so chunk
boundaries fall anywhere (inside words, or several words apart) and BPE learns frequent
multi-word "supertokens" such as ``ed to the`` alongside ordinary subwords. At inference
there is no split at all: the whole text is one sequence of bytes and the learnt merges
apply across word boundaries.

The reference implementation (Tinycompany-AI/SuperTokenizer) inserts a separator string
into the text at the chunk boundaries and splits on it; tokkit hands the chunks to the
``tokenizers`` BPE trainer as separate sequences instead, which is the same training
without a separator that could collide with the corpus.

**Chunk lengths** are drawn from ``min_chunk``..``max_chunk`` characters (a text shorter
than ``min_chunk``, or a last remainder, is one chunk of its own), with a seeded random
generator. ``normal`` (the default) weights length L by exp(-(L - mu)^2 / (2 sigma^2))
with mu the middle of the range and sigma a quarter of its width; the defaults 4..23
with mu = 13.5 and sigma = 4.75 approximate the distribution in the reference
``train.yaml`` (lengths 4-23, peak at 12-13, sd about 4): chunks long enough to hold two
or three short words, short enough that BPE still learns subwords. ``uniform`` weights
every length in the range equally.

**Lossless**: byte-level, no normalisation, so any text round-trips. **Several sizes**
come from one training by cutting the ordered merges
(:func:`~tokkit.trainers.bpe_family.truncate_bpe`); the chunks depend on the seed only, not on
the size, so a cut tokenizer equals one trained at that size.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import random
from typing import Iterable, Iterator

from tokkit.backends.hf import HFTokenizer
from tokkit.corpora import Corpus
from tokkit.errors import InvalidValue
from tokkit.progress import Progress
from tokkit.trainers.base import DEFAULT_SPECIALS, Trainer, check_memory, check_sizes, option
from tokkit.trainers.bpe_family import MAX_PRETOKEN, bpe_trainer, byte_level_pre_tokenizer, new_byte_level_bpe, sized_tokenizers
from tokkit.trainers.reading import train_bpe

DISTRIBUTIONS = ("normal", "uniform")
#: the BPE trainer's peak memory per byte of text, an estimate (it holds every distinct
#: chunk with its symbols and pair index; bench/README.md has the measurements)
BYTES_PER_BYTE = 110.0


@dataclasses.dataclass
class SupertokenOptions:
    min_chunk: int = option(4, "shortest training chunk, in characters", at_least=1, at_most=MAX_PRETOKEN)
    # the lengths' weights are a list over min..max, and BPE training cuts pre-tokens at
    # MAX_PRETOKEN symbols anyway: a longer chunk would only be cut again
    max_chunk: int = option(23, f"longest training chunk, in characters (at most {MAX_PRETOKEN})", at_least=1,
                            at_most=MAX_PRETOKEN)
    distribution: str = option("normal", "chunk-length distribution over min..max: " + ", ".join(DISTRIBUTIONS), choices=DISTRIBUTIONS)
    min_frequency: int = option(2, "a pair must occur at least this often to be merged", at_least=0)


def length_weights(low: int, high: int, distribution: str) -> list[float]:
    """The relative weight of each chunk length ``low``..``high`` (see the module docstring)."""
    if distribution == "uniform":
        return [1.0] * (high - low + 1)
    mu, sigma = (low + high) / 2, max((high - low) / 4, 0.5)
    return [math.exp(-((n - mu) ** 2) / (2 * sigma**2)) for n in range(low, high + 1)]


def random_chunks(texts: Iterable[str], low: int, high: int, distribution: str, seed: int) -> Iterator[str]:
    """Every text cut into consecutive chunks of random length (seeded: same texts, same chunks)."""
    rng = random.Random(seed)
    lengths = range(low, high + 1)
    cumulative = list(itertools.accumulate(length_weights(low, high, distribution)))
    for text in texts:
        start = 0
        while len(text) - start > low:
            size = rng.choices(lengths, cum_weights=cumulative)[0]
            yield text[start : start + size]
            start += size
        if start < len(text):
            yield text[start:]


class SupertokenTrainer(Trainer):
    name = "supertoken"
    summary = "byte-level BPE trained on random-length chunks, tokens span words (TokenAdapt supertokens)"
    Options = SupertokenOptions

    def train(self, corpus: Corpus, vocab_sizes: list[int], progress: Progress | None = None) -> dict[int, HFTokenizer]:
        opts = self.options
        if opts.min_chunk > opts.max_chunk:
            raise InvalidValue("min_chunk", f"must be at most max_chunk ({opts.max_chunk}), not {opts.min_chunk}")
        sizes = check_sizes(vocab_sizes, 256 + len(DEFAULT_SPECIALS), "byte-level BPE (256 bytes + special tokens)")
        check_memory(corpus, BYTES_PER_BYTE, "supertoken's BPE trainer", progress)
        tokenizer = new_byte_level_bpe(byte_level_pre_tokenizer(None))
        trainer = bpe_trainer(sizes[-1], min_frequency=opts.min_frequency)

        def chunks(texts):
            return random_chunks(texts, opts.min_chunk, opts.max_chunk, opts.distribution, self.seed)

        fingerprint = train_bpe(tokenizer, trainer, corpus, progress, chunks=chunks)
        return sized_tokenizers(self, tokenizer, sizes, corpus, corpus.describe(fingerprint))
