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

import regex

from tokkit.morphology.harmony import tr_lower

WORD = regex.compile(r"[\p{L}\p{M}]+(?:['’][\p{L}\p{M}]+)*")
MARKERS = " \t\n\r\f\vĠ▁"


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


class TurkishMetrics:
    """The ``turkish`` entry of the ``tokkit.metrics`` group: %TR, %Pure, boundary alignment."""

    names = ("tr_percent", "pure_percent", "tr_percent_tokens", "pure_percent_tokens", "morph_alignment", "morph_recall")
    langs = {"tur_Latn"}

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

    def compute(self, tokenizer, texts: list[str], ids: list[list[int]]) -> dict[str, float]:
        out = self.purity(tokenizer, ids)
        out.update(self.alignment(tokenizer, texts))
        return out

    def purity(self, tokenizer, ids: list[list[int]]) -> dict[str, float]:
        """%TR and %Pure, per distinct token string and per running token."""
        counts = Counter(i for line in ids for i in line)
        strings: Counter = Counter()
        for i, n in counts.items():
            s = token_string(tokenizer.token_bytes(i))
            if s is not None:
                strings[s] += n
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

    def alignment(self, tokenizer, texts: list[str]) -> dict[str, float]:
        """Boundary F1 and recall against the analyzer's morpheme boundaries."""
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
        if not gold_total:
            return {}
        recall = hits / gold_total
        precision = hits / predicted if predicted else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"morph_alignment": f1, "morph_recall": recall}
