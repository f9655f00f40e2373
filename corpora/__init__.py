"""Where text comes from: corpora as repeatable streams of texts.

This package imports nothing of tokkit, so anything may use it.
"""

from tokkit.corpora.base import Corpus, TextCorpus
from tokkit.corpora.errors import CorpusError

__all__ = ["Corpus", "TextCorpus", "CorpusError"]
