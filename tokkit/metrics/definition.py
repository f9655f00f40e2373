"""What a metric is: a :class:`Metric` definition, the :class:`Scope` of its rows, and
the :class:`Context` its computation may read.

A metric says what it is (``name``, ``about``, which way is better), where it has rows
(its scope), what it is computed from (``collect``: a function from a
:class:`~tokkit.metrics.counts.Reading` to counts that add with ``+``) and how
(``compute``: counts and a context to a value, or ``None`` where the metric is
undefined on that text). A metric that encodes the text a second time (word by word,
or a perturbed copy) is not a ``default`` one: it is computed only when named, like a
plugin's.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Callable

from tokkit.metrics.counts import Reading, TokenCounts, VocabFacts
from tokkit.tokenizer import Tokenizer


class Scope(enum.Enum):
    """Where a metric has rows."""

    TEXT = "each language, and the whole corpus"
    LANGUAGE = "each language (a corpus without languages: the whole corpus)"
    CORPUS = "the whole corpus only"
    PIVOT = "each language of a parallel corpus, against the pivot language"


@dataclass(frozen=True)
class Context:
    """What a metric's ``compute`` may need besides its counts.

    ``lang`` is the row's language (``"all"`` for the whole corpus), ``multilingual``
    whether the corpus has languages; ``pivot`` and ``aligned`` are set for
    :attr:`Scope.PIVOT` metrics: the pivot language's :class:`TokenCounts`, and whether
    line *i* is the same sentence in every language.
    """

    tokenizer: Tokenizer
    facts: VocabFacts
    lang: str
    multilingual: bool
    alpha: float
    pivot: TokenCounts | None = None
    aligned: bool = False


@dataclass(frozen=True)
class Metric:
    """One metric; see the module docstring."""

    name: str
    about: str
    higher_is_better: bool | None
    scope: Scope
    collect: Callable[[Reading], Any]
    compute: Callable[[Any, Context], float | None]
    #: the languages it applies to (FLORES-style codes); ``None``: any
    langs: frozenset[str] | None = None
    #: computed when no metrics are named (``tokkit eval`` without ``--metrics``)
    default: bool = True

    def applies_to(self, lang: str) -> bool:
        return self.langs is None or lang in self.langs
