"""Vocabulary extension: a tokenizer's own vocabulary with tokens added, every old token,
id and merge kept exactly.

Adapting a model to a new language or domain usually keeps its tokenizer: the model's
embedding rows stay valid for every old id, and only the rows of the added tokens need
estimating. So extension continues the base's own training instead of starting anew:

1. **Characters first** (bases with byte fallback or an unknown piece: SentencePiece,
   Llama-style GGUF, Unigram ``tokenizer.json``). A character the base spells in byte
   pieces (``<0xE1><0x88><0x80>``) or as unknown is no symbol BPE can merge, so a script
   the base never saw would gain nothing from merges alone. So the corpus is read once to
   count characters, and each one seen ``min_frequency`` times that the base spells so
   becomes a piece of its own (most frequent first; they count towards ``add``). A
   byte-level base (GPT-2, tiktoken) has every byte as a token and skips this.
2. **Read the corpus as the base does.** The texts are encoded by the base tokenizer
   itself (its normalizer, its pre-tokenizer, its merges, in ``tokenizers``), and each
   pre-token's ids are one *chunk* (:func:`~tokkit.trainers.superword_learner.collect_chunks`);
   equal chunks are one chunk with a count. A SentencePiece-style base has no
   pre-tokenizer: its words begin at pieces that start with ``▁``, and so do its chunks.
3. **Continue greedy BPE** over those chunks (Sennrich et al. 2016, "Neural Machine
   Translation of Rare Words with Subword Units"): merge the most frequent adjacent pair,
   ties to the smaller pair of ids (so a run is deterministic), until ``add`` tokens are
   made or no pair occurs ``min_frequency`` times. This is superword's stage-2 learner
   (:func:`~tokkit.trainers.superword_learner.learn_superword_merges`) with no word limit.
   Special tokens, added tokens, byte-fallback pieces (``<0x41>``) and ids with no token
   never merge; a pair whose result is already a token is never merged.
4. **Append.** The ``k``-th new token (characters, then merges) gets id ``N + k``, where
   ``N`` is one more than the largest existing id, so special and added tokens keep theirs. A new token's string is
   its two parts' strings joined, in the base's own alphabet (GPT-2's byte characters for
   a byte-level base, ``▁`` for a SentencePiece one).

**Why old encodings survive.** A BPE with explicit merges (``tokenizer.json``, GGUF)
applies, within a pre-token, the adjacent pair of lowest merge rank. The new merges rank
after every old one and involve a new token or make one, so while any old merge applies
the old one wins: the old segmentation is reached first, then new merges may fire, and
each makes a new token, which no old merge takes apart or in. So an encoding that holds
no new id is exactly the base's encoding. A new character only replaces the fallback
pieces of that character, so it too shows wherever it changes anything.

tiktoken and SentencePiece BPE have no merge list: they merge any adjacent pair whose
*concatenation* is a token, lowest rank (highest SentencePiece score) first. New tokens
get the ranks after the last one (the lowest scores), so again the old process runs to
its end first. Could a new token then combine with a neighbour into an *old* token (an
output of old ids that differs from the base's)? Only into an old token ``s`` that the
base cannot build from its own text: the symbols of the old segmentation that lie within
``s``'s span went through exactly the merges that BPE on ``s``'s text alone makes (a merge
across the span's edge would have left no edge there), so if that process ends in ``s``
the old segmentation already holds ``s`` whole. tiktoken's tokens are all so built (the
loader's merge recovery, which the ``tokenizer.json`` form needs, proves it for each), and
so are those of every SentencePiece BPE model tried; where a piece is not, a new token
that it could absorb (``s`` is the new token joined to another) is refused
(:class:`Absorbers`), and the argument above holds again.

**Unigram** (``tokenizer.json`` Unigram, SentencePiece unigram): the Viterbi
segmentation maximises the sum of piece scores. Whatever scores the new pieces get, a
best segmentation that uses none of them is a best one among the old pieces alone, i.e.
the old segmentation (where the old optimum was unique). The pieces themselves are found
by the same pair merging over the old segmentations, and a piece made of ``a`` and ``b``
scores ``score(a) + score(b)`` plus :data:`UNIGRAM_MARGIN`, so Viterbi prefers it to its
two parts wherever they stand side by side.

Char-level, WordPiece, WordLevel, hybrid and any other tokenizer cannot be extended this
way: one line says which can. ``add`` larger than the corpus can give is not an error:
the pairs run out, the tokens found are added, and the provenance records how many
(``params.added`` beside ``params.add``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import unicodedata
from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any, ClassVar, Iterable

import numpy as np
from tokenizers import Tokenizer as RustTokenizer
from tokenizers import models

from tokkit.byte_map import byte_piece
from tokkit.checks import check_number
from tokkit.corpora.base import Fingerprint
from tokkit.errors import TokkitError
from tokkit.progress import Progress
from tokkit.tokenizer import Provenance, Tokenizer
from tokkit.trainers.base import MAX_VOCAB, check_memory, release_memory
from tokkit.trainers.reading import stream_texts
from tokkit.trainers.superword_learner import collect_chunks, learn_superword_merges

#: what a new Unigram piece scores above the sum of its two parts' scores
UNIGRAM_MARGIN = 1e-3
#: Unicode categories never added as characters: control, surrogate, unassigned
_NOT_A_LETTER = ("Cc", "Cs", "Cn")
#: the learner's memory per byte of text: superword's stage 2 holds the same arrays
BYTES_PER_BYTE = 12.0
#: no word limit: chunks are the base's pre-tokens, and merges never leave one
_NO_WORD_LIMIT = 2**20  # word counts add in int32: 2 * (2^20 + 1) stays far from overflow
#: the SentencePiece piece type of ordinary pieces (sentencepiece_model.proto), the only ones that merge
_SP_NORMAL = 1
#: the piece types that spell what the vocabulary lacks: unknown, byte
_SP_FALLBACK = (2, 6)

EXTENDABLE = ("BPE (tokenizer.json, GGUF, tiktoken, SentencePiece BPE .model) and Unigram "
              "(tokenizer.json, SentencePiece unigram .model)")


@dataclass
class Addition:
    """One new token: its id, its vocabulary string, and the two ids it merges (``None``
    for a character added as it is)."""

    id: int
    token: str | bytes
    left: int | None = None
    right: int | None = None


@dataclass
class View:
    """What the learner needs of a base: how it reads text, and which ids may merge."""

    reader: RustTokenizer  #: encodes a text exactly as the base does
    names: list[str | bytes | None]  #: each id's vocabulary string (bytes for tiktoken), None where no token
    mergeable: list[bytes | None]  #: each id's bytes, None for an id that never merges
    word_starts: np.ndarray | None = None  #: ids that start a chunk (▁ pieces of SentencePiece-style bases)
    absorbers: "Absorbers | None" = None  #: old pieces that could absorb a new one (see :class:`Absorbers`)
    fallback: frozenset[int] = frozenset()  #: ids that spell what the vocabulary lacks (byte pieces, unknown)
    scores: list[float] | None = None  #: piece scores per id (Unigram, SentencePiece)
    scores_fall: bool = False  #: new pieces score below every old one, in order (SentencePiece BPE)
    lowest: float | None = None  #: the lowest score so far (of the ordinary pieces, then of the new ones)


class Absorbers:
    """Old tokens the base cannot build from their own text, by their two-part splits.

    A base that merges any adjacent pair whose concatenation is a token (SentencePiece
    BPE) would let a new token ``n`` turn into such an old token ``n + x`` or ``x + n`` at
    inference; such an ``n`` is refused (see the module docstring).
    """

    def __init__(self, tokens: list[bytes | None]):
        self.rights: dict[bytes, list[bytes]] = {}
        self.lefts: dict[bytes, list[bytes]] = {}
        for token in tokens:
            if token is None:
                continue
            for cut in range(1, len(token)):
                self.rights.setdefault(token[:cut], []).append(token[cut:])
                self.lefts.setdefault(token[cut:], []).append(token[:cut])

    def __call__(self, new: bytes, known: set[bytes]) -> bool:
        """Whether ``new`` is safe: no old token is ``new`` joined to a token of ``known`` (or itself)."""
        return not any(other in known or other == new
                       for other in chain(self.rights.get(new, ()), self.lefts.get(new, ())))


class Extender(ABC):
    """How one kind of base is read and rebuilt with added tokens."""

    #: the model family, for the provenance
    model: ClassVar[str]

    @abstractmethod
    def view(self, base: Tokenizer) -> View:
        """What the learner sees of ``base``."""

    @abstractmethod
    def build(self, base: Tokenizer, view: View, additions: list[Addition], name: str,
              provenance: Provenance) -> Tokenizer:
        """``base`` with ``additions`` appended."""

    @abstractmethod
    def fingerprint(self, base: Tokenizer) -> str:
        """The SHA-256 of the base's own serialized form."""


def _never_merge(base: Tokenizer, reader: RustTokenizer) -> set[int]:
    """Special tokens and added tokens (matched in the text, outside the model)."""
    return set(base.special_ids) | set(reader.get_added_tokens_decoder())


def _sha256(data: str | bytes) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


class HFExtender(Extender):
    """A ``tokenizer.json`` BPE or Unigram (tokkit's own folders, HF folders, GGUF vocabularies)."""

    def __init__(self, model: str):
        self.model = model

    def view(self, base: Tokenizer) -> View:
        reader = base.to_tokenizers()
        config = json.loads(reader.to_str())
        size = base.vocab_size
        never = _never_merge(base, reader)
        names: list[str | bytes | None] = [reader.id_to_token(i) for i in range(size)]
        model = config["model"]
        fallback = {i for i, n in enumerate(names) if n is not None and byte_piece(n) is not None} \
            if model.get("byte_fallback") else set()
        unknown = model.get("unk_id") if self.model == "Unigram" else reader.token_to_id(model.get("unk_token") or "")
        fallback |= {unknown} if unknown is not None else set()
        mergeable = [None if i in never or i in fallback or names[i] is None else base.token_bytes(i) for i in range(size)]
        spaced = reader.pre_tokenizer is None and any(isinstance(n, str) and n.startswith("▁") for n in names)
        scores = None
        if self.model == "Unigram":
            pieces = model["vocab"]
            if len(pieces) != size:
                raise TokkitError(f"{base.name}: its added tokens lie outside its {len(pieces)} Unigram pieces, so new "
                                  "pieces cannot follow the last id")
            scores = [float(score) for _, score in pieces]
        return View(reader, names, mergeable, _starts(names) if spaced else None, fallback=frozenset(fallback),
                    scores=scores, lowest=_lowest(scores, mergeable))

    def build(self, base, view, additions, name, provenance):
        from tokkit.backends.hf import HFTokenizer

        config = json.loads(view.reader.to_str())
        model = config["model"]
        if self.model == "BPE":
            merges = model["merges"]
            if merges and isinstance(merges[0], str):  # the older "a b" form: written as pairs from here on
                model["merges"] = merges = [m.split(" ", 1) for m in merges]
            for add in additions:
                model["vocab"][add.token] = add.id
                if add.left is not None:  # a character needs no merge: BPE starts from characters
                    merges.append([view.names[add.left], view.names[add.right]])
            rust = RustTokenizer.from_str(json.dumps(config, ensure_ascii=False))
        else:
            # the model is built from the scores as numbers: a JSON text read back by the Rust
            # parser (not correctly rounded) can move an old score by one unit in the last place
            pieces = [(piece, float(score)) for piece, score in model["vocab"]]
            pieces += [(add.token, view.scores[add.id]) for add in additions]
            rust = RustTokenizer.from_str(view.reader.to_str())
            rust.model = models.Unigram(pieces, unk_id=model.get("unk_id"), byte_fallback=bool(model.get("byte_fallback")))
        return HFTokenizer(rust, name=name, specials=base.specials, provenance=provenance,
                           chat_template=getattr(base, "chat_template", None))

    def fingerprint(self, base):
        return _sha256(base.to_tokenizers().to_str())


class TiktokenExtender(Extender):
    """A tiktoken encoding: new ranks after the last id (its special tokens included)."""

    model = "tiktoken"

    def view(self, base) -> View:
        size = base.vocab_size
        mergeable = [base.token_bytes(i) for i in range(size)]  # None for special and unused ids
        # every rank is built from lower ones (the merge recovery checks it): nothing to absorb
        return View(base.hf_tokenizer(), list(mergeable), mergeable)

    def build(self, base, view, additions, name, provenance):
        import tiktoken

        from tokkit.backends.tiktoken import TiktokenTokenizer

        encoding = base.encoding
        ranks = dict(encoding._mergeable_ranks)
        ranks.update({add.token: add.id for add in additions})
        extended = tiktoken.Encoding(name=encoding.name, pat_str=encoding._pat_str, mergeable_ranks=ranks,
                                     special_tokens=dict(encoding._special_tokens))
        source = b"".join(base64.b64encode(token) + b" " + str(rank).encode() + b"\n"
                          for token, rank in sorted(ranks.items(), key=lambda item: item[1]))
        return TiktokenTokenizer(extended, source, name=name, provenance=provenance)

    def fingerprint(self, base):
        return _sha256(base.source)


class SentencePieceExtender(Extender):
    """A SentencePiece ``.model``: pieces appended to the ``ModelProto``.

    BPE pieces get scores below every old piece's, in the order they were made (the
    lowest-priority merges); unigram pieces the sum of their parts' plus a margin.
    """

    def __init__(self, model: str):
        self.model = model

    @staticmethod
    def proto(base):
        from sentencepiece import sentencepiece_model_pb2

        proto = sentencepiece_model_pb2.ModelProto()
        proto.ParseFromString(base.model_bytes)
        return proto

    def view(self, base) -> View:
        proto = self.proto(base)
        reader = base.to_tokenizers()
        names: list[str | bytes | None] = [p.piece for p in proto.pieces]
        mergeable = [base.token_bytes(i) if p.type == _SP_NORMAL else None for i, p in enumerate(proto.pieces)]
        fallback = frozenset(i for i, p in enumerate(proto.pieces) if p.type in _SP_FALLBACK)
        scores = [p.score for p in proto.pieces]
        absorbers = None
        if self.model == "bpe":  # the pieces BPE cannot build from their own text (converted: the same merges)
            unbuilt = [raw if raw and [t.value for t in reader.model.tokenize(name)] != [name] else None
                       for name, raw in zip(names, mergeable)]
            absorbers = Absorbers(unbuilt) if any(unbuilt) else None
        lowest = min(scores, default=0.0) if self.model == "bpe" else _lowest(scores, mergeable)
        return View(reader, names, mergeable, _starts(names), absorbers=absorbers, fallback=fallback, scores=scores,
                    scores_fall=self.model == "bpe", lowest=lowest)

    def build(self, base, view, additions, name, provenance):
        from tokkit.backends.sentencepiece import SentencePieceTokenizer

        proto = self.proto(base)
        for add in additions:
            piece = proto.pieces.add()
            piece.piece, piece.score, piece.type = add.token, view.scores[add.id], _SP_NORMAL
        proto.trainer_spec.vocab_size = len(proto.pieces)
        return SentencePieceTokenizer(proto.SerializeToString(), name=name, specials=base.specials,
                                      provenance=provenance, chat_template=base.chat_template)

    def fingerprint(self, base):
        return _sha256(base.model_bytes)


def _lowest(scores: list[float] | None, mergeable: list[bytes | None]) -> float | None:
    """The lowest score of an ordinary piece (``None`` without scores)."""
    if scores is None:
        return None
    return min((score for score, raw in zip(scores, mergeable) if raw is not None), default=0.0)


def _starts(names: list[str | bytes | None]) -> np.ndarray:
    return np.array([isinstance(n, str) and n.startswith("▁") for n in names], dtype=bool)


def extender_for(base: Tokenizer) -> Extender:
    """The extender of ``base``'s kind, or one line saying which kinds can be extended."""
    from tokkit.backends.hf import HFTokenizer
    from tokkit.backends.sentencepiece import SentencePieceTokenizer
    from tokkit.backends.tiktoken import TiktokenTokenizer

    algorithm = base.provenance.algorithm if base.provenance else None
    kind = f"a {base.format} tokenizer"
    if algorithm == "char":
        kind = "a character-level tokenizer"
    elif isinstance(base, TiktokenTokenizer):
        return TiktokenExtender()
    elif isinstance(base, HFTokenizer):
        config = json.loads(base.backend.model.__getstate__())
        model = config.get("type")
        if model in ("BPE", "Unigram") and not config.get("continuing_subword_prefix"):
            return HFExtender(model)
        kind = f"a {model} tokenizer" + (" with a continuing-subword prefix" if model == "BPE" else "")
    elif isinstance(base, SentencePieceTokenizer):
        model_type = SentencePieceExtender.proto(base).trainer_spec.model_type
        if model_type in (1, 2):
            return SentencePieceExtender("unigram" if model_type == 1 else "bpe")
        kind = "a SentencePiece word or char model"
    raise TokkitError(f"{base.name} is {kind}, which cannot be extended: tokkit extends {EXTENDABLE}")


def check_request(add: int, min_frequency: int) -> None:
    """Refuse an ``add`` or ``min_frequency`` extension cannot use (before any work)."""
    check_number("add", add, at_least=1, at_most=MAX_VOCAB, whole=True)
    check_number("min_frequency", min_frequency, at_least=1, whole=True)


def extend(base: Tokenizer | str | Path, corpus: Any, add: int, *, min_frequency: int = 2,
           progress: Progress | None = None) -> Tokenizer:
    """``base`` with up to ``add`` tokens learned from ``corpus``, every old token, id and
    merge kept (see the module docstring).

    ``base``: a :class:`Tokenizer` or anything :func:`tokkit.load` reads. ``corpus``: a
    Corpus, a corpus spec, or the texts themselves (as :func:`tokkit.train`). When the
    corpus runs out of pairs seen ``min_frequency`` times, fewer tokens are added:
    ``result.provenance.params["added"]`` says how many.

    >>> tur = tokkit.extend("ggml-vocab-gpt-2.gguf", "text:tur", 8000)   # doctest: +SKIP
    """
    from tokkit.corpora import as_corpus
    from tokkit.loading import load, short_name

    check_request(add, min_frequency)
    if isinstance(base, Tokenizer):  # where it was loaded from, as its loader recorded it
        source = (base.provenance.params.get("source") if base.provenance else None) or base.name
    else:
        source = str(base)
        base = load(base, name=short_name(source))
    extender = extender_for(base)
    corpus = as_corpus(corpus)
    check_memory(corpus, BYTES_PER_BYTE, "vocabulary extension", None)  # refuses what would not fit; no note

    view = extender.view(base)
    grown, characters = base, []
    if view.fallback:  # characters the base spells in bytes (or as unknown) become pieces first
        counted = stream_texts(corpus, progress, "counting characters")
        characters = [_append(view, c) for c in missing_characters(view, counted, min_frequency)[: int(add)]]
        if characters:
            grown = extender.build(base, view, characters, base.name, None)
            view = extender.view(grown)
    fingerprint = Fingerprint()
    texts = stream_texts(corpus, progress, "reading corpus", fingerprint=fingerprint)
    chunks = collect_chunks(view.reader, texts, progress, "merging equal pre-tokens", view.word_starts)
    wanted = int(add) - len(characters)
    task = progress.add("learning merges", total=wanted, unit="merges") if progress else None
    merges = learn_superword_merges(chunks, view.mergeable, wanted, _NO_WORD_LIMIT, min_frequency, task,
                                    accept=view.absorbers) if wanted else []
    if task:
        task.done()
    release_memory()

    additions = [_append(view, view.names[left] + view.names[right], left, right) for left, right in merges]
    added = len(characters) + len(additions)
    provenance = Provenance(
        algorithm="extend",
        params={"base": source, "base_format": base.format, "base_model": extender.model,
                "base_fingerprint": extender.fingerprint(base), "base_vocab_size": base.vocab_size,
                "add": int(add), "added": added, "characters": len(characters), "min_frequency": int(min_frequency)},
        corpus=corpus.describe(fingerprint.hexdigest()),
    )
    return extender.build(grown, view, additions, f"{base.name}+{added}", provenance)


def missing_characters(view: View, texts: Iterable[str], min_frequency: int) -> list[str]:
    """The characters of ``texts`` seen at least ``min_frequency`` times that the base
    spells with fallback pieces (bytes, or the unknown piece), most frequent first (ties:
    the smaller code point). Whitespace is left to the base's own convention, and control
    characters, lone surrogates and unassigned code points (debris, not a script) stay
    in bytes."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(text)
    seen = sorted((c for c, n in counts.items() if n >= min_frequency and not c.isspace()
                   and unicodedata.category(c) not in _NOT_A_LETTER), key=lambda c: (-counts[c], c))
    encoded = view.reader.encode_batch(seen, add_special_tokens=False) if seen else []
    return [c for c, e in zip(seen, encoded) if any(i in view.fallback for i in e.ids)]


def _append(view: View, token: str | bytes, left: int | None = None, right: int | None = None) -> Addition:
    """A new token at the next id, the merge of ``left`` and ``right`` (a character when
    they are ``None``); the view's names (and scores) grow with it.

    Scores: SentencePiece BPE pieces one below the last (or the next float32 down, where 1
    is below its precision); a Unigram piece its parts' sum plus :data:`UNIGRAM_MARGIN`,
    and a character the lowest ordinary score (no old piece holds it, so it has no rival
    for its place in the lattice)."""
    id = len(view.names)
    view.names.append(token)
    if view.scores_fall:
        lowest = np.float32(view.lowest)
        view.lowest = float(min(np.float32(lowest - 1), np.nextafter(lowest, np.float32(-np.inf))))
        view.scores.append(view.lowest)
    elif view.scores is not None:
        view.scores.append(view.lowest if left is None else view.scores[left] + view.scores[right] + UNIGRAM_MARGIN)
    return Addition(id, token, left, right)
