"""Reading texts from files, streamed: plain text, gzip, and JSON Lines.

Plain text holds one text per line. A line loses only its line ending (``\\n``, or
``\\r\\n``); every other character is kept exactly: tabs, leading and trailing spaces, a
lone ``\\r`` inside a line, U+2028 and U+0085 (Python's text mode would split on those, so
files are read in binary mode and split on ``b"\\n"`` alone). Empty lines are kept as
``""`` texts, so that line *i* of a file is text *i* of its corpus (parallel corpora rely
on this); trainers skip empty texts.

A JSON Lines file holds one JSON object per line and the text is one of its string fields
(``"text"`` unless the spec says ``file.jsonl:FIELD``); blank lines are not records.

Invalid UTF-8 is handled by ``errors``: ``"strict"`` stops with the file, the byte offset
of the first bad byte (in the decompressed stream for ``.gz``) and the remedy;
``"replace"`` puts U+FFFD for each bad sequence; ``"skip"`` drops the lines that hold one.

**Long lines** (a file without newlines, a minified dump) need not fit in memory:
:func:`read_pieces` reads a line of more than ``limit`` bytes ``limit`` bytes at a time and
decodes it incrementally, for the callers that can take a text in pieces
(:meth:`~tokkit.corpora.base.Corpus.pieces`). :class:`PlainFilesDigest` computes a plain
file's fingerprint from its bytes, for callers whose texts another reader decodes.
"""

from __future__ import annotations

import codecs
import gzip
import json
import re
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from tokkit.corpora.base import Corpus, Fingerprint, cut_text
from tokkit.corpora.errors import CorpusError, InvalidOption

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

ERROR_MODES = ("strict", "replace", "skip")
DEFAULT_FIELD = "text"
# Suffixes of the files a folder contributes, and how each is read.
TEXT_SUFFIXES = (".txt", ".txt.gz", ".jsonl", ".jsonl.gz")
_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89abcdefABCDEF]")


def check_errors_mode(errors: str) -> str:
    if errors not in ERROR_MODES:
        raise InvalidOption("errors", f"must be one of {', '.join(ERROR_MODES)}, not {errors!r}")
    return errors


def _remedy() -> str:
    return ("to read it anyway pass errors='replace' (bad bytes become U+FFFD) or errors='skip' "
            "(drop lines with bad bytes); on the command line: --encoding-errors replace|skip")


def _open(source: Path | Traversable, name: str):
    try:
        return source.open("rb")
    except OSError as exc:
        raise CorpusError(f"cannot read {name}: {exc.strerror or exc}") from None


def _not_utf8(name: str, compressed: bool, offset: int, number: int) -> CorpusError:
    where = "byte offset" if not compressed else "byte offset (decompressed)"
    return CorpusError(f"{name} is not valid UTF-8: {where} {offset} (line {number}); {_remedy()}")


def _unreadable(name: str, exc: Exception, number: int) -> CorpusError:
    if isinstance(exc, (gzip.BadGzipFile, EOFError, zlib.error)):
        return CorpusError(f"{name} is not a readable gzip file (after line {number}): {exc}")
    return CorpusError(f"cannot read {name}: {getattr(exc, 'strerror', None) or exc}")


_READ_ERRORS = (gzip.BadGzipFile, EOFError, zlib.error, OSError)


def read_lines(source: Path | Traversable, name: str, *, compressed: bool = False, errors: str = "strict") -> Iterator[str]:
    """The lines of ``source`` without their line endings, decoded as UTF-8 by ``errors``."""
    with _open(source, name) as raw:
        stream = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
        offset = 0
        number = 0
        try:
            for number, line in enumerate(stream, 1):
                body = line[:-1] if line.endswith(b"\n") else line
                if body.endswith(b"\r") and len(body) < len(line):
                    body = body[:-1]
                try:
                    text = body.decode("utf-8")
                except UnicodeDecodeError as exc:
                    if errors == "strict":
                        raise _not_utf8(name, compressed, offset + exc.start, number) from None
                    offset += len(line)
                    if errors == "skip":
                        continue
                    text = body.decode("utf-8", "replace")
                else:
                    offset += len(line)
                yield text
        except _READ_ERRORS as exc:
            raise _unreadable(name, exc, number) from None


def read_pieces(source: Path | Traversable, name: str, *, limit: int, compressed: bool = False,
                errors: str = "strict") -> Iterator[tuple[str, bool]]:
    """The lines of ``source`` as ``(piece, ends)`` (see :meth:`Corpus.pieces`): a line of
    more than ``limit`` bytes is read ``limit`` bytes at a time and decoded incrementally,
    so no line is held whole. ``errors="skip"`` drops a line with a bad byte whole, so
    that mode reads each line whole before cutting it."""
    if errors == "skip":
        for text in read_lines(source, name, compressed=compressed, errors=errors):
            yield from cut_text(text, limit)
        return
    with _open(source, name) as raw:
        stream = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
        consumed = 0  # bytes read before this fragment
        number = 0
        decoder = None  # the current line's decoder; None between lines
        held = b""  # a CR that ended the last fragment: a line ending if an LF follows
        try:
            while True:
                fragment = stream.readline(limit)
                data, start = held + fragment, consumed - len(held)
                consumed += len(fragment)
                if not data and decoder is None:
                    return
                if decoder is None:
                    number += 1
                    decoder = codecs.getincrementaldecoder("utf-8")(errors)
                held = b""
                if data.endswith(b"\n"):
                    body, ends = data[:-2] if data.endswith(b"\r\n") else data[:-1], True
                elif not fragment:  # the end of the file ends the line
                    body, ends = data, True
                elif data.endswith(b"\r"):
                    body, held, ends = data[:-1], b"\r", False
                else:
                    body, ends = data, False
                pending = decoder.getstate()[0]
                try:
                    text = decoder.decode(body, final=ends)
                except UnicodeDecodeError as exc:
                    raise _not_utf8(name, compressed, start - len(pending) + exc.start, number) from None
                if ends:
                    decoder = None
                yield text, ends
        except _READ_ERRORS as exc:
            raise _unreadable(name, exc, number) from None


class PlainFilesDigest:
    """The fingerprint of plain UTF-8 files' texts, computed from their bytes.

    For a caller whose texts another reader decodes (the ``tokenizers`` library's file
    reader): each line ending (``\\n`` or ``\\r\\n``) becomes the NUL that ends a text, a
    last line without one gets its NUL, and nothing is decoded, so on valid UTF-8 this
    equals ``FileCorpus(path).fingerprint()``. ``has_text``: whether any text is non-empty.
    """

    def __init__(self, paths: list[Path], block: int = 1 << 20):
        self.paths = list(paths)
        self.block = block
        self.fingerprint = Fingerprint()
        self.has_text = False
        self.reading: int | None = None  # the descriptor of the file being hashed

    def blocks(self) -> Iterator[int]:
        """Hash the files block by block, yielding each block's size as it is hashed."""
        for path in self.paths:
            last = b"\n"  # an empty file holds no text
            held = b""
            with _open(path, str(path)) as handle:
                self.reading = handle.fileno()
                while block := handle.read(self.block):
                    last = block[-1:]
                    data = held + block
                    held = b"\r" if data.endswith(b"\r") else b""  # its LF may open the next block
                    self._add(data[: len(data) - len(held)])
                    yield len(block)
            self.reading = None
            self._add(held)
            if last != b"\n":
                self.fingerprint.add_encoded(b"", ends=True)

    def _add(self, data: bytes) -> None:
        texts = data.replace(b"\r\n", b"\0").replace(b"\n", b"\0")
        if not self.has_text:
            self.has_text = texts.count(b"\0") != len(texts)
        self.fingerprint.add_encoded(texts, ends=False)


def has_long_line(paths: list[Path], limit: int, block: int = 1 << 20) -> bool:
    """Whether a line of one of ``paths`` is longer than ``limit`` bytes (its ending
    included); one fast scan for newlines, nothing decoded."""
    block = min(block, limit)
    for path in paths:
        start = 0  # where the current line began
        with _open(path, str(path)) as handle:
            offset = 0
            while data := handle.read(block):
                first, last = data.find(b"\n"), data.rfind(b"\n")
                end = offset + (first if first >= 0 else len(data))
                if end - start >= limit:
                    return True
                if last >= 0:
                    start = offset + last + 1
                offset += len(data)
    return False


def read_jsonl(source: Path | Traversable, name: str, *, field: str = DEFAULT_FIELD, compressed: bool = False,
               errors: str = "strict") -> Iterator[str]:
    """The string ``field`` of each JSON object in ``source``, one object per line."""
    for number, line in enumerate(read_lines(source, name, compressed=compressed, errors=errors), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(f"{name}, line {number}: not valid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(record, dict):
            raise CorpusError(f"{name}, line {number}: a JSON object was expected, found {type(record).__name__}")
        if field not in record:
            keys = ", ".join(sorted(record)[:10]) or "none"
            raise CorpusError(f"{name}, line {number}: no field {field!r} (fields: {keys}); name one as {name}:FIELD")
        text = record[field]
        if not isinstance(text, str):
            raise CorpusError(f"{name}, line {number}: field {field!r} is {type(text).__name__}, not a string")
        if _ESCAPED_SURROGATE.search(line.encode("utf-8")) and not _encodable(text):
            # "\ud800" in JSON decodes to a lone surrogate, which no UTF-8 text can hold.
            if errors == "strict":
                raise CorpusError(f"{name}, line {number}: field {field!r} holds a lone surrogate (\\ud800-\\udfff); {_remedy()}")
            if errors == "skip":
                continue
            text = "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text)
        yield text


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class FileCorpus(Corpus):
    """The texts of one file, re-read from disk on every ``texts()`` call.

    The format follows the name: ``.jsonl`` / ``.jsonl.gz`` are JSON Lines (``field`` picks
    the text), ``.gz`` is gzip-compressed plain text, anything else plain text.
    """

    def __init__(self, source: Path | Traversable, spec: str | None = None, *, field: str | None = None,
                 errors: str = "strict"):
        self.source = source
        self.name = str(source)
        super().__init__(spec or self.name)
        lower = source.name.lower()
        self.compressed = lower.endswith(".gz")
        self.jsonl = lower.endswith((".jsonl", ".jsonl.gz"))
        if field is not None and not self.jsonl:
            raise CorpusError(f"{self.name}: a field ({field!r}) can only be picked from a .jsonl or .jsonl.gz file")
        self.field = field or DEFAULT_FIELD
        self.errors = check_errors_mode(errors)

    def size_hint(self) -> int | None:
        """The file's size, for plain text (compressed or JSON Lines files hold more or less than their texts)."""
        if self.compressed or self.jsonl or not isinstance(self.source, Path):
            return None
        try:
            return self.source.stat().st_size
        except OSError:
            return None

    def texts(self) -> Iterator[str]:
        if self.jsonl:
            return read_jsonl(self.source, self.name, field=self.field, compressed=self.compressed, errors=self.errors)
        return read_lines(self.source, self.name, compressed=self.compressed, errors=self.errors)

    def pieces(self, limit: int) -> Iterator[tuple[str, bool]]:
        if self.jsonl:  # a record is parsed whole
            return super().pieces(limit)
        return read_pieces(self.source, self.name, limit=limit, compressed=self.compressed, errors=self.errors)

    def plain_files(self) -> list[Path] | None:
        plain = isinstance(self.source, Path) and not self.compressed and not self.jsonl
        return [self.source] if plain and self.errors == "strict" else None


class ConcatCorpus(Corpus):
    """Several corpora, one after another."""

    def __init__(self, parts: list[Corpus], spec: str | None = None):
        super().__init__(spec or " + ".join(part.spec for part in parts))
        self.parts = list(parts)

    def size_hint(self) -> int | None:
        sizes = [part.size_hint() for part in self.parts]
        return None if None in sizes else sum(sizes)

    def texts(self) -> Iterator[str]:
        for part in self.parts:
            yield from part.texts()

    def pieces(self, limit: int) -> Iterator[tuple[str, bool]]:
        for part in self.parts:
            yield from part.pieces(limit)

    def plain_files(self) -> list[Path] | None:
        files = [part.plain_files() for part in self.parts]
        return None if any(f is None for f in files) else [path for part in files for path in part]
