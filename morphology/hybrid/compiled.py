"""The compiled twin of the hybrid encoder, and how it is kept equal to the Python path.

``tokkit.morphology._hybrid_encode`` (``morphology/_hybrid_encode.c``, built by ``pip
install`` where a C compiler exists) encodes as :meth:`HybridTokenizer.encode` does, down
to :meth:`TurkishAnalyzer.best_stem`, on the tokenizer's own caches and on tables built
here. Why: a first pass over new text spends its time in many small steps per word
(splitting, dict lookups, the walk over a word's prefixes, the suffix parses), none of
them a hot spot, and the Python path pays the interpreter's cost on each of them.
``TOKKIT_PURE_PYTHON=1`` turns it off; so does a fallback whose merges do not name its
own tokens.

**The Python path is the reference**: its own tests check it against the rules, and the
C twin is checked against it. Each C function is named after the Python one it does:

* ``Encoder.encode``, ``encode_piece``, ``chunk_ids``, ``encode_chunk``, ``cache_put``:
  :meth:`HybridTokenizer.encode`, ``_encode_piece``, ``_chunk_ids``, ``_encode_chunk``
  and ``_cache_put`` (:mod:`~tokkit.morphology.hybrid.tokenizer`);
* ``chunk_ends``: :func:`~tokkit.morphology.hybrid.pretokenize.chunks_of` (``CHUNK``);
* ``fast_entry``: ``HybridTokenizer._entry`` (``split_word``);
* ``word_plan``, ``morph_items``, ``plan_items``: ``HybridTokenizer.word_plan``,
  ``_plan_word``, ``_morph_items``; ``renders_back`` and ``spell_suffixes``: the
  decoder, ``HybridTokenizer._render`` with ``harmony.spell_suffix``;
* ``best_stem``, ``parse_from``: :meth:`TurkishAnalyzer.best_stem` and
  :meth:`TurkishAnalyzer.suffix_parses` with ``limit=1``;
* ``spell_root``: ``harmony.spell_root``; ``scan_letters``: ``tokenizer._scan``;
  ``context_key``: the order of ``turkish.KEY_CONTEXTS``;
* ``ids_of``, ``bpe_encode``: ``HybridTokenizer.ids_of`` with the fallback's BPE model.

What C takes as data, built here from the Python objects and not derived again: the
lexicon's root spellings with their records (``TurkishAnalyzer.forms``, as a trie), the
suffix machine (``TurkishAnalyzer.suffix_machine``: states, accepting states, edges with
their spellings, the states after an apostrophe), the token ids, the fallback's byte ids
and merges, the Turkish letters with their lower case and their decompositions into a
letter and one combining mark, ``MAX_LETTERS``, and the decoder's suffix spellings
(``harmony.realize``, called back once per template and context key).

The rules C ports, and in brackets the tests that compare the two paths on inputs made
for each (a quoted name is a case of ``test_same_ids_on_the_inputs_of_each_rule``):

* the split at spaces, each piece after the first with its space [``spaces``];
* the ``CHUNK`` cut of pieces of Latin letters, digits and punctuation (other pieces go
  to ``CHUNK.findall``), a piece of letters as one chunk [``chunk cut``, and the
  chunking tests against ``CHUNK`` itself];
* the markers of a word of Turkish letters: ``<cap>``, ``<caps>`` (Turkish case,
  ``İ``/``ı``) and ``<nfd>`` (a letter and one combining mark composed); a partly
  decomposed or mixed-case word, or another letter, goes to ``HybridTokenizer._entry``
  [``markers``];
* the apostrophe: the stem ends at the first ``'`` or ``’``, the rest is parsed as a
  noun's suffixes from the stem's harmony context, else spelt by the BPE [``apostrophe``];
* ``best_stem``'s ranking (a proper noun demoted in a lower-case word, the longest root,
  a common word before a proper noun, the fewest suffixes, the first among equals) and
  ``suffix_parses(limit=1)`` (the fewest suffixes, the first edge in order among equals)
  [``root ranking``, and every word of FLORES and TurkishMMLU analysed on both paths];
* ``harmony.spell_root``: a root's consonant changes before a suffix (softening, vowel
  drop, doubling, the progressive's vowel drop), then the harmony context after it
  [every lexicon root, and made-up roots under every combination of flags];
* whether a plan is exact by construction (the decoder's context after the root is the
  one its suffixes were parsed from), and else the decoder's spelling of it, compared
  with the word (a suffix's last vowel dropped before the progressive) [``checked plans``];
* ``MAX_LETTERS``: a longer word is not analysed, the BPE spells it whole [``MAX_LETTERS``];
* the byte-level BPE: the adjacent pair of the lowest merge rank first, the leftmost
  among equals [``BPE merges``];
* the piece and chunk caches, emptied when full, and the known-word lookups in the Python
  path's order [the caches test: same ids and the same cache contents];
* the C module's own limits, beyond which it hands over to Python (a word of more than
  512 letters, a piece of more than 256 characters, a BPE string of more than 256
  bytes) [the limits test].

Equality is tested in ``tests/test_morphology_hybrid_compiled.py``: one saved tokenizer
is loaded twice, with the compiled encoder and with ``TOKKIT_PURE_PYTHON=1``, and both
must give the same ids on real text (FLORES, TurkishMMLU, other scripts), on generated
text and on the inputs above, with and without the known-word table (without it, every
word is analysed on both paths). When the C file changes, break the rule that changed
on purpose, rebuild (``pip install -e . --no-deps``) and see a test fail.
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
