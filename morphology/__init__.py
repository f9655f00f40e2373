"""Morphology for tokenizers: a rule-based Turkish analyzer, an unsupervised segmenter
for any language, the hybrid morphological tokenizer, and the linguistic metrics.

What a user imports:

* :class:`TurkishAnalyzer` (``load_turkish_analyzer(lexicon)``): roots from the Zemberek
  lexicon, suffixes by morphotactics, spellings by vowel harmony (``harmony``);
* :class:`MorfessorSegmenter`: Morfessor Baseline segmentation, for any language;
* :class:`HybridTokenizer` (trained with ``tokkit.train("hybrid", ...)``, the
  :class:`HybridTrainer` this package registers): roots + harmonised suffix ids + BPE
  fallback, lossless (``hybrid/``, docs/morphology.md);
* :class:`TurkishMetrics`: %TR, %Pure and morphological alignment, registered as the
  metrics ``tr_percent``, ``pure_percent``, ... of ``tokkit eval``.
"""

from tokkit.morphology.analyzer import Analyzer, rule_based_analyzer
from tokkit.morphology.hybrid import HybridOptions, HybridTokenizer, HybridTrainer, load_hybrid
from tokkit.morphology.metrics import TurkishMetrics
from tokkit.morphology.morfessor_segmenter import MorfessorSegmenter
from tokkit.morphology.turkish import TurkishAnalyzer, load_turkish_analyzer

__all__ = [
    "Analyzer", "HybridOptions", "HybridTokenizer", "HybridTrainer", "MorfessorSegmenter", "TurkishAnalyzer",
    "TurkishMetrics", "load_hybrid", "load_turkish_analyzer", "rule_based_analyzer",
]
