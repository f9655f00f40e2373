"""Unigram language-model tokenization (Kudo 2018, "Subword Regularization"), trained by SentencePiece.

The unigram model gives every piece a log-probability; a text is segmented into the
pieces whose probabilities multiply to the most (Viterbi). Training starts from a large
seed vocabulary of frequent substrings and alternates EM (re-estimating the piece
probabilities over all segmentations) with pruning the pieces whose removal costs the
corpus likelihood least, until ``vocab_size`` remain. The ``sentencepiece`` library does
the training; what tokkit adds is a lossless setup and a plain HF ``tokenizer.json``.

**Lossless.** SentencePiece's defaults normalise (NFKC), collapse runs of spaces, add a
dummy space in front, and write spaces as the meta symbol ``▁``, so a literal ``▁`` in the
input comes back as a space. tokkit trains with the ``identity`` normalisation, no dummy
prefix, no whitespace removal and byte fallback (Llama's choices), and converts the model
*without* the meta-space trick: each piece's ``▁`` is written as the plain space it stands
for, and a pre-tokenizer reproduces SentencePiece's word split (every space starts a new
piece: `` ?[^ ]+| ``). A literal ``▁`` is then no piece and falls back to its three bytes,
characters the vocabulary lacks fall back to ``<0xNN>`` bytes, and decoding (byte fallback,
then fuse) gives the input back exactly. One more split keeps the text ``<0x41>`` from
matching the byte piece of that name: a ``>`` right after ``<0xNN`` is cut off on its own.

**Agreement with SentencePiece.** The HF Unigram model runs the same Viterbi over the
same pieces and scores; the only texts it segments differently are ones containing
``<0xNN>`` (the ``>`` split above) or the literal ``<unk>`` (a special token here), where
SentencePiece itself would not be lossless.

**Token layout.** id 0 ``<|endoftext|>`` (BOS and EOS), 1 ``<|pad|>``, 2 ``<unk>`` (never
produced from text: unknown characters fall back to bytes), 3-258 the bytes ``<0x00>``
to ``<0xFF>``, then the learnt pieces in SentencePiece's order. ``vocab_size`` counts them all.

**Several sizes** mean one training per size: pruning depends on the target size, and a
smaller unigram vocabulary is not a prefix of a larger one (no exact truncation exists).

**Determinism.** SentencePiece's EM sums expected counts per thread, so its results depend
on the number of threads (not on the machine): ``num_threads`` is a fixed option, recorded
in the provenance, and the same corpus, seed and options give a byte-identical file. The
seed goes to SentencePiece's random generator, which it uses only to sample sentences.

**Memory: a sample of sentences.** SentencePiece holds every training sentence in memory
and builds a suffix array over them to find its seed pieces, so its memory grows with
the text it trains on. A corpus of more than ``max_sentences`` texts is therefore
trained on a uniform sample of that many, drawn with the seed (the bottom-k sample of
:mod:`tokkit.corpora.select`), which the trainer says before it starts; ``max_sentences=0``
trains on all. The sample is tokkit's, not SentencePiece's ``input_sentence_size``: its
reservoir sampling draws a different sample on every run, whatever the seed. The corpus
streams into SentencePiece, and a text longer than
:data:`~tokkit.trainers.reading.MAX_SEGMENT` characters reaches it as several segments.
"""

from __future__ import annotations

import dataclasses
import io
import re
from typing import Iterable, Iterator

import sentencepiece as spm
from tokenizers import Regex
from tokenizers import Tokenizer as RustTokenizer
from tokenizers import decoders, models, pre_tokenizers

from tokkit.backends.hf import HFTokenizer
from tokkit.corpora import Corpus
from tokkit.corpora.select import Selection
from tokkit.errors import TokkitError
from tokkit.progress import Progress
from tokkit.corpora.base import Fingerprint
from tokkit.trainers.base import DEFAULT_SPECIALS, Trainer, check_reached, check_sizes, default_roles, option
from tokkit.trainers.reading import count_texts, stream_texts

UNK = "<unk>"
#: the default sample of sentences SentencePiece keeps (see the module docstring)
MAX_SENTENCES = 1_000_000
#: SentencePiece's word split, with the meta space written as a plain space
WORD_SPLIT = r" ?[^ ]+| "
#: the ``>`` that would complete a byte-piece name such as ``<0x41>`` in the text
BYTE_NAME_END = r"(?<=<0x[0-9A-F]{2})>"


@dataclasses.dataclass
class UnigramOptions:
    character_coverage: float = option(0.9995, "share of character occurrences the vocabulary covers; rarer characters fall back to bytes",
                                       at_least=0.98, at_most=1)  # SentencePiece's own bounds
    max_piece_length: int = option(16, "longest piece, in characters (SentencePiece takes at most 512)", at_least=1, at_most=512)
    split_digits: bool = option(False, "keep every digit a piece of its own")
    num_threads: int = option(4, "SentencePiece EM threads (at most 1024); part of the result (same value, same tokenizer)",
                              at_least=1, at_most=1024)
    max_sentences: int = option(
        MAX_SENTENCES, "SentencePiece holds its sentences in memory: a corpus of more texts trains on a seeded sample "
        "of this many (0: all)", at_least=0,
    )


def spm_trainer_args(options: UnigramOptions, vocab_size: int) -> dict:
    """SentencePiece training arguments for a lossless unigram model of ``vocab_size`` pieces."""
    return dict(
        model_type="unigram",
        vocab_size=vocab_size,
        normalization_rule_name="identity",
        add_dummy_prefix=False,
        remove_extra_whitespaces=False,
        byte_fallback=True,
        character_coverage=options.character_coverage,
        max_sentencepiece_length=options.max_piece_length,
        split_digits=options.split_digits,
        max_sentence_length=1 << 30,
        num_threads=options.num_threads,
        unk_id=0,
        bos_id=-1,
        eos_id=-1,
        pad_id=-1,
        minloglevel=2,
    )


def train_spm(texts: Iterable[str], args: dict, corpus: Corpus, wanted: int) -> spm.SentencePieceProcessor:
    """Train SentencePiece on ``texts``; its size complaints become :class:`TokkitError`.

    An error raised while ``texts`` is read (a bad byte, an empty corpus) is raised as
    itself: SentencePiece would turn it into a ``RuntimeError``.
    """
    model = io.BytesIO()
    failed: list[BaseException] = []

    def guarded() -> Iterator[str]:
        try:
            yield from texts
        except Exception as exc:
            failed.append(exc)

    try:
        spm.SentencePieceTrainer.train(sentence_iterator=guarded(), model_writer=model, **args)
        if failed:
            raise failed[0]
        return spm.SentencePieceProcessor(model_proto=model.getvalue())
    except RuntimeError as exc:
        if failed:
            raise failed[0] from None
        message = str(exc).split("] ", 1)[-1].strip() or str(exc)
    too_high = re.search(r"<= (\d+)", message)
    if too_high:
        check_reached(int(too_high.group(1)) + len(DEFAULT_SPECIALS), wanted, corpus)
    chars = re.search(r"required_chars\. (\d+) vs (\d+)", message)
    if chars:
        need = int(chars.group(2)) + len(DEFAULT_SPECIALS)  # SentencePiece counts <unk> and the bytes
        raise TokkitError(
            f"vocabulary size {wanted} is below the {need} that unigram needs here (special tokens, <unk>, 256 bytes "
            f"and {int(chars.group(2)) - 257} characters): ask for more or lower character_coverage"
        )
    raise TokkitError(f"sentencepiece could not train: {message}")


def spm_to_hf(sp: spm.SentencePieceProcessor) -> RustTokenizer:
    """The HF ``tokenizer.json`` equivalent of ``sp``, lossless (see the module docstring)."""
    vocab = [(token, 0.0) for token in DEFAULT_SPECIALS]
    for i in range(sp.get_piece_size()):
        piece = sp.id_to_piece(i)
        if sp.is_unknown(i) or sp.is_byte(i):
            vocab.append((piece, 0.0))
        else:
            vocab.append((piece.replace("▁", " "), sp.get_score(i)))
    tokenizer = RustTokenizer(models.Unigram(vocab, unk_id=len(DEFAULT_SPECIALS) + sp.unk_id(), byte_fallback=True))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(WORD_SPLIT), behavior="isolated"),
            pre_tokenizers.Split(Regex(BYTE_NAME_END), behavior="isolated"),
        ]
    )
    tokenizer.decoder = decoders.Sequence([decoders.ByteFallback(), decoders.Fuse()])
    tokenizer.add_special_tokens([*DEFAULT_SPECIALS, UNK])
    return tokenizer


class UnigramTrainer(Trainer):
    name = "unigram"
    summary = "SentencePiece unigram LM with byte fallback, lossless (one training per size)"
    Options = UnigramOptions

    def train(self, corpus: Corpus, vocab_sizes: list[int], progress: Progress | None = None) -> dict[int, HFTokenizer]:
        opts = self.options
        base = len(DEFAULT_SPECIALS) + 1 + 256
        sizes = check_sizes(vocab_sizes, base + 1, "unigram (special tokens, <unk>, 256 bytes and one piece)")
        corpus = self._sentences(corpus, progress)
        described = None
        out = {}
        for size in sizes:
            fingerprint = Fingerprint() if described is None else None
            label = f"unigram {size:,}: " if len(sizes) > 1 else "unigram: "
            training = progress.add(f"{label}training", start=False) if progress else None
            texts = stream_texts(corpus, progress, f"{label}reading corpus", fingerprint, then=training)
            spm.set_random_generator_seed(self.seed)
            sp = train_spm(texts, spm_trainer_args(opts, size - len(DEFAULT_SPECIALS)), corpus, size)
            if training:
                training.done()
            described = described or corpus.describe(fingerprint.hexdigest())
            rust = spm_to_hf(sp)
            specials = dataclasses.replace(default_roles(rust), unk=rust.token_to_id(UNK))
            out[size] = HFTokenizer(rust, name=f"{self.name}-{size}", specials=specials, provenance=self.provenance(corpus, size, described))
        return out

    def _sentences(self, corpus: Corpus, progress: Progress | None) -> Corpus:
        """The corpus, or a seeded sample of ``max_sentences`` of its texts when it holds more
        (see the module docstring); said before training."""
        limit = self.options.max_sentences
        size = corpus.size_hint()
        if not limit or (size is not None and size <= limit):  # every text takes a byte at least
            return corpus
        count = count_texts(corpus, progress, "unigram: counting sentences")
        if count <= limit:
            return corpus
        if progress is not None:
            progress.note(f"unigram: SentencePiece holds its training sentences in memory, so it trains on a seeded "
                          f"sample of {limit:,} of the {count:,} texts (max_sentences, --max-sentences; 0 trains on all)")
        return Selection(corpus, sample=limit, seed=self.seed)
