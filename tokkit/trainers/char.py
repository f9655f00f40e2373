"""Character-level BPE: BPE over Unicode characters whose tokens are at most K characters.

This is the recipe of ALEA's KL3M character tokenizers (``kl3m-004-char-4k/8k/16k``):
standard BPE (Sennrich et al. 2016), but a merge is only allowed while the merged token
stays within ``max_chars`` characters, so the vocabulary holds characters and short
character n-grams: a model sees nearly every character, which helps spelling, OCR
correction and whitespace-sensitive work. ``max_chars=1`` gives a pure character
vocabulary: the most frequent characters and nothing else.

What tokkit does differently from KL3M, and why:

* **Unicode characters, not GPT-2 bytes.** KL3M's tokens are byte-level, so its "3
  characters" are 3 bytes and a Devanagari letter already fills a token. Here the
  alphabet is the corpus's most frequent characters (those covering
  ``character_coverage`` of all occurrences), and ``max_chars`` counts characters.
* **Byte fallback instead of normalisation.** KL3M applies NFKC. Here nothing is
  normalised; a character outside the alphabet is written as its UTF-8 bytes with the
  256 tokens ``<0x00>``..``<0xFF>``, so every text round-trips exactly.
* **Pre-tokenization** is KL3M's: the GPT-2 regex (letters, digits and punctuation
  runs, each with an optional leading space), or cl100k's. Either one keeps letters,
  digits and ``<``/``>`` in separate pre-tokens, so no merge can spell a byte token's
  name such as ``<0x41>``: the text ``<0x41>`` stays text.

**Token layout.** ``<|endoftext|>`` (BOS and EOS), ``<|pad|>``, the 256 byte tokens, the
alphabet, then one token per merge in merge order. **Several sizes** come from one
training: the vocabulary of size V is the first V tokens, i.e. the merge list cut short
(:func:`~tokkit.trainers.bpe_family.truncate_bpe`); with ``max_chars=1`` it is the most frequent
characters, cut in frequency order. The alphabet does not depend on the size, so a cut
tokenizer equals one trained at that size.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter

from tokenizers import Regex
from tokenizers import Tokenizer as RustTokenizer
from tokenizers import decoders, models, pre_tokenizers

from tokkit.backends.hf import HFTokenizer
from tokkit.corpora import Corpus
from tokkit.errors import TokkitError
from tokkit.progress import Progress
from tokkit.corpora.base import Fingerprint
from tokkit.trainers.base import DEFAULT_SPECIALS, Trainer, check_reached, check_sizes, default_roles, option
from tokkit.trainers.bpe_family import PRETOKENIZERS, bpe_trainer, sized_tokenizers
from tokkit.trainers.reading import stream_texts, train_bpe

BYTE_TOKENS = [f"<0x{b:02X}>" for b in range(256)]


@dataclasses.dataclass
class CharOptions:
    max_chars: int = option(4, "longest token, in characters (1: a pure character vocabulary)", at_least=1)
    character_coverage: float = option(0.9995, "share of character occurrences the alphabet covers; rarer characters fall back to bytes",
                                       above=0, at_most=1)
    pretokenizer: str = option("gpt2", "pre-tokenization regex: " + ", ".join(PRETOKENIZERS), choices=tuple(PRETOKENIZERS))
    min_frequency: int = option(2, "a pair must occur at least this often to be merged", at_least=0)


def character_counts(texts) -> Counter:
    counts: Counter = Counter()
    for text in texts:
        counts.update(text)
    return counts


def by_frequency(counts: Counter) -> list[str]:
    """Characters, most frequent first (ties by code point, so the order is deterministic)."""
    return sorted(counts, key=lambda c: (-counts[c], c))


def covering(counts: Counter, coverage: float) -> list[str]:
    """The fewest most-frequent characters that cover ``coverage`` of all occurrences."""
    need = coverage * sum(counts.values())
    chosen, covered = [], 0
    for char in by_frequency(counts):
        if covered >= need:
            break
        chosen.append(char)
        covered += counts[char]
    return chosen


def char_bpe(pattern: str, vocab: dict[str, int], merges: list) -> RustTokenizer:
    """A character BPE with byte fallback, splitting text by ``pattern`` first."""
    tokenizer = RustTokenizer(models.BPE(vocab=vocab, merges=merges, byte_fallback=True))
    tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex(pattern), behavior="isolated")
    tokenizer.decoder = decoders.Sequence([decoders.ByteFallback(), decoders.Fuse()])
    tokenizer.add_special_tokens(list(DEFAULT_SPECIALS))
    return tokenizer


def with_byte_tokens(trained: RustTokenizer, pattern: str) -> RustTokenizer:
    """``trained`` with the 256 byte tokens placed right after the special tokens."""
    model = json.loads(trained.to_str())["model"]
    order = sorted(model["vocab"], key=model["vocab"].get)
    specials = order[: len(DEFAULT_SPECIALS)]
    if specials != list(DEFAULT_SPECIALS):
        raise RuntimeError("the BPE trainer did not put the special tokens first")
    tokens = specials + BYTE_TOKENS + order[len(DEFAULT_SPECIALS):]
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ", 1)) for m in model["merges"]]
    return char_bpe(pattern, {t: i for i, t in enumerate(tokens)}, merges)


class CharTrainer(Trainer):
    name = "char"
    summary = "character-level BPE, tokens of at most K characters, byte fallback (KL3M-style)"
    Options = CharOptions

    def train(self, corpus: Corpus, vocab_sizes: list[int], progress: Progress | None = None) -> dict[int, HFTokenizer]:
        opts = self.options
        pattern = PRETOKENIZERS[opts.pretokenizer]
        base = len(DEFAULT_SPECIALS) + len(BYTE_TOKENS)
        fingerprint = Fingerprint()
        counts = character_counts(stream_texts(corpus, progress, "counting characters", fingerprint))
        described = corpus.describe(fingerprint.hexdigest())
        if opts.max_chars == 1:
            sizes = check_sizes(vocab_sizes, base + 1, "a character vocabulary (special tokens, 256 bytes and one character)")
            return self._characters(by_frequency(counts), sizes, pattern, corpus, described)
        alphabet = covering(counts, opts.character_coverage)
        sizes = check_sizes(vocab_sizes, base + 1, "character BPE (special tokens, 256 bytes and one character)")
        if sizes[0] < base + len(alphabet):
            raise TokkitError(
                f"vocabulary size {sizes[0]} is below the {base + len(alphabet)} that character BPE needs here: special "
                f"tokens, 256 bytes and the {len(alphabet)} characters that cover {opts.character_coverage:.2%} of the "
                f"corpus (a lower character_coverage leaves fewer)"
            )
        trainer = bpe_trainer(
            sizes[-1] - len(BYTE_TOKENS),
            min_frequency=opts.min_frequency,
            # the stock trainer admits a merge only if its result is *shorter* than
            # max_token_length (tokenizers issue #1461; KL3M adds 1 too): ask for one more
            max_token_length=opts.max_chars + 1,
            alphabet=alphabet,
            limit_alphabet=len(alphabet),
        )
        learner = RustTokenizer(models.BPE())
        learner.pre_tokenizer = pre_tokenizers.Split(Regex(pattern), behavior="isolated")
        train_bpe(learner, trainer, corpus, progress)
        longest = max(len(token) for token in learner.get_vocab() if token not in DEFAULT_SPECIALS)
        if longest > opts.max_chars:
            raise RuntimeError(f"the BPE trainer made a {longest}-character token; max_token_length changed meaning")
        return sized_tokenizers(self, with_byte_tokens(learner, pattern), sizes, corpus, described)

    def _characters(self, ranked: list[str], sizes: list[int], pattern: str, corpus: Corpus,
                    described: dict) -> dict[int, HFTokenizer]:
        """``max_chars=1``: the most frequent characters, as many as each size holds."""
        check_reached(len(DEFAULT_SPECIALS) + len(BYTE_TOKENS) + len(ranked), sizes[-1], corpus)
        tokens = [*DEFAULT_SPECIALS, *BYTE_TOKENS, *ranked]
        out = {}
        for size in sizes:
            rust = char_bpe(pattern, {t: i for i, t in enumerate(tokens[:size])}, [])
            out[size] = HFTokenizer(rust, name=f"{self.name}-{size}", specials=default_roles(rust), provenance=self.provenance(corpus, size, described))
        return out
