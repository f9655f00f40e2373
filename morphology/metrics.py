"""%TR, %Pure and morphological boundary alignment, computed offline for any tokenizer.

"Tokenization Standards for Linguistic Integrity: Turkish as a Benchmark" (2025) scores a
tokenizer by the share of its tokens that are valid Turkish words (%TR) and the share
that are a root or a valid morpheme (%Pure); its code asks a web service. Here both are
decided offline by :class:`~tokkit.morphology.turkish.TurkishAnalyzer` over the Zemberek
lexicon, so anyone can reproduce them. Exactly:

**The string of a token.** ``tokenizer.token_bytes(id)`` (so every format is treated
alike), decoded as UTF-8; special tokens (``None``) are skipped. Leading and trailing
whitespace and the space markers ``Ġ`` and ``▁`` are stripped, and the rest is lower-cased
the Turkish way (``I``->``ı``, ``İ``->``i``). A token whose string then holds no letter
(punctuation, digits, whitespace, case markers, the empty string) is not counted at all.
A token whose bytes are not valid UTF-8 (a piece of a character) is counted and is
neither Turkish nor pure.

**%TR** (``tr_percent``): the string analyses fully as a Turkish word: a lexicon root
(common or proper noun, verb stem, ...) followed by zero or more suffixes that the
analyzer's morphotactics accept, spelt by the harmony rules.

**%Pure** (``pure_percent``): the string is a lexicon root, or a spelling of one of the
analyzer's suffix allomorph classes (``lar``, ``ler``, ``dı``, ``tü``, ``yı``, ...).

**Per distinct token** (``tr_percent``, ``pure_percent``, as the paper's code does): over
the distinct token strings (after stripping, so ``▁kitap`` and ``kitap`` are one type)
that occur in the encoded text. **Per running token** (``tr_percent_tokens``,
``pure_percent_tokens``): over every token occurrence, so frequent tokens weigh more.
All four are percentages (0-100).

**Morphological alignment** (``morph_alignment``, after MorphScore, Arnett & Bergen
2024, "Why do language models perform worse for morphologically complex languages?"):
for every word of the text (a run of letters, apostrophes between letters allowed) that
the analyzer can analyse, the gold boundaries are the character offsets inside the word
between the morphemes of its best analysis (``kitap|lar|ı``); the tokenizer's boundaries
are the offsets inside the word where one of its tokens starts or ends, from
``tokenizer.tokens(text)``. With counts summed over all word occurrences, precision
``P = hits / predicted``, recall ``R = hits / gold``, and ``morph_alignment`` is the F1
``2PR / (P + R)`` (0-1); ``morph_recall`` is ``R`` alone, which is MorphScore's own
quantity. Words with one morpheme have no gold boundary but still count for precision
(splitting ``kitap`` into ``ki|tap`` is an error).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field

import regex

from tokkit.metrics import Context, Metric, Reading, Scope
from tokkit.morphology.harmony import tr_lower

WORD = regex.compile(r"[\p{L}\p{M}]+(?:['’][\p{L}\p{M}]+)*")
MARKERS = " \t\n\r\f\vĠ▁"
TURKISH = frozenset({"tur_Latn"})

#: the metrics :meth:`TurkishMetrics.purity` computes, and what each means
PURITY = {
    "tr_percent": "%TR per distinct token string: the share that analyse fully as a Turkish word.",
    "pure_percent": "%Pure per distinct token string: the share that are a lexicon root or a suffix spelling.",
    "tr_percent_tokens": "%TR per running token (frequent tokens weigh more).",
    "pure_percent_tokens": "%Pure per running token.",
}
#: the metrics :meth:`TurkishMetrics.alignment` computes
ALIGNMENT = {
    "morph_alignment": "F1 of the tokenizer's boundaries inside words against the analyzer's morpheme boundaries.",
    "morph_recall": "Recall of the analyzer's morpheme boundaries inside words (MorphScore's quantity).",
}


def token_string(data: bytes | None) -> str | None:
    """The string a token is judged by; None when it is not counted (see the module doc)."""
    if data is None:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    text = tr_lower(text.strip(MARKERS))
    return text if any(ch.isalpha() for ch in text) else None


@dataclass
class TurkishCounts:
    """What the six metrics are computed from; adds up over texts with ``+``.

    ``strings``: occurrences of each counted token string; ``hits``, ``predicted``,
    ``gold``: boundaries inside analysable words (tokenizer's and analyzer's in common,
    the tokenizer's, the analyzer's).
    """

    strings: Counter = field(default_factory=Counter)
    hits: int = 0
    predicted: int = 0
    gold: int = 0

    def __add__(self, other: "TurkishCounts") -> "TurkishCounts":
        return TurkishCounts(self.strings + other.strings, self.hits + other.hits,
                             self.predicted + other.predicted, self.gold + other.gold)


class TurkishMetrics:
    """%TR, %Pure and boundary alignment over one Turkish analyzer (see the module doc)."""

    def __init__(self, lexicon: str | os.PathLike | None = None, analyzer=None):
        self._lexicon = lexicon
        self._analyzer = analyzer

    @property
    def analyzer(self):
        """The Turkish analyzer, loaded on first use (the lexicon is found like the trainer's)."""
        if self._analyzer is None:
            from tokkit.morphology.turkish import load_turkish_analyzer

            self._analyzer = load_turkish_analyzer(self._lexicon)
        return self._analyzer

    def definitions(self) -> list[Metric]:
        """The six metrics, for the metric registry; they share one collection per text."""
        return [Metric(name, about, True, Scope.LANGUAGE, self.collect, _reader(part, name), langs=TURKISH)
                for part, metrics in ((self.purity, PURITY), (self.alignment, ALIGNMENT)) for name, about in metrics.items()]

    def collect(self, reading: Reading) -> TurkishCounts:
        return self.count(reading.tokenizer, reading.texts, reading.ids)

    def count(self, tokenizer, texts: list[str], ids: list[list[int]]) -> TurkishCounts:
        """The counts of one text: token strings from ``ids``, boundaries from ``texts``."""
        occurrences = Counter(i for line in ids for i in line)
        strings: Counter = Counter()
        for i, n in occurrences.items():
            s = token_string(tokenizer.token_bytes(i))
            if s is not None:
                strings[s] += n
        return TurkishCounts(strings, *self._boundaries(tokenizer, texts))

    def _boundaries(self, tokenizer, texts: list[str]) -> tuple[int, int, int]:
        """(hits, predicted, gold) boundaries inside the words the analyzer can analyse."""
        hits = predicted = gold_total = 0
        for text in texts:
            cuts = set()
            for piece in tokenizer.tokens(text):
                if piece.end > piece.start:
                    cuts.add(piece.start)
                    cuts.add(piece.end)
            for m in WORD.finditer(text):
                gold = self.analyzer.boundaries(m.group())
                if not self.analyzer.analyze(m.group()):
                    continue
                start, end = m.span()
                pred = {c - start for c in cuts if start < c < end}
                hits += len(pred & gold)
                predicted += len(pred)
                gold_total += len(gold)
        return hits, predicted, gold_total

    def purity(self, counts: TurkishCounts) -> dict[str, float]:
        """%TR and %Pure, per distinct token string and per running token."""
        strings = counts.strings
        if not strings:
            return {}
        turkish = {s: bool(s) and self.analyzer.is_word(s) for s in strings}
        pure = {s: bool(s) and self.analyzer.is_morpheme(s) for s in strings}
        running = sum(strings.values())
        return {
            "tr_percent": 100.0 * sum(turkish.values()) / len(strings),
            "pure_percent": 100.0 * sum(pure.values()) / len(strings),
            "tr_percent_tokens": 100.0 * sum(n for s, n in strings.items() if turkish[s]) / running,
            "pure_percent_tokens": 100.0 * sum(n for s, n in strings.items() if pure[s]) / running,
        }

    def alignment(self, counts: TurkishCounts) -> dict[str, float]:
        """Boundary F1 and recall against the analyzer's morpheme boundaries."""
        if not counts.gold:
            return {}
        recall = counts.hits / counts.gold
        precision = counts.hits / counts.predicted if counts.predicted else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"morph_alignment": f1, "morph_recall": recall}

    def compute(self, tokenizer, texts: list[str], ids: list[list[int]]) -> dict[str, float]:
        """All six values for one text (for scripts; the evaluation goes through the registry)."""
        counts = self.count(tokenizer, texts, ids)
        return self.purity(counts) | self.alignment(counts)


def _reader(part, name: str):
    """A metric's compute: one value of ``part(counts)`` (undefined on this text: ``None``)."""
    def compute(counts: TurkishCounts, ctx: Context) -> float | None:
        return part(counts).get(name)

    return compute


def turkish_metrics() -> list[Metric]:
    """The ``turkish`` entry of the ``tokkit.metrics`` group."""
    return TurkishMetrics().definitions()
