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
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from tokkit.corpora.base import Corpus
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


def read_lines(source: Path | Traversable, name: str, *, compressed: bool = False, errors: str = "strict") -> Iterator[str]:
    """The lines of ``source`` without their line endings, decoded as UTF-8 by ``errors``."""
    try:
        raw = source.open("rb")
    except OSError as exc:
        raise CorpusError(f"cannot read {name}: {exc.strerror or exc}") from None
    with raw:
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
                        where = "byte offset" if not compressed else "byte offset (decompressed)"
                        raise CorpusError(
                            f"{name} is not valid UTF-8: {where} {offset + exc.start} (line {number}); {_remedy()}"
                        ) from None
                    offset += len(line)
                    if errors == "skip":
                        continue
                    text = body.decode("utf-8", "replace")
                else:
                    offset += len(line)
                yield text
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            raise CorpusError(f"{name} is not a readable gzip file (after line {number}): {exc}") from None
        except OSError as exc:
            raise CorpusError(f"cannot read {name}: {exc.strerror or exc}") from None


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
