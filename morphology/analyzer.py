"""The interface every morphological analyzer implements, and the word cache.

An analyzer takes one word and returns its segmentations, best first: each one a tuple
of :class:`Morph` (the surface letters, a kind, and a canonical label). The surfaces of
a segmentation concatenate to the (lower-cased) word. Kinds: ``root``, ``suffix``, and
``apostrophe`` (Turkish writes ``İstanbul'a``: the apostrophe separates a proper noun
from its suffixes).

Text is Zipfian: a few thousand word types cover most running words, so every analyzer
answers through a per-word LRU cache (:func:`functools.lru_cache`).

Analyzers by language: a rule-based one for Turkish (:mod:`tokkit.morphology.turkish`)
and an unsupervised one for any language (:mod:`tokkit.morphology.morfessor_segmenter`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from functools import lru_cache
from typing import NamedTuple

from tokkit.errors import TokkitError

ROOT, SUFFIX, APOSTROPHE = "root", "suffix", "apostrophe"


class Morph(NamedTuple):
    """One piece of a word: its letters, its kind, and its label.

    The label names the morpheme independently of its spelling: a root's lemma form
    (``kitap`` for the surface ``kitab``), a suffix's allomorph class (``lAr`` for both
    ``lar`` and ``ler``).
    """

    surface: str
    kind: str
    label: str


Segmentation = tuple[Morph, ...]


class Analyzer(ABC):
    """A word in, its segmentations out (best first); an empty list if none is found."""

    #: the language codes (ISO 639-1 / FLORES-style) this analyzer serves; None = any
    langs: frozenset[str] | None = None

    def __init__(self, cache_size: int = 1 << 16):
        self.analyze = lru_cache(maxsize=cache_size)(self._analyze)

    @abstractmethod
    def _analyze(self, word: str) -> list[Segmentation]:
        """The segmentations of one word (uncached)."""

    def segment(self, word: str) -> list[str]:
        """The best segmentation's surfaces, or the word whole when there is none."""
        found = self.analyze(word)
        return [m.surface for m in found[0]] if found else [word]

    def boundaries(self, word: str) -> set[int]:
        """Character offsets of the morpheme boundaries inside ``word`` (best analysis)."""
        found = self.analyze(word)
        if not found:
            return set()
        cuts, pos = set(), 0
        for morph in found[0][:-1]:
            pos += len(morph.surface)
            cuts.add(pos)
        return cuts


#: rule-based analyzers by language: ``code -> "module:attr"`` of a ``(lexicon_path) -> Analyzer``
RULE_BASED = {"tr": "tokkit.morphology.turkish:load_turkish_analyzer"}
LANG_ALIASES = {"tur": "tr", "tur_Latn": "tr", "turkish": "tr"}


def rule_based_analyzer(lang: str, lexicon: str | None = None) -> Analyzer:
    """The rule-based analyzer for ``lang``; a clear error names those that exist."""
    import importlib

    code = LANG_ALIASES.get(lang, lang)
    if code not in RULE_BASED:
        raise TokkitError(
            f"no rule-based analyzer for language '{lang}': rule-based analyzers exist for "
            f"{', '.join(sorted(RULE_BASED))}; the Morfessor segmenter (--analyzer morfessor) serves any language"
        )
    module, attr = RULE_BASED[code].split(":")
    return getattr(importlib.import_module(module), attr)(lexicon)
