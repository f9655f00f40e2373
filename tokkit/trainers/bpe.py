"""Byte-level BPE (Sennrich et al. 2016; GPT-2's byte-level variant, Radford et al. 2019).

Text is split into pre-tokens by a regular expression, each pre-token is written as
bytes (GPT-2's printable byte alphabet), and BPE starts from the 256 bytes and repeatedly
merges the most frequent adjacent pair into a new token. The merges are learnt by the
``tokenizers`` library's ``BpeTrainer``; what tokkit adds is the choice of
pre-tokenization, lossless settings, several vocabulary sizes from one training
(:mod:`tokkit.trainers.bpe_family` cuts the largest into the others exactly), and
reading that scales: plain files go straight to the library's Rust reader, other corpora
stream in bounded segments, and pre-tokens are capped (:mod:`tokkit.trainers.reading`).
"""

from __future__ import annotations

import dataclasses

from tokkit.backends.hf import HFTokenizer
from tokkit.corpora import Corpus
from tokkit.progress import Progress
from tokkit.trainers.base import DEFAULT_SPECIALS, Trainer, check_sizes, option
from tokkit.trainers.bpe_family import PRETOKENIZERS, bpe_trainer, byte_level_pre_tokenizer, new_byte_level_bpe, sized_tokenizers
from tokkit.trainers.reading import train_bpe


@dataclasses.dataclass
class BPEOptions:
    pretokenizer: str = option("cl100k", "pre-tokenization regex: " + ", ".join(PRETOKENIZERS), choices=tuple(PRETOKENIZERS))
    split_digits: bool = option(False, "split every digit into its own pre-token")
    min_frequency: int = option(2, "a pair must occur at least this often to be merged", at_least=0)


class BPETrainer(Trainer):
    name = "bpe"
    summary = "byte-level BPE with regex pre-tokenization (GPT-2 or cl100k/Llama-3)"
    Options = BPEOptions

    def train(self, corpus: Corpus, vocab_sizes: list[int], progress: Progress | None = None) -> dict[int, HFTokenizer]:
        opts = self.options
        sizes = check_sizes(vocab_sizes, 256 + len(DEFAULT_SPECIALS), "byte-level BPE (256 bytes + special tokens)")
        tokenizer = new_byte_level_bpe(byte_level_pre_tokenizer(PRETOKENIZERS[opts.pretokenizer], opts.split_digits))
        fingerprint = train_bpe(tokenizer, bpe_trainer(sizes[-1], min_frequency=opts.min_frequency), corpus, progress)
        return sized_tokenizers(self, tokenizer, sizes, corpus, corpus.describe(fingerprint))
