"""Corpora from Python objects: lists and other iterables of strings, generators, and
Hugging Face ``datasets``, as ``tokenizers``' ``train_from_iterator`` takes them.

:func:`as_corpus` turns what a caller of ``tokkit.train`` or ``tokkit.evaluate`` passes
into a :class:`~tokkit.corpora.base.Corpus`:

- a ``Corpus`` stays as it is; a string or path is a corpus spec (:func:`open_corpus`);
- a list or tuple of strings is a list of corpus specs when its first string names a
  corpus (a named corpus, an existing file or folder, a glob that matches files), and
  then each of them must; otherwise its strings are the texts (wrap texts that happen to
  name files in a ``TextCorpus``);
- any other iterable gives the texts: its items are strings, or mappings whose ``"text"``
  field is one. A ``datasets.Dataset`` or ``IterableDataset`` (found by its
  ``column_names``, so ``datasets`` is never imported) gives its ``"text"`` column, or
  its only column.

**One-shot iterators.** A corpus is read more than once (superword and char training read
it twice; the fingerprint ``tokkit.json`` records is another pass where a trainer does
not compute it while reading), and a generator can be read only once. So an iterator
(``iter(x) is x``: a generator, ``map(...)``, an open file) becomes a
:class:`SpooledCorpus`: the texts are written, as they are first read, to an anonymous
temporary file, and every later pass reads them back from it, so every pass, and the
fingerprint, sees exactly the texts the iterator gave, with no copy held in memory.
"""

from __future__ import annotations

import os
import struct
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from tokkit.corpora.base import Corpus
from tokkit.corpora.errors import CorpusError
from tokkit.corpora.opening import names_corpus, open_corpus

#: the field (column) that holds the text of a mapping (a dataset row)
TEXT_FIELD = "text"


def as_corpus(obj: Any, *, data_dir: str | Path | None = None) -> Corpus:
    """``obj`` as a :class:`Corpus` (see the module docstring for what it may be)."""
    if isinstance(obj, Corpus):
        return obj
    if isinstance(obj, (str, os.PathLike)):
        return open_corpus(obj, data_dir=data_dir)
    if isinstance(obj, (bytes, bytearray)):
        raise CorpusError("a corpus is text: decode the bytes, or give the file they come from")
    if isinstance(obj, Mapping) and not hasattr(obj, "column_names"):
        raise CorpusError("a mapping is not a corpus: give its texts (mapping.values()), or a parallel corpus for language -> lines")
    if isinstance(obj, (list, tuple)) and obj and isinstance(obj[0], str) and names_corpus(obj[0]):
        texts = [spec for spec in obj if not (isinstance(spec, str) and names_corpus(spec))]
        if texts:
            raise CorpusError(f"{obj[0]!r} names a corpus but {str(texts[0])[:40]!r} does not: give corpus specs or texts, "
                              "not both (texts that name files go in a TextCorpus)")
        return open_corpus(list(obj), data_dir=data_dir)
    if not isinstance(obj, Iterable):
        raise CorpusError(f"cannot read texts from {type(obj).__name__}: give a corpus spec, a Corpus, or an iterable of strings")
    field = _text_column(obj)
    if iter(obj) is obj:
        return SpooledCorpus(obj, f"<{type(obj).__name__}>", field)
    return IterableCorpus(obj, _describe(obj, field), field)


def _text_column(obj: Any) -> str:
    """The column of a ``datasets`` dataset that holds the text (``"text"`` for others)."""
    columns = getattr(obj, "column_names", None)
    if columns is None:
        return TEXT_FIELD
    if isinstance(columns, Mapping):
        raise CorpusError(f"a dataset with splits ({', '.join(columns)}): pick one, e.g. dataset[{next(iter(columns))!r}]")
    if TEXT_FIELD in columns:
        return TEXT_FIELD
    if len(columns) == 1:
        return columns[0]
    raise CorpusError(f"the dataset has no {TEXT_FIELD!r} column (it has {', '.join(columns)}): "
                      "pick one, e.g. dataset.rename_column(NAME, 'text')")


def _describe(obj: Any, field: str) -> str:
    size = len(obj) if hasattr(obj, "__len__") else None
    column = f" {field!r} column" if hasattr(obj, "column_names") else ""
    return f"<{type(obj).__name__}{column}" + (f", {size:,} texts>" if size is not None else ">")


def _text(item: Any, field: str, number: int, spec: str) -> str:
    """An item's text: the item itself, or a mapping's ``field``."""
    if isinstance(item, Mapping):
        if field not in item:
            raise CorpusError(f"{spec}: item {number} has no {field!r} field (it has {', '.join(map(str, item))})")
        item = item[field]
    if not isinstance(item, str):
        raise CorpusError(f"{spec}: item {number} is {type(item).__name__}, not a string")
    return item


class IterableCorpus(Corpus):
    """The texts of an iterable that can be iterated again (a list, a dataset), not copied."""

    def __init__(self, items: Iterable, spec: str, field: str = TEXT_FIELD):
        super().__init__(spec)
        self._items, self._field = items, field

    def texts(self) -> Iterator[str]:
        for number, item in enumerate(self._items):
            yield _text(item, self._field, number, self.spec)


#: a spooled text: its UTF-8 length, then its bytes
_LENGTH = struct.Struct("<Q")


class SpooledCorpus(Corpus):
    """A one-shot iterator as a repeatable corpus, its texts spooled to a temporary file
    as they are first read (see the module docstring).

    A pass that stops early leaves the rest in the iterator; the next pass reads what was
    spooled, then goes on drawing from the iterator. Each pass keeps its own place in the
    spool (the file's buffer makes the seek before each read free while a pass reads on).
    """

    def __init__(self, iterator: Iterator, spec: str, field: str = TEXT_FIELD):
        super().__init__(spec)
        self._source, self._field = iterator, field
        self._spool = tempfile.TemporaryFile()
        self._spooled = 0  # texts in the spool
        self._end = 0  # bytes in the spool
        self._exhausted = False

    def texts(self) -> Iterator[str]:
        position = index = 0
        while True:
            if index < self._spooled:
                self._spool.seek(position)
                (size,) = _LENGTH.unpack(self._spool.read(_LENGTH.size))
                text = self._spool.read(size).decode("utf-8", "surrogatepass")
                position += _LENGTH.size + size
            elif self._exhausted:
                return
            else:
                try:
                    item = next(self._source)
                except StopIteration:
                    self._exhausted = True
                    return
                text = _text(item, self._field, self._spooled, self.spec)
                data = text.encode("utf-8", "surrogatepass")
                self._spool.seek(self._end)
                self._spool.write(_LENGTH.pack(len(data)) + data)
                self._end += _LENGTH.size + len(data)
                self._spooled += 1
                position = self._end
            index += 1
            yield text
