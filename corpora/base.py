"""What a corpus is to the rest of tokkit: a repeatable stream of texts with a fingerprint."""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from typing import Iterable, Iterator


class Fingerprint:
    """:meth:`Corpus.fingerprint` computed text by text, for a caller that reads the texts anyway."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()

    def add(self, text: str) -> None:
        self._digest.update(text.encode("utf-8", "surrogatepass"))
        self._digest.update(b"\0")

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


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

    def fingerprint(self) -> str:
        """SHA-256 over the texts (each followed by a NUL): same texts, same fingerprint."""
        digest = Fingerprint()
        for text in self.texts():
            digest.add(text)
        return digest.hexdigest()

    def size_hint(self) -> int | None:
        """About how many bytes reading the texts takes (their UTF-8 bytes and one line
        ending each), when that is known without reading them (a plain text file knows its
        size); ``None`` otherwise. Progress displays use it for their total."""
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
