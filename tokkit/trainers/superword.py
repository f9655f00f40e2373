"""Superword BPE: SuperBPE's two-stage curriculum (Liu et al. 2025, "SuperBPE: Space
Travel for Language Models").

Ordinary BPE never merges across its pre-tokenization boundaries, so no token spans two
words. SuperBPE lifts that limit halfway through training:

1. **Stage 1 (subwords)** learns ordinary byte-level BPE merges with whitespace-aware
   regex pre-tokenization (here the ``bpe`` trainer's, cl100k by default) until the
   vocabulary reaches the *transition point* ``t``.
2. **Stage 2 (superwords)** keeps those merges and goes on learning merges with a much
   weaker pre-tokenizer that no longer splits at spaces, so tokens such as ``Ġof Ġthe``
   appear. Like SuperBPE's released tokenizers, the stage-2 pre-tokenizer still isolates
   digit groups (``\\p{N}{1,3}``), runs of two or more punctuation characters (with a
   leading space and trailing newlines or slashes) and runs of spaces that precede a
   space (:data:`STAGE2_PATTERN`); and, as SuperBPE does, a new token may span at most
   ``max_words`` words (4), a word being a maximal run of bytes other than ASCII
   whitespace.

**The saved tokenizer is plain.** It is one BPE model (stage-1 merges, then stage-2
merges), the stage-2 pre-tokenizer and GPT-2's ByteLevel mapping: a ``tokenizer.json``
that the stock ``tokenizers`` library (and ``PreTrainedTokenizerFast``) runs as is.

**Training matches inference.** SuperBPE's own training needs a forked ``tokenizers``.
Here stage 1 is the stock ``BpeTrainer``; stage 2 is tokkit's own code
(:func:`~tokkit.trainers.superword_learner.learn_superword_merges`), written because the
stock trainer cannot continue from given merges nor enforce the word limit. Stage 2 does
not start from the stage-1 *training* segmentation: it cuts the corpus with the stage-2
pre-tokenizer and applies the stage-1 merges to each chunk with the stock BPE model,
which is exactly what the saved tokenizer does at inference before any stage-2 merge can
fire (stage-1 merges rank first). Stage-1 merges applied to a chunk that spans several words can differ slightly
from applying them word by word (a merge like ``"`` + ``The`` may now win over
``.`` + ``"``); training sees the same segmentation as inference, so this is a property
of the tokenizer, not a mismatch (bench/bench_superword.py compares the stage-1 tokenizer
under both pre-tokenizers). A
stage-2 merge whose result would equal an existing token is never made (it would let a
stage-1 merge fire again at inference), so every stage-2 merge creates a new token and
ids stay in merge order.

**Stage 2 algorithm** (:mod:`tokkit.trainers.superword_learner`): the incremental BPE of
the ``tokenizers`` trainer, vectorised with numpy, over the corpus's *distinct* stage-2
chunks with their counts. Ties go to the smaller pair of ids, so training is
deterministic; pairs whose merge would exceed ``max_words`` are never counted.

**Defaults, tuned on FLORES-200 dev** (English, 32,000 tokens, trained on text/eng): the
transition 0.7 gave the fewest tokens of the points tried, and stage 2 keeps SuperBPE's
pre-tokenizer (isolating sentence-final punctuation as well gave more tokens);
bench/README.md has the figures. SuperBPE's best downstream models used a late
transition (180k of 200k); set ``transition`` to 0.9 for that.

**Memory.** Stage 1 holds what the ``tokenizers`` trainer holds (the distinct
pre-tokens); the memory it frees is handed back to the system before stage 2 starts, so
the two peaks do not add up. Stage 2 holds each distinct chunk once, as stage-1 ids with
a few int32 arrays beside them (:mod:`~tokkit.trainers.superword_learner`): chunks are
the text between digit groups and punctuation runs, so in running text most are new,
and stage 2's memory grows with the corpus (bench/README.md has the figures). Before it
starts, training estimates that memory from the corpus size and refuses, in one line
naming ``--sample`` and ``--budget``, a corpus whose stage 2 would not fit in the memory
available (:data:`STAGE2_BYTES_PER_BYTE`). A text longer than
:data:`~tokkit.trainers.reading.MAX_SEGMENT` characters reaches both stages as segments,
so each cut is also a chunk boundary (texts that long are not running prose).

**Several sizes in one run.** The transition is fixed once, from the largest requested
size. Every smaller size is the same merge list cut short (sizes up to the transition
are plain BPE with the stage-1 pre-tokenizer) and equals a fresh training at that size
with ``transition`` set to the same absolute size.
"""

from __future__ import annotations

import dataclasses
import json

from tokenizers import Tokenizer as RustTokenizer

from tokkit.backends.hf import HFTokenizer
from tokkit.byte_map import chars_to_bytes
from tokkit.corpora import Corpus
from tokkit.errors import InvalidValue, TokkitError
from tokkit.progress import Progress
from tokkit.trainers.base import (
    DEFAULT_SPECIALS,
    Trainer,
    check_memory,
    check_reached,
    check_sizes,
    option,
    release_memory,
)
from tokkit.trainers.bpe_family import (
    PRETOKENIZERS,
    bpe_trainer,
    byte_level_pre_tokenizer,
    new_byte_level_bpe,
    sized_tokenizers,
)
from tokkit.trainers.reading import stream_texts, train_bpe
from tokkit.trainers.superword_learner import Chunks, collect_chunks, learn_superword_merges

#: what stage 2 still splits on: digit groups, runs of 2+ punctuation, spaces before a space
STAGE2_PATTERN = r"""\p{N}{1,3}| ?[^\s\p{L}\p{N}]{2,}[\r\n/]*| +(?!\S)"""
#: stage 2's peak memory per byte of text, an estimate for corpora without repeated chunks
#: (the chunk ids and the learner's arrays; bench/README.md has the measurements)
STAGE2_BYTES_PER_BYTE = 12.0


def transition_size(transition: float, largest: int, base: int) -> int:
    """The vocabulary size at which stage 2 starts: a fraction of ``largest`` or a size."""
    if transition < 1:
        size = round(transition * largest)
    elif transition == int(transition):
        size = int(transition)
    else:
        raise InvalidValue("transition", f"must be a fraction in (0, 1) or a whole vocabulary size, not {transition}")
    if not base < size < largest:
        raise TokkitError(
            f"the transition ({size} tokens) must lie between the {base} base tokens and the vocabulary size {largest}"
        )
    return size


@dataclasses.dataclass
class SuperwordOptions:
    transition: float = option(
        0.7, "where stage 2 (superwords) starts: a fraction of the largest vocabulary in (0,1), or a vocabulary size",
        above=0,
    )
    max_words: int = option(4, "a superword token spans at most this many words", at_least=1)
    pretokenizer: str = option(
        "cl100k", "stage-1 pre-tokenization regex: " + ", ".join(PRETOKENIZERS), choices=tuple(PRETOKENIZERS)
    )
    min_frequency: int = option(2, "a pair must occur at least this often to be merged (both stages)", at_least=0)


class SuperwordTrainer(Trainer):
    name = "superword"
    summary = "SuperBPE-style two-stage BPE: subwords up to a transition point, then tokens that span words"
    Options = SuperwordOptions

    def train(self, corpus: Corpus, vocab_sizes: list[int], progress: Progress | None = None) -> dict[int, HFTokenizer]:
        opts = self.options
        base = 256 + len(DEFAULT_SPECIALS)
        sizes = check_sizes(vocab_sizes, base, "byte-level BPE (256 bytes + special tokens)")
        if sizes[-1] <= base + 1:
            raise TokkitError(f"vocabulary size {sizes[-1]} leaves no room for both stages above the {base} base tokens")
        transition = transition_size(opts.transition, sizes[-1], base)

        check_memory(corpus, STAGE2_BYTES_PER_BYTE, "superword's stage 2", progress)

        stage1 = new_byte_level_bpe(byte_level_pre_tokenizer(PRETOKENIZERS[opts.pretokenizer]))
        trainer = bpe_trainer(transition, min_frequency=opts.min_frequency)
        fingerprint = train_bpe(stage1, trainer, corpus, progress, stage="stage 1: ")
        check_reached(stage1.get_vocab_size(with_added_tokens=True), transition, corpus)
        release_memory()  # stage 1's peak, before stage 2 builds its own

        chunks = self._stage2_chunks(stage1, corpus, progress)
        release_memory()
        id_bytes = [chars_to_bytes(stage1.id_to_token(i)) for i in range(stage1.get_vocab_size(with_added_tokens=True))]
        id_bytes = [None if i < len(DEFAULT_SPECIALS) else b for i, b in enumerate(id_bytes)]
        wanted = sizes[-1] - transition
        task = progress.add("stage 2: learning superword merges", total=wanted, unit="merges") if progress else None
        merges = learn_superword_merges(chunks, id_bytes, wanted, opts.max_words, opts.min_frequency, task)
        if task:
            task.done()
        full = self._with_stage2(stage1, merges)

        small = [s for s in sizes if s <= transition]
        large = [s for s in sizes if s > transition]
        described = corpus.describe(fingerprint)
        out = sized_tokenizers(self, stage1, small, corpus, described) if small else {}
        out.update(sized_tokenizers(self, full, large, corpus, described))
        for tokenizer in out.values():
            tokenizer.provenance.params["transition_size"] = transition
        return out

    @staticmethod
    def _stage2_chunks(stage1: RustTokenizer, corpus: Corpus, progress: Progress | None) -> Chunks:
        """The corpus's distinct stage-2 chunks as stage-1 ids, with their counts.

        A chunk is one pre-token of the stage-2 pre-tokenizer, written in stage-1 ids: what
        the saved tokenizer computes before any stage-2 merge can apply. A copy of
        ``stage1`` reads it, so ``stage1`` keeps its own pre-tokenizer.
        """
        reader = RustTokenizer.from_str(stage1.to_str())
        reader.pre_tokenizer = byte_level_pre_tokenizer(STAGE2_PATTERN)
        return collect_chunks(reader, stream_texts(corpus, progress, "stage 2: applying stage-1 merges"), progress,
                              "stage 2: merging equal chunks")

    @staticmethod
    def _with_stage2(stage1: RustTokenizer, merges: list[tuple[int, int]]) -> RustTokenizer:
        """The stage-1 tokenizer with the stage-2 merges appended and the stage-2 pre-tokenizer."""
        config = json.loads(stage1.to_str())
        model = config["model"]
        vocab = model["vocab"]
        names = {i: tok for tok, i in vocab.items()}
        for left, right in merges:
            merged = names[left] + names[right]
            names[len(names)] = merged
            vocab[merged] = len(names) - 1
            model["merges"].append([names[left], names[right]])
        tokenizer = RustTokenizer.from_str(json.dumps(config))
        tokenizer.pre_tokenizer = byte_level_pre_tokenizer(STAGE2_PATTERN)
        return tokenizer
