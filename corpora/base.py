"""What a corpus is to the rest of tokkit: a repeatable stream of texts with a fingerprint."""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Iterable, Iterator


class Fingerprint:
    """:meth:`Corpus.fingerprint` computed text by text, for a caller that reads the texts anyway."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()

    def add(self, text: str, ends: bool = True) -> None:
        """Add ``text``; ``ends=False`` when it is a piece of a text that goes on (see :meth:`Corpus.pieces`)."""
        self.add_encoded(text.encode("utf-8", "surrogatepass"), ends)

    def add_encoded(self, data: bytes, ends: bool = True) -> None:
        """Add text as its UTF-8 bytes; ``ends`` adds the NUL that closes a text (``False``
        for a piece that goes on, or for bytes that hold whole texts with their NULs)."""
        self._digest.update(data)
        if ends:
            self._digest.update(b"\0")

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def cut_text(text: str, limit: int) -> Iterator[tuple[str, bool]]:
    """``text`` as ``(piece, ends)`` pieces of at most ``limit`` characters (one piece when it fits)."""
    if len(text) <= limit:
        yield text, True
        return
    for start in range(0, len(text), limit):
        yield text[start : start + limit], start + limit >= len(text)


class Corpus(ABC):
    """A named, repeatable stream of texts (lines or documents).

    ``texts()`` may be called several times and yields the same texts each time (trainers
    that need two passes rely on it). ``spec`` is how the user named the corpus.
    """

    def __init__(self, spec: str):
        self.spec = spec

    @abstractmethod
    def texts(self) -> Iterator[str]:
        """The texts, streamed, in a deterministic order."""

    def pieces(self, limit: int) -> Iterator[tuple[str, bool]]:
        """The texts as ``(piece, ends)``: a text longer than ``limit`` characters comes as
        consecutive pieces of at most ``limit`` characters, and ``ends`` is True on each
        text's last piece. Readers of files stream a long line without holding it whole;
        this default cuts the texts that :meth:`texts` yields."""
        for text in self.texts():
            yield from cut_text(text, limit)

    def plain_files(self) -> list[Path] | None:
        """The files whose lines (without their line endings) are exactly this corpus's
        texts, in order, when a reader other than tokkit's may read them directly: plain
        UTF-8 text files read strictly; ``None`` when the texts need tokkit's reader
        (compressed or JSON Lines files, a lenient ``errors`` mode, a selection, memory)."""
        return None

    def fingerprint(self) -> str:
        """SHA-256 over the texts (each followed by a NUL): same texts, same fingerprint."""
        digest = Fingerprint()
        for text in self.texts():
            digest.add(text)
        return digest.hexdigest()

    def size_hint(self) -> int | None:
        """About how many bytes reading the texts takes (their UTF-8 bytes and one line
        ending each), when that is known without reading them (a plain text file knows its
        size); ``None`` otherwise. Progress displays use it for their total, and trainers
        whose memory grows with the text for their estimate."""
        return None

    def is_empty(self) -> bool:
        """True when the corpus has no non-empty text (trainers have nothing to learn from)."""
        texts = self.texts()
        try:
            return not any(texts)
        finally:
            close = getattr(texts, "close", None)
            if close is not None:
                close()

    def describe(self, fingerprint: str | None = None) -> dict:
        """What tokkit.json and result headers record about the corpus.

        ``fingerprint``: the corpus's fingerprint, when a caller computed it while reading
        the texts anyway (a :class:`Fingerprint`), which spares a second pass.
        """
        return {"spec": self.spec, "sha256": fingerprint or self.fingerprint()}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.spec!r}>"


class TextCorpus(Corpus):
    """Texts held in memory: for tests, samples and small jobs."""

    def __init__(self, texts: Iterable[str], spec: str = "<memory>"):
        super().__init__(spec)
        self._texts = list(texts)

    def texts(self) -> Iterator[str]:
        return iter(self._texts)
