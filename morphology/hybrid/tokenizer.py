"""The hybrid tokenizer: its vocabulary, its encoder (plans, tables, caches) and its decoder.

Vocabulary, in id order: the special tokens, the markers (:data:`MARKERS`), the in-word
apostrophes ``'`` and ``’``, one token per suffix allomorph class (``+lAr``, ``+DI``,
``+(y)I``), the root tokens (:class:`RootToken`, ``▁kitap|voicing``), then the BPE
fallback's tokens (``§`` + the GPT-2 byte string).

A letter chunk (:mod:`~tokkit.morphology.hybrid.pretokenize`) is encoded as its markers,
then the *plan* of its normal form:

* the root as a root token when it is in the vocabulary, else its letters through the BPE;
* each suffix as its allomorph-class token (``+lAr``, ``+DI``, ``+(y)I``);
* ``'`` or ``’`` between a proper noun and its suffixes as its own token.

Any other chunk (digits, punctuation, whitespace, mixed-case words) goes to the BPE as it is.

Decoding spells each root and suffix id from its neighbours with the harmony rules of
:mod:`tokkit.morphology.harmony` (kitap + (y)I -> kitabı). **Losslessness** is enforced,
not hoped for. The markers restore the chunk from its normal form exactly
(:func:`~tokkit.morphology.hybrid.pretokenize.split_word` checks that before using them).
The plan of the normal form is exact by construction when the decoder starts its
suffixes from the harmony context the analyzer parsed them from (the root is a root
token with the analysed root's flags, or BPE letters that give the same context): both
then spell each suffix with the same rules. Any other plan (another entry's root token,
suffixes after an apostrophe) is decoded on the spot and compared with the normal form;
if the rules would spell it differently (a loanword that breaks harmony, ``Scotia``), the
BPE spells the word, which byte-level BPE always reproduces. Decoding is chunk-local (the
harmony context resets at every character that is not a letter, except the in-word
apostrophe token; a case marker applies to the letter chunk that follows it), so what
holds per chunk holds for the whole text.

Speed. Text is Zipfian, so encoding is a chain of tables: the piece cache (a dict of the
space-separated pieces seen, emptied when full); the **known-word table**, which training
fills with the encodings of the corpus's most frequent chunks in their normal form
(``--known-words``) and which is saved with the tokenizer (``known_words.json``, JSON):
chunks as written for lower-case words and non-words, and a *cased* part for the normal
forms of words written Capitalised or in capitals (their analysis ranks proper nouns
with common words), so ``Kitap``, ``KİTAP`` and a decomposed ``kitap`` all find
``kitap``'s entry behind their markers; then the chunk cache (a dict emptied when full);
only a chunk found in none of them is analysed. The table holds exactly what analysis
gives: its entries are the plans computed by the same code at training time, encoded by
the final BPE. Where it was built, a compiled twin of this path does the same steps
(:mod:`~tokkit.morphology.hybrid.compiled`).

``token_bytes``: a shared allomorph id has no single spelling. It returns the class's
*canonical* spelling, the one it takes after a stem like ``kar`` (back unrounded vowel,
voiced consonant: ``+lAr`` -> ``lar``, ``+(y)I`` -> ``ı``, ``+(I)m`` -> ``ım``, ``+DI`` ->
``dı``), a root token returns its dictionary form (``kitap``, also where the
text says ``kitab``), a case marker returns ``b""``. So, for this format only, the
concatenated ``token_bytes`` of an encoding is *not* the text: byte-exact consumers
(byte_level) must not assume it is. Metrics that read token strings (%TR, %Pure) see
the canonical morphemes. ``tokens(text)`` gives the exact surface offsets
(:mod:`~tokkit.morphology.hybrid.spans`).
"""

from __future__ import annotations

import dataclasses
import json
import unicodedata
from itertools import chain
from pathlib import Path
from typing import Any, Sequence

from tokkit.backends.hf import write_tokenizer_json
from tokkit.byte_map import chars_to_bytes
from tokkit.errors import TokkitError
from tokkit.morphology.harmony import Context, after, realize, spell_root, spell_suffix, tr_lower
from tokkit.morphology.hybrid.compiled import compiled_encoder
from tokkit.morphology.hybrid.pretokenize import CAP, CAPS, MARKERS, NFD, WORD, chunks_of, recase, split_word
from tokkit.morphology.hybrid.spans import byte_spans, stretch
from tokkit.morphology.turkish import MAX_LETTERS, TEMPLATES, TurkishAnalyzer
from tokkit.tokenizer import Piece, Provenance, SpecialTokens, Tokenizer
from tokkit.trainers.base import DEFAULT_SPECIALS

SPACE = "▁"
SUFFIX_PREFIX = "+"
BPE_PREFIX = "§"
#: token kinds
SPECIAL, MARKER, APOS, SUFFIX_T, ROOT_T, BPE_T = range(6)
#: the files of a saved hybrid tokenizer (read back by :mod:`~tokkit.morphology.hybrid.loading`)
FORMAT_FILE = "hybrid.json"
FALLBACK_FILE = "fallback.json"
KNOWN_FILE = "known_words.json"


def canonical(template: str) -> str:
    """The canonical spelling of an allomorph class: the one after a stem like ``kar``."""
    return realize(template, Context("a", "r"))


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
        self._compiled = compiled_encoder(self) if compiled else None

    def __getstate__(self) -> dict[str, Any]:
        # the compiled encoder holds this object's caches: a copy builds its own
        return {**self.__dict__, "_compiled": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._compiled = compiled_encoder(self)

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
        if self._compiled is not None:  # the same steps, compiled (see hybrid.compiled)
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
                    spans += byte_spans(text, bytes(raw), starts, pos)
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
                spans = stretch(spans, a, [len(p) for p in pieces])
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
        write_tokenizer_json(self._fallback, folder / FALLBACK_FILE)
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


def _scan(ctx: Context, text: str) -> Context:
    """The harmony context after plain text: letters extend it, anything else resets it."""
    start = len(text)
    while start > 0 and text[start - 1].isalpha():
        start -= 1
    if start > 0:
        ctx = Context()
    tail = tr_lower(text[start:])
    return after(ctx, tail, tail)
