"""An unsupervised segmenter for any language: Morfessor Baseline behind the Analyzer interface.

Morfessor Baseline (Creutz & Lagus, "Unsupervised models for morpheme segmentation and
morphology learning", 2007; Virpioja et al., "Morfessor 2.0", 2013) learns a lexicon of
morphs from word counts alone by minimising a two-part MDL cost: the cost of the morph
lexicon plus the cost of the corpus written with it. It needs no rules and no lexicon,
so it serves every language that has none (the rule-based analyzers exist only for the
languages in :data:`tokkit.morphology.analyzer.RULE_BASED`).

The ``morfessor`` package (PyPI, ``tokkit[morph]``) does the learning and the Viterbi
segmentation of new words; this module feeds it a corpus and labels the result: the
first morph is the ``root``, the others are ``suffix`` (Morfessor does not know prefixes
from stems, so this is a convention, the label of a morph is its surface). Word counts
are dampened to ``log2(1 + count)`` (Morfessor's recommended "log" count modifier), which
keeps frequent words from being learnt whole. Models are saved as JSON (the training
segmentations, from which Morfessor rebuilds the model), never as a pickle.
"""

from __future__ import annotations

import json
import math
import os
import random
from collections import Counter
from pathlib import Path
from typing import Iterable, Literal

import regex

from tokkit.errors import TokkitError, require
from tokkit.json_shape import Shape
from tokkit.morphology.analyzer import ROOT, SUFFIX, Analyzer, Morph, Segmentation

WORD = regex.compile(r"[\p{L}\p{M}]+")

#: a saved model: the segmentation of every training word, with its count
MODEL_JSON = Shape({"format": Literal["morfessor-baseline"], "segmentations": list[tuple[int, str, list[str]]]})


def _dampen(count: int) -> int:
    return max(1, int(round(math.log2(1 + count))))


class MorfessorSegmenter(Analyzer):
    """Morfessor Baseline as an :class:`Analyzer` (any language)."""

    langs = None

    def __init__(self, model, cache_size: int = 1 << 16):
        super().__init__(cache_size)
        self.model = model

    @classmethod
    def train(cls, texts: Iterable[str], seed: int = 0, max_epochs: int | None = None, lower: bool = True) -> "MorfessorSegmenter":
        """Learn a segmenter from the words of ``texts`` (letter runs, lower-cased)."""
        morfessor = require("morfessor", "morph")
        require("morfessor.utils", "morph").show_progress_bar = False  # it writes dots to stderr
        counts: Counter = Counter()
        for text in texts:
            counts.update(m.group().lower() if lower else m.group() for m in WORD.finditer(text))
        if not counts:
            raise TokkitError("no words to train the Morfessor segmenter on: the corpus holds no letters")
        state = random.getstate()
        random.seed(seed)
        try:
            model = morfessor.BaselineModel()
            model.load_data([(n, w) for w, n in sorted(counts.items())], count_modifier=_dampen)
            model.train_batch(max_epochs=max_epochs)
        finally:
            random.setstate(state)
        return cls(model)

    def _analyze(self, word: str) -> list[Segmentation]:
        if not word:
            return []
        morphs, _cost = self.model.viterbi_segment(word)
        return [tuple(Morph(m, ROOT if i == 0 else SUFFIX, m) for i, m in enumerate(morphs))]

    def save(self, path: str | os.PathLike, force: bool = False) -> Path:
        """Write the model as JSON: the segmentation of every training word, with its count."""
        from tokkit.atomic import atomic_file

        rows = [[count, word, list(seg)] for count, word, seg in self.model.get_segmentations()]
        with atomic_file(path, force=force) as handle:
            json.dump({"format": "morfessor-baseline", "segmentations": rows}, handle, ensure_ascii=False)
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "MorfessorSegmenter":
        """A model :meth:`save` wrote; a file of another shape, or a segmentation whose
        morphs do not spell its word (Morfessor fails on one with a math domain error),
        is one line."""
        morfessor = require("morfessor", "morph")
        try:
            payload = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise TokkitError(f"no Morfessor model at {path}") from exc
        except (OSError, ValueError) as exc:
            raise TokkitError(f"{path} is not a Morfessor model saved by tokkit: {exc}") from exc
        MODEL_JSON.check(payload, str(path))
        rows = [(count, word, tuple(morphs)) for count, word, morphs in payload["segmentations"]]
        for i, (count, word, morphs) in enumerate(rows):
            if count < 1 or not word or "".join(morphs) != word or not all(morphs):
                raise TokkitError(f"{path}: segmentations[{i}] must be a count of at least 1, a word and non-empty morphs "
                                  f"that spell it, not {[count, word, list(morphs)]}")
        model = morfessor.BaselineModel()
        model.load_segmentations(rows)
        return cls(model)
