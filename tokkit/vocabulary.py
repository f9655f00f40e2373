"""What a vocabulary holds: token lengths, the scripts of its tokens, and what two share.

These are facts of a tokenizer alone, read off every id's bytes
(:meth:`~tokkit.tokenizer.Tokenizer.token_bytes`), with no corpus. Tokens are compared
by the bytes they stand for, not by their vocabulary strings: GPT-2's ``Ġthe``,
SentencePiece's ``▁the`` and tiktoken's ``b" the"`` are the same token, as in TokSuite's
super-vocabulary, which joins vocabularies after turning every token into its UTF-8
bytes. Control tokens, which stand for no bytes, are left out; so is the second of two
ids with the same bytes (byte-fallback pieces that repeat a character the vocabulary
also has), which a set of byte strings cannot tell apart.

* :class:`VocabularyProfile` (:meth:`VocabularyProfile.of`): how many tokens, how long
  in bytes and in characters (a histogram of each), and the share of tokens per Unicode
  script (:func:`tokkit.scripts.token_script`: a token's script is the one its letters
  are written in; ``Zyyy`` for none, ``mixed`` for several, ``bytes`` for part of a
  character);
* :func:`overlap`: the byte strings two vocabularies share;
* :func:`analyse`: both for a list of tokenizers, as a :class:`VocabularyReport` whose
  JSON form the results header keeps for the HTML report (``tokkit vocab`` prints it).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Sequence

from tokkit.scripts import token_script
from tokkit.tokenizer import Tokenizer


def token_set(tokenizer: Tokenizer) -> frozenset[bytes]:
    """The distinct byte strings of ``tokenizer``'s ordinary (non-control) tokens."""
    return frozenset(b for b in tokenizer.all_token_bytes() if b is not None)


@dataclass(frozen=True)
class VocabularyProfile:
    """One tokenizer's vocabulary; see the module docstring.

    ``ids``: the vocabulary size (control tokens included); ``tokens``: the distinct
    byte strings of its other tokens; ``byte_lengths`` / ``char_lengths``: how many of
    those are *n* bytes / *n* characters long (tokens holding part of a character have
    no character length); ``scripts``: how many are written in each script.
    """

    name: str
    ids: int
    tokens: int
    byte_lengths: dict[int, int]
    char_lengths: dict[int, int]
    scripts: dict[str, int]

    @classmethod
    def of(cls, tokenizer: Tokenizer, name: str | None = None) -> "VocabularyProfile":
        distinct = token_set(tokenizer)
        texts = [_text(b) for b in distinct]
        return cls(
            name=name or tokenizer.name,
            ids=tokenizer.vocab_size,
            tokens=len(distinct),
            byte_lengths=_histogram(len(b) for b in distinct),
            char_lengths=_histogram(len(t) for t in texts if t is not None),
            scripts=dict(Counter(map(token_script, distinct)).most_common()),
        )

    def mean_bytes(self) -> float:
        """The mean length of a token in bytes."""
        return sum(n * k for n, k in self.byte_lengths.items()) / max(1, self.tokens)

    def script_shares(self) -> dict[str, float]:
        """The share of tokens per script, largest first."""
        return {script: count / max(1, self.tokens) for script, count in self.scripts.items()}

    def to_json(self) -> dict:
        payload = asdict(self)
        for key in ("byte_lengths", "char_lengths"):
            payload[key] = {str(n): k for n, k in payload[key].items()}
        return payload

    @classmethod
    def from_json(cls, payload: dict) -> "VocabularyProfile":
        lengths = {key: {int(n): int(k) for n, k in payload[key].items()} for key in ("byte_lengths", "char_lengths")}
        return cls(payload["name"], int(payload["ids"]), int(payload["tokens"]), scripts=dict(payload["scripts"]),
                   **lengths)


def _text(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _histogram(lengths) -> dict[int, int]:
    return dict(sorted(Counter(lengths).items()))


@dataclass(frozen=True)
class Overlap:
    """The byte strings two vocabularies share: how many, and as shares of each and of
    their union (Jaccard)."""

    a: str
    b: str
    a_tokens: int
    b_tokens: int
    shared: int

    @property
    def share_of_a(self) -> float:
        return self.shared / max(1, self.a_tokens)

    @property
    def share_of_b(self) -> float:
        return self.shared / max(1, self.b_tokens)

    @property
    def jaccard(self) -> float:
        return self.shared / max(1, self.a_tokens + self.b_tokens - self.shared)


def overlap(a: Tokenizer, b: Tokenizer) -> Overlap:
    """What ``a`` and ``b`` share, by token bytes."""
    left, right = token_set(a), token_set(b)
    return Overlap(a.name, b.name, len(left), len(right), len(left & right))


@dataclass(frozen=True)
class VocabularyReport:
    """Profiles of several tokenizers and the tokens each pair shares
    (``shared[a][b]``; ``shared[a][a]`` is ``a``'s own count)."""

    profiles: list[VocabularyProfile]
    shared: dict[str, dict[str, int]]

    def overlaps(self) -> list[Overlap]:
        """Every pair, in the order of the profiles."""
        sizes = {p.name: p.tokens for p in self.profiles}
        names = list(sizes)
        return [Overlap(a, b, sizes[a], sizes[b], self.shared[a][b]) for i, a in enumerate(names) for b in names[i + 1:]]

    def to_json(self) -> dict:
        return {"profiles": [p.to_json() for p in self.profiles], "shared": self.shared}

    @classmethod
    def from_json(cls, payload: dict) -> "VocabularyReport":
        return cls([VocabularyProfile.from_json(p) for p in payload["profiles"]],
                   {a: {b: int(n) for b, n in row.items()} for a, row in payload["shared"].items()})


def analyse(tokenizers: Sequence[Tokenizer], names: Sequence[str] | None = None) -> VocabularyReport:
    """The profile of each tokenizer and the overlap of every pair (``names``: what to call
    them, by default their own names; a repeated name gets ``#2``, as in an evaluation)."""
    from tokkit.evaluation import distinct_names

    names = distinct_names(list(names) if names is not None else [t.name for t in tokenizers])
    sets = {name: token_set(tok) for name, tok in zip(names, tokenizers)}
    shared = {a: {b: len(sets[a] & sets[b]) for b in names} for a in names}
    return VocabularyReport([VocabularyProfile.of(t, n) for t, n in zip(tokenizers, names)], shared)
