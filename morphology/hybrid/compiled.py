"""The compiled twin of the hybrid encoder: the wiring of ``tokkit.morphology._hybrid_encode``.

``tokkit.morphology._hybrid_encode`` (C, built by ``pip install`` where a compiler
exists; see its source) runs :meth:`HybridTokenizer.encode` down to
:meth:`TurkishAnalyzer.best_stem` step for step, on the tokenizer's own caches and on
the tables made here: the lexicon's root spellings, the suffix machine
(:meth:`TurkishAnalyzer.suffix_machine`), the BPE fallback's merges, the token ids,
the Turkish letters with their lower case and their decompositions. What it does not
decide it hands to the Python methods given here. Same ids (a test compares the two
paths on real and generated text), faster on new text, where the Python path pays the
interpreter's cost for many small steps per word. ``TOKKIT_PURE_PYTHON=1`` turns it
off; so does a fallback whose merges do not name its own tokens.
"""

from __future__ import annotations

import json
import os
import unicodedata
from typing import TYPE_CHECKING

from tokkit.byte_map import BYTE_TO_CHAR
from tokkit.morphology.harmony import PROGRESSIVE, Context, realize, starts_with_vowel, tr_lower, tr_upper
from tokkit.morphology.hybrid.pretokenize import CAP, CAPS, CHUNK, NFD
from tokkit.morphology.turkish import MAX_LETTERS, TEMPLATES

if TYPE_CHECKING:
    from tokkit.morphology.hybrid.tokenizer import HybridTokenizer

#: the lower-case letters of Turkish text (the compiled encoder decides their words' case itself)
TURKISH_LETTERS = "abcçdefgğhıijklmnoöprsştuüvyzâîûqwx"


def compiled_encoder(tok: HybridTokenizer):
    """The compiled twin of ``tok``'s encoding path, or None where it was not built."""
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
