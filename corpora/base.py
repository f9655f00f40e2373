"""What a corpus is to the rest of tokkit: a repeatable stream of texts with a fingerprint."""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from typing import Iterable, Iterator


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
        digest = hashlib.sha256()
        for text in self.texts():
            digest.update(text.encode("utf-8", "surrogatepass"))
            digest.update(b"\0")
        return digest.hexdigest()

    def is_empty(self) -> bool:
        """True when the corpus has no non-empty text (trainers have nothing to learn from)."""
        texts = self.texts()
        try:
            return not any(texts)
        finally:
            close = getattr(texts, "close", None)
            if close is not None:
                close()

    def describe(self) -> dict:
        """What tokkit.json and result headers record about the corpus."""
        return {"spec": self.spec, "sha256": self.fingerprint()}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.spec!r}>"


class TextCorpus(Corpus):
    """Texts held in memory: for tests, samples and small jobs."""

    def __init__(self, texts: Iterable[str], spec: str = "<memory>"):
        super().__init__(spec)
        self._texts = list(texts)

    def texts(self) -> Iterator[str]:
        return iter(self._texts)
