"""The hybrid morphological tokenizer: roots + harmonised suffixes + a BPE fallback.

After Bayram et al., "Tokens with Meaning: A Hybrid Tokenization Approach for NLP"
(2025): a Turkish word is cut into its root and its suffixes, every suffix *allomorph
class* has one id (``-lar``/``-ler`` are one token, ``-dı/-di/-du/-dü/-tı/...`` another),
and what the analyzer cannot cut goes to a byte-level BPE trained on exactly those
leftovers. Unlike that paper's tokenizer this one is **lossless**: ``decode(encode(x)) == x``
for every string.

How a text is cut (the *pre-tokenization*, fixed and documented):

1. The text is split at every space; each piece after the first keeps its space in
   front (``"bir kitap"`` -> ``"bir"``, ``" kitap"``). Pieces are cached (word cache).
2. Each piece is cut by :data:`CHUNK` into letter chunks (letters and combining marks,
   with in-word apostrophes: ``İstanbul'a``), digit groups of at most three, punctuation
   runs and whitespace runs, each with at most one leading space.

Whitespace convention: a single space before a chunk belongs to the chunk's first token
(roots exist in two forms, ``▁kitap`` and ``kitap``; BPE pieces carry ``Ġ``); other
whitespace (double spaces, tabs, newlines) is encoded by the BPE fallback.

A letter chunk is encoded as:

* ``<nfd>`` when the word is written decomposed (Unicode NFD: ``g`` + U+0306 for ``ğ``, as
  in half of TurkishMMLU); the word is then analysed in its composed (NFC) form and the
  decoder decomposes it again, character by character;
* a case marker when the word is ``Capitalised`` (``<cap>``) or ``ALL-CAPS`` (``<caps>``,
  one marker for the whole word, unlike the paper's one per letter), then the word in
  Turkish lower case (``I``->``ı``, ``İ``->``i``); mixed-case words go to the BPE as they are;
* the root as a root token when it is in the vocabulary, else its letters through the BPE;
* each suffix as its allomorph-class token (``+lAr``, ``+DI``, ``+(y)I``);
* ``'`` or ``’`` between a proper noun and its suffixes as its own token.

Decoding spells each root and suffix id from its neighbours with the harmony rules of
:mod:`tokkit.morphology.harmony` (kitap + (y)I -> kitabı). **Losslessness** is enforced,
not hoped for. A letter chunk is its markers plus the plan of its *normal form* (leading
space + composed lower-case word); the markers restore the chunk from it exactly
(:func:`split_word` checks that before using them). The plan of the normal form is exact
by construction when the decoder starts its suffixes from the harmony context the
analyzer parsed them from (the root is a root token with the analysed root's flags, or
BPE letters that give the same context): both then spell each suffix with the same rules.
Any other plan (another entry's root token, suffixes after an apostrophe) is decoded on
the spot and compared with the normal form; if the rules would spell it differently (a
loanword that breaks harmony, ``Scotia``), the BPE spells the word, which byte-level BPE
always reproduces. Decoding is chunk-local (the harmony context resets at every character
that is not a letter, except the in-word apostrophe token; a case marker applies to the
letter chunk that follows it), so what holds per chunk holds for the whole text.

Speed. Text is Zipfian, so encoding is a chain of tables: the piece cache (a dict of the
space-separated pieces seen, emptied when full); the **known-word table**, which training
fills with the encodings of the corpus's most frequent chunks in their normal form
(``--known-words``, default 100,000: every chunk of a corpus of a few MB) and which is
saved with the tokenizer (``known_words.json``, JSON): chunks as written for lower-case
words and non-words, and a *cased* part for the normal forms of words written Capitalised
or in capitals (their analysis ranks proper nouns with common words), so ``Kitap``,
``KİTAP`` and a decomposed ``kitap`` all find ``kitap``'s entry behind their markers; then
the chunk cache (a dict emptied when full); only a chunk found in none of them is
analysed. The table holds exactly what analysis gives: its entries are the plans computed
by the same code at training time, encoded by the final BPE. Where it was built, a
compiled twin of this path does the same steps (:func:`_compiled_encoder`).

``token_bytes``: a shared allomorph id has no single spelling. It returns the class's
*canonical* spelling, the one it takes after a stem like ``kar`` (back unrounded vowel,
voiced consonant: ``+lAr`` -> ``lar``, ``+(y)I`` -> ``ı``, ``+(I)m`` -> ``ım``, ``+DI`` ->
``dı``), a root token returns its dictionary form (``kitap``, also where the
text says ``kitab``), a case marker returns ``b""``. So, for this format only, the
concatenated ``token_bytes`` of an encoding is *not* the text: byte-exact consumers
(byte_level) must not assume it is. Metrics that read token strings (%TR, %Pure) see
the canonical morphemes. ``tokens(text)`` gives the exact surface offsets.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import os
import unicodedata
from collections import Counter
from contextlib import contextmanager
from itertools import chain
from pathlib import Path
from typing import Any, Iterable, Sequence

import regex

from tokkit.byte_map import BYTE_TO_CHAR, chars_to_bytes
from tokkit.corpora import Corpus
from tokkit.errors import TokkitError, first_line
from tokkit.morphology.analyzer import LANG_ALIASES, RULE_BASED
from tokkit.morphology.harmony import (
    APOSTROPHES,
    PROGRESSIVE,
    Context,
    after,
    realize,
    root_surface,
    spell_root,
    spell_suffix,
    starts_with_vowel,
    tr_lower,
    tr_upper,
)
from tokkit.morphology.turkish import MAX_LETTERS, TEMPLATES, RootEntry, TurkishAnalyzer, read_lexicon, resolve_lexicon
from tokkit.progress import Progress
from tokkit.tokenizer import Piece, Provenance, SpecialTokens, Tokenizer
from tokkit.trainers.base import DEFAULT_SPECIALS, Trainer, check_sizes, option, stream_texts
from tokkit.trainers.bpe_family import bpe_trainer, new_byte_level_bpe

#: the pre-tokenization of one space-separated piece (see the module docstring)
CHUNK = regex.compile(
    r" ?[\p{L}\p{M}]+(?:['’][\p{L}\p{M}]+)*| ?\p{N}{1,3}| ?[^\s\p{L}\p{M}\p{N}]+|\s+(?!\S)|\s+"
)


def chunks_of(piece: str) -> list[str]:
    """The chunks of one space-separated piece: the matches of :data:`CHUNK`.

    A piece that is all letters apart from its leading space (most of them) is one chunk,
    found without the regex (``str.isalpha`` is Unicode category L, as ``\\p{L}``).
    """
    if (piece[1:] if piece[:1] == " " else piece).isalpha():
        return [piece]
    return CHUNK.findall(piece)


#: a letter chunk (what a case marker applies to)
WORD = regex.compile(r"( ?)([\p{L}\p{M}]+(?:['’][\p{L}\p{M}]+)*)")

CAP, CAPS, NFD = "<cap>", "<caps>", "<nfd>"
#: the lower-case letters of Turkish text (the compiled encoder decides their words' case itself)
TURKISH_LETTERS = "abcçdefgğhıijklmnoöprsştuüvyzâîûqwx"
#: the fixed tokens at the start of the vocabulary, after the special tokens
MARKERS = (CAP, CAPS, NFD)
SPACE = "▁"
SUFFIX_PREFIX = "+"
BPE_PREFIX = "§"
#: token kinds
SPECIAL, MARKER, APOS, SUFFIX_T, ROOT_T, BPE_T = range(6)
FREQUENCY_LIST = "top-20K-words.txt"
FORMAT_FILE = "hybrid.json"
FALLBACK_FILE = "fallback.json"
KNOWN_FILE = "known_words.json"


def canonical(template: str) -> str:
    """The canonical spelling of an allomorph class: the one after a stem like ``kar``."""
    return realize(template, Context("a", "r"))


def recase(word: str, marker: str) -> str:
    """Undo a case marker on a lower-cased word."""
    if marker == CAPS:
        return tr_upper(word)
    return tr_upper(word[:1]) + word[1:]


def case_of(word: str) -> tuple[str | None, str] | None:
    """(marker, lower-cased word) when the word's case is one a marker restores exactly.

    None for mixed case (``iPhone``, ``ANKARA'nın``): such words are encoded as they are.
    """
    lower = tr_lower(word)
    if lower == word:
        return None, word
    if recase(lower, CAP) == word:
        return CAP, lower
    if len(word) > 1 and recase(lower, CAPS) == word:
        return CAPS, lower
    return None


def decompose(word: str) -> str:
    """``word`` with each character in NFD, one at a time (what the ``<nfd>`` marker does).

    For letters alone that is the NFD of the whole word: the decomposition of a letter
    starts with a starter (combining class 0), so canonical reordering never crosses from
    one letter's marks into the next (a test checks this of every letter). A word with
    combining marks of its own (``ğ`` + U+0323) may differ, so it goes one character at a time.
    """
    if word.isalpha():
        return unicodedata.normalize("NFD", word)
    return "".join([unicodedata.normalize("NFD", ch) for ch in word])


def split_word(chunk: str) -> tuple[list[str], bool, str] | None:
    """A letter chunk as (markers, leading space?, composed lower-case word).

    None when the markers cannot restore it exactly (mixed case, partly decomposed).
    """
    space = chunk[0] == " "
    body = chunk[1:] if space else chunk
    markers = []
    composed = unicodedata.normalize("NFC", body)
    if composed != body:
        if decompose(composed) != body:
            return None
        markers.append(NFD)
    cased = case_of(composed)
    if cased is None:
        return None
    if cased[0]:
        markers.append(cased[0])
    return markers, space, cased[1]


def _scan(ctx: Context, text: str) -> Context:
    """The harmony context after plain text: letters extend it, anything else resets it."""
    start = len(text)
    while start > 0 and text[start - 1].isalpha():
        start -= 1
    if start > 0:
        ctx = Context()
    tail = tr_lower(text[start:])
    return after(ctx, tail, tail)


@dataclasses.dataclass(frozen=True)
class RootToken:
    """A root in the vocabulary: its dictionary form, its spelling flags, its leading space."""

    root: str
    flags: frozenset[str]
    space: bool

    @property
    def name(self) -> str:
        flags = "|" + ",".join(sorted(self.flags)) if self.flags else ""
        return (SPACE if self.space else "") + self.root + flags


class HybridTokenizer(Tokenizer):
    """Roots and harmonised suffixes from a Turkish analyzer, a byte-level BPE for the rest."""

    format = "hybrid"

    def __init__(
        self,
        roots: Sequence[RootToken],
        fallback,
        analyzer: TurkishAnalyzer,
        name: str = "hybrid",
        provenance: Provenance | None = None,
        cache_size: int = 1 << 18,
        compiled: bool = True,
    ):
        super().__init__(name, provenance)
        self._fallback = fallback
        self.analyzer = analyzer
        names = list(DEFAULT_SPECIALS) + list(MARKERS) + ["'", "’"] + [SUFFIX_PREFIX + t for t in TEMPLATES]
        kinds = [SPECIAL] * len(DEFAULT_SPECIALS) + [MARKER] * len(MARKERS) + [APOS, APOS] + [SUFFIX_T] * len(TEMPLATES)
        data: list[Any] = list(DEFAULT_SPECIALS) + list(MARKERS) + ["'", "’"] + list(TEMPLATES)
        self.roots = list(roots)
        names += [r.name for r in self.roots]
        kinds += [ROOT_T] * len(self.roots)
        data += self.roots
        self._bpe_offset = len(names)
        bpe_vocab = fallback.get_vocab()
        bpe_names = [""] * len(bpe_vocab)
        for token, i in bpe_vocab.items():
            bpe_names[i] = token
        names += [BPE_PREFIX + t for t in bpe_names]
        kinds += [BPE_T] * len(bpe_names)
        data += [chars_to_bytes(t) for t in bpe_names]
        self._names, self._kinds, self._data = names, kinds, data
        self._ids = {n: i for i, n in enumerate(names)}
        if len(self._ids) != len(names):
            raise TokkitError("hybrid vocabulary has duplicate token names")
        self._suffix_ids = {t: self._ids[SUFFIX_PREFIX + t] for t in TEMPLATES}
        self._marker_ids = {m: self._ids[m] for m in MARKERS}
        self._root_ids: dict[tuple[str, bool], list[tuple[frozenset, int]]] = {}
        for i, root in enumerate(self.roots, start=self._bpe_offset - len(self.roots)):
            self._root_ids.setdefault((root.root, root.space), []).append((root.flags, i))
        self._specials = SpecialTokens(bos=0, eos=0, pad=1)
        #: the known-word table, encoded at training time: chunks as written -> their ids
        #: (lower-case words in their normal form, and chunks that are not words) ...
        self.known: dict[str, tuple[int, ...]] = {}
        #: ... and the normal forms of words written with capitals -> the ids after their markers
        self.known_cased: dict[str, tuple[int, ...]] = {}
        #: the piece and chunk caches: dicts emptied when full (a piece found in one costs a
        #: lookup, not a call)
        self._pieces: dict[str, tuple[int, ...]] = {}
        self._chunks: dict[str, tuple[int, ...]] = {}
        self._cache_size = cache_size
        #: ``compiled=False``: no compiled twin (a tokenizer that is only planned with, never encodes)
        self._compiled = _compiled_encoder(self) if compiled else None

    def __getstate__(self) -> dict[str, Any]:
        # the compiled encoder holds this object's caches: a copy builds its own
        return {**self.__dict__, "_compiled": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._compiled = _compiled_encoder(self)

    # -- contract ------------------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        return len(self._names)

    @property
    def special_ids(self) -> frozenset[int]:
        return frozenset(range(len(DEFAULT_SPECIALS)))

    def id_to_token(self, id: int) -> str:
        if not 0 <= id < len(self._names):
            raise IndexError(f"id {id} is outside the vocabulary (size {self.vocab_size})")
        return self._names[id]

    def token_to_id(self, token: str) -> int | None:
        return self._ids.get(token)

    def token_bytes(self, id: int) -> bytes | None:
        kind, data = self._kinds[id], self._data[id]
        if kind == SPECIAL:
            return None
        if kind == MARKER:
            return b""
        if kind == APOS:
            return data.encode("utf-8")
        if kind == SUFFIX_T:
            return canonical(data).encode("utf-8")
        if kind == ROOT_T:
            return ((" " if data.space else "") + data.root).encode("utf-8")
        return data

    def encode(self, text: str) -> list[int]:
        if self._compiled is not None:  # the same steps, compiled (see _compiled_encoder)
            return self._compiled.encode(text, self.known, self.known_cased)
        ids: list[int] = []
        pieces, known = self._pieces, self.known
        for i, piece in enumerate(text.split(" ")):
            if i:
                piece = " " + piece
            hit = pieces.get(piece)
            if hit is None:
                hit = known.get(piece)  # a chunk of the table is a piece of that one chunk
                if hit is None:
                    hit = self._encode_piece(piece)
                _cache_put(pieces, self._cache_size, piece, hit)
            ids.extend(hit)
        return ids

    def decode(self, ids: Sequence[int]) -> str:
        return self._decode(list(ids))[0]

    def tokens(self, text: str) -> list[Piece]:
        ids = self.encode(text)
        _, spans = self._decode(ids)
        return [Piece(i, self._names[i], s, e) for i, (s, e) in zip(ids, spans)]

    # -- encoding --------------------------------------------------------------------------
    def _encode_piece(self, piece: str) -> tuple[int, ...]:
        chunks = chunks_of(piece)
        if len(chunks) == 1:  # most pieces: one word (encode looked it up in the table)
            return self._chunk_ids(chunks[0], in_known=False)
        return tuple(chain.from_iterable(map(self._chunk_ids, chunks)))

    def _chunk_ids(self, chunk: str, in_known: bool = True) -> tuple[int, ...]:
        """A chunk's ids: from the known-word table (``in_known``), the chunk cache, else encoded."""
        hit = self.known.get(chunk) if in_known else None
        if hit is None:
            hit = self._chunks.get(chunk)
            if hit is None:
                hit = _cache_put(self._chunks, self._cache_size, chunk, self._encode_chunk(chunk))
        return hit

    def _encode_chunk(self, chunk: str) -> tuple[int, ...]:
        head, key, cased = self._entry(chunk)
        if cased is None:
            return self.ids_of([chunk])
        body = (self.known_cased if cased else self.known).get(key)
        if body is None:
            body = self.ids_of(self.word_plan(key, cased))
        return head + body

    def ids_of(self, plan: Sequence[int | str]) -> tuple[int, ...]:
        """The token ids of a plan: its strings through the BPE fallback."""
        ids: list[int] = []
        for item in plan:
            if isinstance(item, int):
                ids.append(item)
            else:
                ids.extend(self._bpe_offset + i for i in self._fallback.encode(item).ids)
        return tuple(ids)

    def _entry(self, chunk: str) -> tuple[tuple[int, ...], str, bool | None]:
        """A chunk as (its marker ids, its normal form, cased?): what its encoding depends on.

        The normal form of a letter chunk is its leading space and its composed, lower-cased
        word; ``cased`` says whether the word was written Capitalised or ALL-CAPS (its
        analysis then ranks proper nouns with common words). A chunk that is not a word the
        markers restore (punctuation, digits, mixed case) is its own normal form, with
        ``cased`` None: the BPE spells it as it is.
        """
        letters = (chunk[1:] if chunk[:1] == " " else chunk).isalpha()  # a word without the regex
        split = split_word(chunk) if letters or WORD.fullmatch(chunk) else None
        if split is None:
            return (), chunk, None
        markers, space, word = split
        head = tuple(self._marker_ids[m] for m in markers)
        return head, (" " if space else "") + word, CAP in markers or CAPS in markers

    def plan(self, chunk: str) -> list[int | str]:
        """How one chunk is encoded: token ids, and strings that the BPE fallback encodes.

        Its markers, then the plan of its normal form (:meth:`word_plan`).
        """
        head, key, cased = self._entry(chunk)
        return [chunk] if cased is None else [*head, *self.word_plan(key, cased)]

    def word_plan(self, key: str, cased: bool) -> list[int | str]:
        """The plan of a lower-case composed letter chunk (``cased``: written with capitals).

        A plan the decoder might spell differently is checked by decoding it; where the
        rules would spell it differently (a loanword that breaks harmony), the BPE spells the
        word. The markers in front of it need no check: :func:`split_word` made sure that
        they restore the chunk from this key, and the decoder applies them to the letters
        that follow them only.
        """
        space = key[:1] == " "
        if len(key) - space > MAX_LETTERS:  # not analysed: the BPE spells it
            return [key]
        items, exact = self._plan_word(key[1:] if space else key, space, lowercase=not cased)
        return items if exact or self._render(items, with_spans=False)[0] == key else [key]

    def _plan_word(self, word: str, space: bool, lowercase: bool) -> tuple[list[int | str], bool]:
        """The analysed plan of a word, and whether the decoder spells it back by construction.

        It does when the decoder's harmony context after the root (a root token's, or that
        of the root's letters when the BPE spells it) is the one the analyzer parsed the
        suffixes from (:meth:`TurkishAnalyzer.best_stem` gives it): the decoder then spells
        each suffix id with the same rules (:mod:`tokkit.morphology.harmony`), choosing the
        variant (softened ``K``, dropped vowel) from the next suffix where the analyzer
        required it of the next suffix.
        Other plans (another root entry's token, suffixes after an apostrophe, analysed
        from the stem's letters alone) are checked by :meth:`word_plan`.
        """
        stem, rest = word, ""
        if "'" in word or "’" in word:
            cut = min(i for i in (word.find("'"), word.find("’")) if i >= 0)
            stem, rest = word[:cut], word[cut:]
        best = self.analyzer.best_stem(stem, lowercase)
        items, exact = self._morph_items(best, space) if best else ([(" " if space else "") + stem], not rest)
        if rest:  # an apostrophe, then the suffixes of a proper noun (İstanbul'a)
            items.append(self._ids[rest[0]])
            tail = rest[1:]
            parses = self.analyzer.suffix_parses(tail, "N", _scan(Context(), stem), limit=1) if tail else ()
            if parses:
                items += [self._suffix_ids[t] for t, _ in parses[0]]
            elif tail:
                items.append(tail)
            exact = False
        return items, exact

    def _morph_items(self, best: tuple, space: bool) -> tuple[list[int | str], bool]:
        surface, entry, tail, parsed_from = best
        nxt = tail[0][0] if tail else None
        suffixes = [self._suffix_ids[t] for t, _ in tail]
        for flags, i in self._root_ids.get((entry.root, space), ()):
            text, ctx = spell_root(entry.root, flags, nxt)
            if text == surface:
                return [i, *suffixes], ctx == parsed_from
        return [(" " if space else "") + surface, *suffixes], _scan(Context(), surface) == parsed_from

    # -- decoding --------------------------------------------------------------------------
    def _render(self, items: Sequence[int | str], with_spans: bool = True) -> tuple[str, list[tuple[int, int]]]:
        """Text of a sequence of ids and literal strings (strings stand for BPE output).

        ``with_spans``: also each item's character span in the text (for ``tokens``).
        """
        parts: list[str] = []
        spans: list[tuple[int, int]] = []
        marks: list[tuple[int, str]] = []
        ctx = Context()
        pos = 0
        n = len(items)
        i = 0
        while i < n:
            item = items[i]
            if isinstance(item, str) or self._kinds[item] == BPE_T:
                j = i
                raw = bytearray()
                starts = []
                while j < n and (isinstance(items[j], str) or self._kinds[items[j]] == BPE_T):
                    starts.append(len(raw))
                    raw += items[j].encode("utf-8") if isinstance(items[j], str) else self._data[items[j]]
                    j += 1
                text = raw.decode("utf-8", errors="replace")
                if with_spans:
                    spans += _byte_spans(text, bytes(raw), starts, pos)
                parts.append(text)
                pos += len(text)
                ctx = _scan(ctx, text)
                i = j
                continue
            kind, data = self._kinds[item], self._data[item]
            nxt = None
            if i + 1 < n and not isinstance(items[i + 1], str) and self._kinds[items[i + 1]] == SUFFIX_T:
                nxt = self._data[items[i + 1]]
            if kind == ROOT_T:
                text, ctx = spell_root(data.root, data.flags, nxt)
                if data.space:
                    text = " " + text
            elif kind == SUFFIX_T:
                text, ctx = spell_suffix(data, ctx, nxt)
            elif kind == APOS:
                text = data
            elif kind == MARKER:
                marks.append((pos, data))
                text = ""
            else:
                text = data
                ctx = _scan(ctx, text)
            spans.append((pos, pos + len(text)))
            parts.append(text)
            pos += len(text)
            i += 1
        text = "".join(parts)
        # right to left, and at one position the case before the decomposition
        for start, marker in sorted(marks, key=lambda m: (-m[0], m[1] == NFD)):
            m = WORD.match(text, start)
            if not m:
                continue
            a, b = m.span(2)
            if marker != NFD:
                text = text[:a] + recase(text[a:b], marker) + text[b:]
                continue
            pieces = [unicodedata.normalize("NFD", ch) for ch in text[a:b]]
            text = text[:a] + "".join(pieces) + text[b:]
            if with_spans:
                spans = _stretch(spans, a, [len(p) for p in pieces])
        return text, spans

    def _decode(self, ids: list[int]) -> tuple[str, list[tuple[int, int]]]:
        for i in ids:
            if not 0 <= i < len(self._names):
                raise TokkitError(f"cannot decode id {i}: the vocabulary has {len(self._names)} ids")
        return self._render(ids)

    # -- saving ------------------------------------------------------------------------------
    def _write(self, folder: Path) -> dict[str, Any]:
        payload = {
            "templates": list(TEMPLATES),
            "roots": [[r.root, sorted(r.flags), r.space] for r in self.roots],
            "lexicon": [[e.root, e.state, sorted(e.flags), e.proper] for e in self.analyzer.entries],
        }
        (folder / FORMAT_FILE).write_text(json.dumps(payload, ensure_ascii=False) + "\n", encoding="utf-8")
        self._fallback.save(str(folder / FALLBACK_FILE))
        known = {
            "chunks": list(self.known),
            "ids": [list(ids) for ids in self.known.values()],
            "cased": {"chunks": list(self.known_cased), "ids": [list(ids) for ids in self.known_cased.values()]},
        }
        (folder / KNOWN_FILE).write_text(json.dumps(known, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
        return {"files": [FORMAT_FILE, FALLBACK_FILE, KNOWN_FILE]}

    def to_transformers(self):
        from tokkit.errors import require

        require("transformers", "lm")
        from tokkit.morphology.hf_wrapper import HybridHFTokenizer

        return HybridHFTokenizer(self)


def _cache_put(cache: dict, size: int, key: str, ids: tuple[int, ...]) -> tuple[int, ...]:
    """``cache[key] = ids`` in a cache that is emptied when full; returns ``ids``."""
    if len(cache) >= size:
        cache.clear()
    cache[key] = ids
    return ids


def _compiled_encoder(tok: HybridTokenizer):
    """The compiled twin of ``tok``'s encoding path, or None where it was not built.

    ``tokkit.morphology._hybrid_encode`` (C, built by ``pip install`` where a compiler
    exists; see its source) runs :meth:`HybridTokenizer.encode` down to
    :meth:`TurkishAnalyzer.best_stem` step for step, on the tokenizer's own caches and on
    the tables made here: the lexicon's root spellings, the suffix machine
    (:meth:`TurkishAnalyzer.suffix_machine`), the BPE fallback's merges, the token ids,
    the Turkish letters with their lower case and their decompositions. What it does not
    decide it hands to the Python methods given here. Same ids (a test compares the two
    paths on real and generated text), several times faster on new text, where the Python
    path pays the interpreter's cost for many small steps per word. ``TOKKIT_PURE_PYTHON=1``
    turns it off; so does a fallback whose merges do not name its own tokens.
    """
    if os.environ.get("TOKKIT_PURE_PYTHON"):
        return None
    try:
        from tokkit.morphology._hybrid_encode import Encoder
    except ImportError:
        return None
    bpe = json.loads(tok._fallback.to_str())["model"]
    vocab = bpe["vocab"]
    pairs = (m if isinstance(m, list) else m.split(" ") for m in bpe["merges"])
    try:
        merges = [(vocab[a], vocab[b], vocab[a + b]) for a, b in pairs]
    except (KeyError, ValueError):
        return None
    letters = TURKISH_LETTERS + tr_upper(TURKISH_LETTERS)
    machine = tok.analyzer.suffix_machine()
    return Encoder(
        pieces=tok._pieces,
        chunks=tok._chunks,
        marker_ids=(tok._marker_ids[CAP], tok._marker_ids[CAPS], tok._marker_ids[NFD]),
        suffix_ids=[tok._suffix_ids[t] for t in TEMPLATES],
        root_ids=tok._root_ids,
        entry_of=tok._entry,
        ids_of_py=tok.ids_of,
        findall=CHUNK.findall,
        forms=tok.analyzer.forms,
        machine_ids=machine.ids,
        accept=machine.accept,
        edges=machine.edges,
        apostrophe_states=machine.apostrophe,
        template_prog=[t == PROGRESSIVE for t in TEMPLATES],
        template_vowel=[starts_with_vowel(t) for t in TEMPLATES],
        templates=list(TEMPLATES),
        context=Context,
        realize=realize,
        bpe_byte_ids=[vocab.get(BYTE_TO_CHAR[b], -1) for b in range(256)],
        bpe_merges=merges,
        bpe_offset=tok._bpe_offset,
        apostrophe_id=tok._ids["'"],
        right_quote_id=tok._ids["’"],
        letters=[(ch, tr_lower(ch)) for ch in letters],
        compositions=[(*nfd, ch) for ch in letters if len(nfd := unicodedata.normalize("NFD", ch)) == 2],
        max_letters=MAX_LETTERS,
        cache_size=tok._cache_size,
    )


def _stretch(spans: list[tuple[int, int]], start: int, widths: list[int]) -> list[tuple[int, int]]:
    """Spans after the characters from ``start`` on became ``widths`` characters each."""
    cum = [0]
    for w in widths:
        cum.append(cum[-1] + w)
    end, delta = start + len(widths), cum[-1] - len(widths)

    def move(x: int) -> int:
        return x if x <= start else x + delta if x >= end else start + cum[x - start]

    return [(move(s), move(e)) for s, e in spans]


def _byte_spans(text: str, raw: bytes, starts: list[int], offset: int) -> list[tuple[int, int]]:
    """Character spans of byte pieces (a piece inside a character gets the whole character)."""
    char_of = []
    for c, ch in enumerate(text):
        char_of += [c] * len(ch.encode("utf-8"))
    if len(char_of) != len(raw):  # invalid UTF-8 was replaced: spans by best effort
        char_of = [min(b, max(len(text) - 1, 0)) for b in range(len(raw))]
    ends = starts[1:] + [len(raw)]
    out = []
    for s, e in zip(starts, ends):
        if s == e:
            out.append((offset + (char_of[s] if s < len(char_of) else len(text)),) * 2)
        else:
            out.append((offset + char_of[s], offset + char_of[e - 1] + 1))
    return out


def load_hybrid(path: Path, name: str) -> HybridTokenizer:
    """Load a saved hybrid tokenizer folder (the ``tokkit.formats`` entry point)."""
    from tokenizers import Tokenizer as RustTokenizer

    for needed in (FORMAT_FILE, FALLBACK_FILE):
        if not (path / needed).is_file():
            raise TokkitError(f"{path} is not a complete hybrid tokenizer: {needed} is missing")
    try:
        payload = json.loads((path / FORMAT_FILE).read_text(encoding="utf-8"))
        fallback = RustTokenizer.from_file(str(path / FALLBACK_FILE))
    except Exception as exc:  # the Rust loader raises a bare Exception on bad JSON
        raise TokkitError(f"{path} holds a damaged hybrid tokenizer: {first_line(exc)}") from exc
    if payload.get("templates") != list(TEMPLATES):
        raise TokkitError(f"{path} was saved with a different suffix inventory than this tokkit's; retrain it")
    with _collector_paused():
        try:
            roots = [RootToken(r, frozenset(f), bool(s)) for r, f, s in payload["roots"]]
            lexicon = [RootEntry(r, st, frozenset(f), bool(p)) for r, st, f, p in payload["lexicon"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise TokkitError(f"{path / FORMAT_FILE} is malformed: {exc}") from exc
        tok = HybridTokenizer(roots, fallback, TurkishAnalyzer(lexicon), name=name)
        tok.known, tok.known_cased = _read_known(path / KNOWN_FILE, tok.vocab_size)
    return tok


@contextmanager
def _collector_paused():
    """Python's cyclic garbage collector paused, then one full collection.

    Loading builds some 10^6 container objects (the lexicon's spellings, the known-word
    table), none of them garbage; the automatic collections would walk them again and
    again as they pass from generation to generation (a third to a half of the load time, and more
    during the first encodings). One full collection at the end moves them all to the
    oldest generation at once.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.collect()
        if enabled:
            gc.enable()


def _read_known(file: Path, vocab_size: int) -> tuple[dict[str, tuple[int, ...]], dict[str, tuple[int, ...]]]:
    """The known-word tables of a saved tokenizer (empty for one saved before they existed).

    ``{"chunks": [...], "ids": [...], "cased": {"chunks": [...], "ids": [...]}}``; a table
    saved before the cased part existed has none (its chunks are as written, with their
    markers' ids, which the encoder still looks up as they are).
    """
    if not file.is_file():
        return {}, {}
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        tables = []
        for part in (data, data.get("cased", {"chunks": [], "ids": []})):
            chunks, ids = part["chunks"], part["ids"]
            table = dict(zip(chunks, map(tuple, ids), strict=True))
            flat = list(chain.from_iterable(table.values()))
            if set(map(type, chunks)) - {str} or set(map(type, flat)) - {int} or flat and not 0 <= min(flat) <= max(flat) < vocab_size:
                raise ValueError("a chunk that is not a string or an id outside the vocabulary")
            tables.append(table)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:  # JSONDecodeError is a ValueError
        raise TokkitError(f"{file} is malformed: {first_line(exc)}") from exc
    return tables[0], tables[1]


# -- training ----------------------------------------------------------------------------
@dataclasses.dataclass
class HybridOptions:
    lang: str = option("tr", "language of the rule-based analyzer: " + ", ".join(sorted(RULE_BASED)))
    lexicon: str | None = option(None, "Zemberek lexicon folder (default: $TOKKIT_DATA_DIR/turkish/lexicon)")
    fallback_size: int = option(1024, "BPE fallback tokens (256 bytes + merges), trained on what the analyzer leaves")
    min_frequency: int = option(2, "a root (or BPE pair) must occur at least this often in the corpus")
    known_words: int = option(
        100_000, "the corpus's N most frequent words (chunks) are encoded at training time and saved with it (0: none)"
    )


class HybridTrainer(Trainer):
    name = "hybrid"
    summary = "morphological hybrid (Turkish): lexicon roots + harmonised suffix ids + BPE fallback, lossless"
    Options = HybridOptions

    def train(self, corpus: Corpus, vocab_sizes: list[int], progress: Progress | None = None) -> dict[int, HybridTokenizer]:
        opts = self.options
        code = LANG_ALIASES.get(opts.lang, opts.lang)
        if code not in RULE_BASED:
            raise TokkitError(
                f"no rule-based analyzer for language '{opts.lang}': the hybrid tokenizer exists for "
                f"{', '.join(sorted(RULE_BASED))}; for another language, segment with the Morfessor segmenter "
                "(tokkit.morphology.morfessor_segmenter), which serves any language"
            )
        fixed = len(DEFAULT_SPECIALS) + len(MARKERS) + 2 + len(TEMPLATES)
        sizes = check_sizes(vocab_sizes, fixed + 256, f"the hybrid tokenizer ({fixed} fixed tokens + 256 bytes)")
        csv = resolve_lexicon(opts.lexicon)
        analyzer = TurkishAnalyzer(read_lexicon(csv))
        pieces = Counter()
        for text in stream_texts(corpus, progress):
            for i, piece in enumerate(text.split(" ")):
                pieces[piece if i == 0 else " " + piece] += 1
        chunks = Counter()
        for piece, count in pieces.items():
            for chunk in chunks_of(piece):
                chunks[chunk] += count
        task = progress.add("analysing words", total=len(chunks)) if progress else None
        root_counts: Counter = Counter()
        for chunk, count in chunks.items():
            for root in _roots_of(analyzer, chunk):
                root_counts[root] += count
            if task:
                task.advance()
        if task:
            task.done()
        ranked = [r for r, c in sorted(root_counts.items(), key=lambda rc: (-rc[1], rc[0].name)) if c >= opts.min_frequency]
        ranked = list(dict.fromkeys(ranked + _lexicon_roots(analyzer, csv)))
        described = corpus.describe()
        out = {}
        for size in sizes:
            roots = ranked[: max(0, size - fixed - opts.fallback_size)]
            bpe_size = size - fixed - len(roots)
            out[size] = self._build(roots, bpe_size, analyzer, chunks, size, corpus, described, progress)
        return out

    def _build(self, roots, bpe_size, analyzer, chunks: Counter, size: int, corpus, described, progress) -> HybridTokenizer:
        """The tokenizer with these roots, its BPE fallback trained on what they leave over."""
        probe = HybridTokenizer(roots, _empty_bpe(), analyzer, compiled=False)
        # every chunk is its markers + the plan of its normal form (HybridTokenizer._entry),
        # so the plans are made per normal form, and the known-word tables keep those of the
        # most frequent ones; a plan does not depend on the BPE (its strings are spelt by
        # any byte-level BPE), so the final tokenizer encodes them as they are
        entries: Counter = Counter()
        for chunk, count in chunks.items():
            _, key, cased = probe._entry(chunk)
            entries[key, cased] += count
        frequent = set(sorted(entries, key=lambda e: (-entries[e], e[0], bool(e[1])))[: self.options.known_words])
        plans = {}
        leftovers: Counter = Counter()
        for (key, cased), count in entries.items():
            plan = [key] if cased is None else probe.word_plan(key, cased)
            if (key, cased) in frequent:
                plans[key, cased] = plan
            for item in plan:
                if isinstance(item, str):
                    leftovers[item] += count
        task = progress.add(f"BPE fallback ({bpe_size} tokens)") if progress else None
        fallback = new_byte_level_bpe(_bpe_pre_tokenizer())
        fallback.train_from_iterator(
            _repeat(leftovers), trainer=bpe_trainer(bpe_size, specials=(), min_frequency=self.options.min_frequency)
        )
        if task:
            task.done()
        reached = size - bpe_size + fallback.get_vocab_size()
        if reached < size:
            raise TokkitError(
                f"corpus {corpus.spec} fills only {reached} of the {size} hybrid tokens asked for "
                f"({len(roots)} roots, {fallback.get_vocab_size()} BPE tokens): ask for at most {reached} or train on more text"
            )
        tok = HybridTokenizer(
            roots, fallback, analyzer, name=f"hybrid-{size}", provenance=self.provenance(corpus, size, described)
        )
        tok.known = {key: tok.ids_of(plan) for (key, cased), plan in plans.items() if not cased}
        tok.known_cased = {key: tok.ids_of(plan) for (key, cased), plan in plans.items() if cased}
        return tok


def _lexicon_roots(analyzer: TurkishAnalyzer, csv: Path) -> list[RootToken]:
    """Roots for the slots the corpus leaves: Zemberek's word-frequency list first, then the lexicon.

    The frequency list (``zemberek_nlp_dicts/top-20K-words.txt`` beside the CSV) is used
    when present; then common roots in lexicon order, then proper nouns. All with a space.
    """
    out: list[RootToken] = []
    frequent = csv.parent / "zemberek_nlp_dicts" / FREQUENCY_LIST
    if frequent.is_file():
        for word in frequent.read_text(encoding="utf-8").split():
            out += _roots_of(analyzer, " " + word)
    for proper in (False, True):
        out += [RootToken(e.root, e.flags, True) for e in analyzer.entries if e.proper == proper]
    return out


def _roots_of(analyzer: TurkishAnalyzer, chunk: str) -> list[RootToken]:
    """The root a chunk's best analysis uses, as the root token it would need."""
    split = split_word(chunk) if WORD.fullmatch(chunk) else None
    if split is None:
        return []
    markers, space, word = split
    cut = next((i for i, ch in enumerate(word) if ch in APOSTROPHES), len(word))
    parses = analyzer.stem_parses(word[:cut], first=True, lowercase=CAP not in markers and CAPS not in markers)
    if not parses:
        return []
    root, suffixes = parses[0][0], parses[0][1:]
    nxt = suffixes[0].label if suffixes else None
    for entry, _, _ in analyzer.forms.get(root.surface, ()):
        if entry.root == root.label and root_surface(entry.root, entry.flags, nxt) == root.surface:
            return [RootToken(entry.root, entry.flags, space)]
    return []


def _bpe_pre_tokenizer():
    from tokenizers import pre_tokenizers

    return pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)


def _empty_bpe():
    """A BPE with only the 256 byte tokens (for planning before the fallback is trained)."""
    from tokenizers import Tokenizer as RustTokenizer
    from tokenizers import models, pre_tokenizers

    alphabet = pre_tokenizers.ByteLevel.alphabet()
    rust = RustTokenizer(models.BPE(vocab={c: i for i, c in enumerate(sorted(alphabet))}, merges=[]))
    rust.pre_tokenizer = _bpe_pre_tokenizer()
    return rust


def _repeat(counts: Counter) -> Iterable[str]:
    for text, count in counts.items():
        for _ in range(count):
            yield text
