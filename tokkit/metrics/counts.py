"""What metrics are computed from: one reading of a text, and counts that add up.

An evaluation encodes each language of a corpus once per tokenizer, streamed a chunk of
lines at a time: each chunk is a :class:`Reading` (the lines, their ids, how long the
encoding took). Every metric is then computed from *counts* collected off readings: plain
sums (tokens, bytes, lines, a token frequency array, ...) that add with ``+``. Adding the
counts of a language's chunks gives the language, adding the counts of every language
gives the whole corpus, so a metric never needs the text itself again and memory does
not grow with the corpus. Metrics that read the same counts share one collection.

The built-in counts are :class:`TokenCounts` (everything read off the ids),
:class:`WordCounts` (whitespace words, for fertility), :class:`RoundTripCounts` (lines
that decode back to themselves), :class:`ContinuedWordCounts` (words that take more than
one token) and :class:`PerturbedCounts` (how the token count of each line changes under a
perturbation, one collection per perturbation); a plugin may bring its own (the Turkish
metrics count token strings and morpheme boundaries).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import chain
from typing import Callable, Sequence

import numpy as np
import regex

from tokkit.metrics import formulas as F
from tokkit.perturbations import PERTURBATIONS
from tokkit.tokenizer import Tokenizer

@dataclass(frozen=True)
class VocabFacts:
    """Per-id arrays for one tokenizer, built once and shared by every reading.

    ``special[i]``: id *i* is a control token; ``partial[i]``: id *i* holds part of a
    character (its bytes alone are not UTF-8: a byte-fallback piece such as ``<0xC3>``, or
    a byte-level BPE token of one byte of a character its vocabulary lacks);
    ``inner_space[i]``: id *i*'s text, leading and trailing whitespace stripped, still
    holds whitespace (a token across words); ``unk``: the unknown token's id, if there is one.
    """

    special: np.ndarray
    partial: np.ndarray
    inner_space: np.ndarray
    unk: int | None

    @property
    def size(self) -> int:
        return len(self.special)

    @classmethod
    def of(cls, tokenizer: Tokenizer) -> "VocabFacts":
        """Read the facts off a :class:`~tokkit.tokenizer.Tokenizer`."""
        table = tokenizer.all_token_bytes()
        special = np.fromiter((b is None for b in table), dtype=bool, count=len(table))
        special[list(tokenizer.special_ids)] = True
        partial = np.fromiter((b is not None and not _is_utf8(b) for b in table), dtype=bool, count=len(table))
        inner = np.fromiter((b is not None and _has_inner_space(b) for b in table), dtype=bool, count=len(table))
        unk = tokenizer.specials.unk
        if unk is not None:
            special[unk] = False  # an unknown token stands for text: it counts as a token
        return cls(special=special, partial=partial, inner_space=inner, unk=unk)

    def unknown(self, frequencies: np.ndarray) -> int:
        """How often the unknown token occurs, given the token frequencies."""
        return int(frequencies[self.unk]) if self.unk is not None else 0


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _has_inner_space(data: bytes) -> bool:
    """tokka-bench's ``has_whitespace_in_middle``: whitespace left once the ends are stripped."""
    return any(ch.isspace() for ch in data.decode("utf-8", "replace").strip())


#: the most characters one ``encode_batch`` call is given; a longer line is cut into pieces
MAX_PIECE_CHARS = 1 << 20

# where a long line may be cut: before the last white space of a run that a word follows
_CUT = regex.compile(r"(?r)\s(?=\S)")


def pieces(text: str, limit: int = MAX_PIECE_CHARS) -> list[str]:
    """``text`` cut into pieces of at most ``limit`` characters, for encoding.

    Each cut is made before the last white-space character of a run that a word follows
    (``"a   b"`` cuts as ``"a  "`` + ``" b"``), where the GPT-2-style pre-tokenizers split
    anyway and SentencePiece's spaces become its word marker, so a line cut at white
    space usually gets the same tokens as the whole line; a stretch of ``limit``
    characters without white space (a long base64 blob, unspaced text) is cut at the
    limit, where the tokens on either side can differ from the whole line's.
    """
    if len(text) <= limit:
        return [text]
    out, start = [], 0
    while len(text) - start > limit:
        found = _CUT.search(text, start + 1, start + limit + 2)
        cut = found.start() if found else start + limit
        out.append(text[start:cut])
        start = cut
    out.append(text[start:])
    return out


def encode_lines(tokenizer: Tokenizer, texts: Sequence[str], limit: int = MAX_PIECE_CHARS) -> tuple[np.ndarray, np.ndarray, float]:
    """All ids of ``texts`` end to end, the number of ids of each text, and the seconds
    ``encode_batch`` took.

    ``encode_batch`` is given at most ``limit`` characters at a time (a text longer than
    that in :func:`pieces`), and each batch's ids go into a numpy array at once: Python
    lists of ids cost about 36 bytes a token, so they are never kept for more than one
    batch, and a line of any length is encoded in bounded memory.
    """
    owner: list[int] = []  # the text each piece comes from
    batch: list[str] = []
    flats, lengths, seconds, size = [], [], 0.0, 0

    def encode() -> None:
        nonlocal seconds
        start = time.perf_counter()
        ids = tokenizer.encode_batch(batch)
        seconds += time.perf_counter() - start
        counts = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        lengths.append(counts)
        flats.append(np.fromiter(chain.from_iterable(ids), dtype=np.int64, count=int(counts.sum())))
        batch.clear()

    for index, text in enumerate(texts):
        for piece in pieces(text, limit):
            if batch and size + len(piece) > limit:
                encode()
                size = 0
            batch.append(piece)
            owner.append(index)
            size += len(piece)
    if batch:
        encode()
    flat = np.concatenate(flats) if flats else np.zeros(0, dtype=np.int64)
    per_piece = np.concatenate(lengths) if lengths else np.zeros(0, dtype=np.int64)
    per_text = np.bincount(np.asarray(owner, dtype=np.int64), weights=per_piece, minlength=len(texts)).astype(np.int64)
    return flat, per_text, seconds


@dataclass
class Reading:
    """Whole lines of one language (all of them, or one chunk of a stream) encoded by one
    tokenizer: all ids end to end (``flat``), where each line ends in ``flat``, and the
    seconds ``encode_batch`` took. ``per_line``: whether counts keep a value per line
    (only the per-line premium of a line-aligned corpus needs them)."""

    tokenizer: Tokenizer
    facts: VocabFacts
    lang: str
    texts: list[str]
    flat: np.ndarray
    ends: np.ndarray
    seconds: float
    per_line: bool = True

    @classmethod
    def of(cls, tokenizer: Tokenizer, facts: VocabFacts, lang: str, texts: list[str], *, per_line: bool = True,
           limit: int = MAX_PIECE_CHARS) -> "Reading":
        """Encode ``texts`` (see :func:`encode_lines` for ``limit``)."""
        flat, lengths, seconds = encode_lines(tokenizer, texts, limit)
        return cls(tokenizer, facts, lang, texts, flat, np.cumsum(lengths), seconds, per_line)

    @cached_property
    def ids(self) -> list[list[int]]:
        """The ids of each line, as lists (made on first use; the built-in counts read
        ``flat``)."""
        starts = np.concatenate(([0], self.ends[:-1])) if len(self.ends) else self.ends
        return [self.flat[a:b].tolist() for a, b in zip(starts, self.ends)]


def _end_to_end(ids: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """The ids of many texts end to end, and where each text ends."""
    lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
    ends = np.cumsum(lengths)
    total = int(ends[-1]) if len(ends) else 0
    return np.fromiter(chain.from_iterable(ids), dtype=np.int64, count=total), ends


def _ctc_each(reading: Reading, texts: list[str]) -> np.ndarray:
    """The CTC of each of ``texts`` under the reading's tokenizer, in one batch encode."""
    flat, ends = _end_to_end(reading.tokenizer.encode_batch(texts))
    return F.line_ctc(flat, ends, reading.facts.special)


@dataclass
class TokenCounts:
    """Everything read off the ids: sizes of the text, tokens (special tokens excluded),
    how often each id occurs, the tokens of each line, encoding time.

    The tokens of each line cost 8 bytes a line, so they are kept only for readings that
    ask for them (``per_line``), and as the parts the counts were added from (``+`` of two
    counts joins two tuples; :attr:`line_tokens` joins the arrays when it is read), so
    that adding the counts of a stream's chunks one by one does not copy every earlier
    line's count again.
    """

    lines: int
    bytes: int
    chars: int
    tokens: int
    frequencies: np.ndarray  # index = id (special tokens: 0)
    line_parts: tuple[np.ndarray, ...]  # the tokens of each line, in order, in parts
    seconds: float

    @property
    def line_tokens(self) -> np.ndarray:
        """The tokens of each line, in order (empty unless the readings were ``per_line``)."""
        return np.concatenate(self.line_parts) if self.line_parts else np.zeros(0, dtype=np.int64)

    @classmethod
    def collect(cls, reading: Reading) -> "TokenCounts":
        special, flat = reading.facts.special, reading.flat
        per_line = (F.line_ctc(flat, reading.ends, special),) if reading.per_line else ()
        return cls(
            lines=len(reading.texts),
            bytes=sum(len(t.encode("utf-8", "surrogatepass")) for t in reading.texts),
            chars=sum(map(len, reading.texts)),
            tokens=F.ctc(flat, special),
            frequencies=F.token_counts(flat, special),
            line_parts=per_line,
            seconds=reading.seconds,
        )

    def __add__(self, other: "TokenCounts") -> "TokenCounts":
        return TokenCounts(
            self.lines + other.lines, self.bytes + other.bytes, self.chars + other.chars,
            self.tokens + other.tokens, self.frequencies + other.frequencies, self.line_parts + other.line_parts,
            self.seconds + other.seconds,
        )


@dataclass
class WordCounts:
    """Whitespace-separated words (``str.split``) and the tokens of the same text."""

    words: int
    tokens: int

    @classmethod
    def collect(cls, reading: Reading) -> "WordCounts":
        return cls(sum(len(t.split()) for t in reading.texts), F.ctc(reading.flat, reading.facts.special))

    def __add__(self, other: "WordCounts") -> "WordCounts":
        return WordCounts(self.words + other.words, self.tokens + other.tokens)


@dataclass
class RoundTripCounts:
    """Lines, and the lines for which ``decode(encode(line)) == line``."""

    lines: int
    same: int

    @classmethod
    def collect(cls, reading: Reading) -> "RoundTripCounts":
        decode, flat = reading.tokenizer.decode, reading.flat
        starts = np.concatenate(([0], reading.ends[:-1])) if len(reading.ends) else reading.ends
        same = sum(decode(flat[a:b].tolist()) == text for text, a, b in zip(reading.texts, starts, reading.ends))
        return cls(len(reading.texts), same)

    def __add__(self, other: "RoundTripCounts") -> "RoundTripCounts":
        return RoundTripCounts(self.lines + other.lines, self.same + other.same)


@dataclass
class ContinuedWordCounts:
    """Words, and the words a tokenizer needs more than one token for.

    As tokka-bench (Gubler 2025) counts them: the words are the whitespace-separated
    ones where the language writes spaces between words, and each character that is not
    a space where it does not (Chinese, Japanese, Thai, ...); each distinct word is
    encoded on its own, once, and counted as often as it occurs.
    """

    words: int
    continued: int

    @classmethod
    def collect(cls, reading: Reading) -> "ContinuedWordCounts":
        if F.separates_words(reading.lang):
            units = Counter(word for text in reading.texts for word in text.split())
        else:
            units = Counter(ch for text in reading.texts for ch in text if not ch.isspace() and ch.isprintable())
        distinct = list(units)
        counts = np.fromiter(units.values(), dtype=np.int64, count=len(units))
        return cls(int(counts.sum()), int(counts[_ctc_each(reading, distinct) > 1].sum()))

    def __add__(self, other: "ContinuedWordCounts") -> "ContinuedWordCounts":
        return ContinuedWordCounts(self.words + other.words, self.continued + other.continued)


@dataclass
class PerturbedCounts:
    """Tokens of the text, and how far the token count of each line moves when the line
    is perturbed (:mod:`tokkit.perturbations`): the sum over lines of
    ``|ctc(perturbed line) - ctc(line)|``."""

    tokens: int
    moved: int

    @staticmethod
    @lru_cache(maxsize=None)
    def collector(perturbation: str) -> Callable[[Reading], "PerturbedCounts"]:
        """The collect function of one perturbation (one object per perturbation, so the
        metrics that share it share one collection)."""
        perturb = PERTURBATIONS[perturbation].apply

        def collect(reading: Reading) -> PerturbedCounts:
            after = _ctc_each(reading, [perturb(text) for text in reading.texts])
            before = F.line_ctc(reading.flat, reading.ends, reading.facts.special)
            return PerturbedCounts(int(before.sum()), int(np.abs(after - before).sum()))

        return collect

    def __add__(self, other: "PerturbedCounts") -> "PerturbedCounts":
        return PerturbedCounts(self.tokens + other.tokens, self.moved + other.moved)
