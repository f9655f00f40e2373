"""How the hybrid tokenizer cuts a text, and how a word's case and composition become markers.

The pre-tokenization is fixed:

1. The text is split at every space; each piece after the first keeps its space in
   front (``"bir kitap"`` -> ``"bir"``, ``" kitap"``). Pieces are the piece cache's keys.
2. Each piece is cut by :data:`CHUNK` into letter chunks (letters and combining marks,
   with in-word apostrophes: ``İstanbul'a``), digit groups of at most three, punctuation
   runs and whitespace runs, each with at most one leading space.

Whitespace convention: a single space before a chunk belongs to the chunk's first token
(roots exist in two forms, ``▁kitap`` and ``kitap``; BPE pieces carry ``Ġ``); other
whitespace (double spaces, tabs, newlines) is encoded by the BPE fallback.

A letter chunk is analysed in its *normal form*: its leading space and its composed,
lower-case word. Markers in front of its tokens restore the chunk as it was written:

* ``<nfd>`` when the word is written decomposed (Unicode NFD: ``g`` + U+0306 for ``ğ``, as
  much of TurkishMMLU is); the decoder decomposes the word again, character by character;
* ``<cap>`` when the word is ``Capitalised``, ``<caps>`` when it is ``ALL-CAPS`` (one
  marker for the whole word, unlike the paper's one per letter), with Turkish case
  mapping (``I``->``ı``, ``İ``->``i``); mixed-case words go to the BPE as they are.

:func:`split_word` gives the markers only where they restore the chunk exactly.
"""

from __future__ import annotations

import unicodedata

import regex

from tokkit.morphology.harmony import tr_lower, tr_upper

#: the pre-tokenization of one space-separated piece (see the module docstring)
CHUNK = regex.compile(
    r" ?[\p{L}\p{M}]+(?:['’][\p{L}\p{M}]+)*| ?\p{N}{1,3}| ?[^\s\p{L}\p{M}\p{N}]+|\s+(?!\S)|\s+"
)

#: a letter chunk (what a case marker applies to)
WORD = regex.compile(r"( ?)([\p{L}\p{M}]+(?:['’][\p{L}\p{M}]+)*)")

CAP, CAPS, NFD = "<cap>", "<caps>", "<nfd>"
#: the markers, in their order in the vocabulary (right after the special tokens)
MARKERS = (CAP, CAPS, NFD)


def chunks_of(piece: str) -> list[str]:
    """The chunks of one space-separated piece: the matches of :data:`CHUNK`.

    A piece that is all letters apart from its leading space (most of them) is one chunk,
    found without the regex (``str.isalpha`` is Unicode category L, as ``\\p{L}``).
    """
    if (piece[1:] if piece[:1] == " " else piece).isalpha():
        return [piece]
    return CHUNK.findall(piece)


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
