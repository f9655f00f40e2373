"""Where text comes from: corpora as repeatable streams of texts.

This package imports nothing of tokkit, so anything may use it.

- ``open_corpus(spec)``: files, ``.gz``, ``file.jsonl:FIELD``, folders, globs and named
  corpora (``flores200:devtest:eng_Latn``, ``udhr``, ``xquad``, ``text:eng``, ``sample``),
  streamed, with a byte budget and seeded sampling;
- ``open_parallel(spec)``: a ``ParallelCorpus`` (language -> aligned lines);
- ``as_corpus(obj)``: a Corpus from what a Python caller has: a spec, a list or other
  iterable of strings, a generator, a ``datasets`` dataset;
- ``sample_corpus(lang)``: the built-in samples written for tokkit;
- ``list_named()``: the named forms, for help texts.
"""

from tokkit.corpora.base import Corpus, TextCorpus
from tokkit.corpora.errors import CorpusError
from tokkit.corpora.named import list_named
from tokkit.corpora.opening import open_corpus, sample_corpus
from tokkit.corpora.parallel import ParallelCorpus, open_parallel
from tokkit.corpora.python_objects import as_corpus

__all__ = [
    "Corpus",
    "TextCorpus",
    "CorpusError",
    "open_corpus",
    "as_corpus",
    "open_parallel",
    "ParallelCorpus",
    "sample_corpus",
    "list_named",
]
