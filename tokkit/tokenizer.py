"""The one contract everything in tokkit shares: :class:`Tokenizer`.

Every trainer returns a Tokenizer, every loader returns one, and metrics, transplant and
byte-level code consume nothing else. A backend implements a handful of primitives
(``encode``, ``decode``, ``id_to_token``, ``token_bytes``, ...); the rest is derived here.

Conventions that hold for every backend:

* ``encode(text)`` adds no BOS/EOS; the roles in :attr:`Tokenizer.specials` say which
  ids to add when a model needs them.
* ``decode(encode(text)) == text`` for tokenizers tokkit trains, on any Unicode text.
  Loaded tokenizers are as lossless as their format allows (SentencePiece models
  normalise; tiktoken and byte-level BPE do not).
* ``token_bytes(id)`` is the exact UTF-8 bytes a token contributes to the text, or
  ``None`` for a special (control) token, which contributes none. For SentencePiece-style
  tokenizers the meta space ``▁`` is a space byte, so ``▁Hello`` is ``b" Hello"`` even
  where decoding drops the dummy-prefix space at the start of a text.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from tokkit.errors import TokkitError

ROLES = ("bos", "eos", "pad", "unk")


@dataclass(frozen=True)
class Piece:
    """One token of an encoded text: its id, its vocabulary string, and where it came from.

    ``start``/``end`` are character offsets into the input; a token that covers only part
    of a character (a byte of a multi-byte UTF-8 sequence) gets the whole character's span.
    """

    id: int
    token: str
    start: int
    end: int


@dataclass(frozen=True)
class SpecialTokens:
    """Special token ids by role. A role the tokenizer does not have is ``None``."""

    bos: int | None = None
    eos: int | None = None
    pad: int | None = None
    unk: int | None = None

    def items(self) -> list[tuple[str, int]]:
        """The roles that are present, as (role, id) pairs."""
        return [(role, getattr(self, role)) for role in ROLES if getattr(self, role) is not None]


@dataclass
class Provenance:
    """What ``tokkit.json`` records about where a tokenizer came from."""

    algorithm: str
    params: dict[str, Any] = field(default_factory=dict)
    corpus: dict[str, Any] | None = None
    seed: int | None = None

    def to_json(self) -> dict[str, Any]:
        from tokkit import __version__

        return {
            "tokkit_version": __version__,
            "algorithm": self.algorithm,
            "params": self.params,
            "corpus": self.corpus,
            "seed": self.seed,
        }


class Tokenizer(ABC):
    """A tokenizer: text to ids and back, with exact bytes per token.

    Subclasses implement the abstract primitives. ``name`` is what tables and reports
    call the tokenizer (the spec it was loaded from, or the algorithm and size).
    """

    #: the backend format: "hf", "sentencepiece", "tiktoken", ...
    format: str = "?"

    def __init__(self, name: str, provenance: Provenance | None = None):
        self.name = name
        self.provenance = provenance

    # -- primitives every backend implements ------------------------------------------
    @property
    @abstractmethod
    def vocab_size(self) -> int:
        """Number of ids, special tokens included (ids are 0 .. vocab_size - 1)."""

    @property
    def specials(self) -> SpecialTokens:
        """Special token ids by role (a backend sets ``_specials`` when it is built)."""
        return self._specials

    @specials.setter
    def specials(self, roles: SpecialTokens) -> None:
        """Replace the roles (a saved ``tokkit.json`` or ``tokenizer_config.json`` names them)."""
        for role, id in roles.items():
            if not 0 <= id < self.vocab_size:
                raise TokkitError(f"{self.name}: the {role} token id {id} is outside the vocabulary (size {self.vocab_size})")
        self._specials = roles

    @property
    @abstractmethod
    def special_ids(self) -> frozenset[int]:
        """Every control token id (the roles, and others such as chat markers)."""

    @abstractmethod
    def encode(self, text: str) -> list[int]:
        """Token ids for ``text``, with no BOS/EOS added."""

    @abstractmethod
    def decode(self, ids: Sequence[int]) -> str:
        """The text of ``ids``; special tokens keep their literal text."""

    @abstractmethod
    def id_to_token(self, id: int) -> str:
        """The vocabulary string of ``id`` (as the format writes it: ``Ġ``, ``▁``, ``<0x41>``)."""

    @abstractmethod
    def token_to_id(self, token: str) -> int | None:
        """The id of a vocabulary string, or ``None``."""

    @abstractmethod
    def token_bytes(self, id: int) -> bytes | None:
        """The exact bytes ``id`` contributes to the text; ``None`` for a special token."""

    @abstractmethod
    def tokens(self, text: str) -> list[Piece]:
        """The tokens of ``text`` with their vocabulary strings and character offsets."""

    @abstractmethod
    def _write(self, folder: Path) -> dict[str, Any]:
        """Write the backend's files into ``folder``; return extra tokkit.json fields."""

    @abstractmethod
    def to_transformers(self):
        """A ``transformers`` tokenizer that encodes exactly as this one does."""

    def to_tokenizers(self):
        """A ``tokenizers.Tokenizer`` (the Rust library) that encodes exactly as this one
        does: ``to_tokenizers().encode(text, add_special_tokens=False).ids == encode(text)``.

        For code that needs the Rust encoder itself: its pre-tokenizer, its model, batch
        encoding of many candidate texts in one call. By default it is the backend of
        :meth:`to_transformers`; a backend built on ``tokenizers`` returns its own, with no
        conversion. It may be the tokenizer's own: read it, do not change it. A tokenizer
        with an encoder of its own (the hybrid morphological one) has none: an error.
        """
        fast = self.to_transformers()
        if not hasattr(fast, "backend_tokenizer"):
            raise TokkitError(f"{self.name} has no tokenizers.Tokenizer form: its transformers tokenizer is not a fast one")
        return fast.backend_tokenizer

    # -- derived -----------------------------------------------------------------------
    def encode_batch(self, texts: Iterable[str]) -> list[list[int]]:
        """Encode many texts; backends override this with a parallel batch encoder."""
        return [self.encode(text) for text in texts]

    def is_special(self, id: int) -> bool:
        return id in self.special_ids

    def all_token_bytes(self) -> list[bytes | None]:
        """``token_bytes`` for every id, in id order (cached: vocab-wide work needs it)."""
        cached = getattr(self, "_all_token_bytes", None)
        if cached is None:
            cached = [self.token_bytes(i) for i in range(self.vocab_size)]
            self._all_token_bytes = cached
        return cached

    def save(self, folder: str | Path, force: bool = False) -> Path:
        """Save into ``folder`` (complete or not at all): the backend's files + ``tokkit.json``.

        Wherever the tokenizer can be expressed as a HF ``tokenizer.json`` the folder has
        one, so ``PreTrainedTokenizerFast(tokenizer_file=...)`` loads it without tokkit.
        """
        from tokkit.atomic import atomic_directory

        with atomic_directory(folder, force=force) as tmp:
            self.write_into(tmp)
        return Path(folder)

    def write_into(self, folder: Path) -> None:
        """Write the saved form into an existing, empty ``folder`` (``save`` makes it atomic)."""
        extra = self._write(folder)
        meta = (self.provenance or Provenance(algorithm=self.format)).to_json()
        meta.update({"format": self.format, "name": self.name, "vocab_size": self.vocab_size})
        meta["specials"] = dict(self.specials.items())
        meta.update(extra)
        (folder / "tokkit.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} format={self.format} vocab_size={self.vocab_size}>"
