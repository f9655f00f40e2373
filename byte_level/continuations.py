"""The continuations a growing text is tried with, and where UTF-8 text ends in bytes.

A token sequence that is still growing is valid when *some* continuation ``r`` of its
text makes the tokenizer produce it (Phan et al. 2024, "Exact Byte-Level Probabilities
from Tokenized Language Models for FIM-Tasks and Model Ensembles"). Trying every ``r`` is
impossible, and most texts need only the empty one; both the oracle
(:mod:`tokkit.byte_level.canonical`) and its fast path
(:mod:`tokkit.byte_level.piece_rules`) try these:

* a text that ends inside a UTF-8 character (:func:`utf8_split` finds where) is completed
  with one representative character of every Unicode class that can complete it
  (:func:`completions`);
* a text that ends in whitespace or an apostrophe, the only places where a regex
  pre-tokenizer looks ahead or joins across (trailing whitespace ``\\s+(?!\\S)``,
  contractions), or that is empty, is also tried with :data:`PROBES`
  (:func:`needs_probes`). A longer pre-token can only add BPE merges, never undo a
  conflict, so no other text needs more probes.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

#: continuations tried after a text that ends in whitespace or an apostrophe
PROBES = ("", " ", "  ", "a", "A", "s", "t", "d", "m", "re", "ll", "ve", "1", "12", ".", "'", "\n", "\n\n", "\t", "é", "中", " a", " 1", "\r\n")


def utf8_split(data: bytes) -> tuple[str, bytes] | None:
    """``data`` as (complete text, incomplete last character), or ``None`` if it is not a
    prefix of any UTF-8 text."""
    for cut in range(len(data), max(len(data) - 4, -1), -1):
        try:
            text = data[:cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
        tail = data[cut:]
        if not tail or completions(tail):
            return text, tail
        return None
    return None


@lru_cache(maxsize=4096)
def completions(partial: bytes) -> tuple[str, ...]:
    """One character of each Unicode class whose UTF-8 starts with ``partial`` (a lone
    lead byte, possibly with continuation bytes)."""
    lead = partial[0]
    total = 2 if 0xC2 <= lead <= 0xDF else 3 if 0xE0 <= lead <= 0xEF else 4 if 0xF0 <= lead <= 0xF4 else 0
    missing = total - len(partial)
    if missing <= 0:
        return ()
    tails: list[bytes] = [b""]
    for depth in range(missing):
        spread = range(0x80, 0xC0) if depth < 2 else (0x80, 0x90, 0xA0, 0xB0, 0xBF)
        tails = [t + bytes([b]) for t in tails for b in spread]
    seen: dict[tuple, str] = {}
    for tail in tails:
        try:
            char = (partial + tail).decode("utf-8")
        except UnicodeDecodeError:
            continue
        seen.setdefault((unicodedata.category(char), char.isspace(), char in "\r\n"), char)
    return tuple(seen.values())


def needs_probes(text: str) -> bool:
    """Whether a continuation can change how ``text``'s end is split (see the module
    docstring); an empty text (a token that is only a dummy-prefix space) needs one too."""
    return not text or text[-1].isspace() or text[-1] == "'"
