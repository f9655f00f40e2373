"""The hybrid morphological tokenizer: roots + harmonised suffixes + a BPE fallback.

After Bayram et al., "Tokens with Meaning: A Hybrid Tokenization Approach for NLP"
(2025): a Turkish word is cut into its root and its suffixes, every suffix *allomorph
class* has one id (``-lar``/``-ler`` are one token, ``-dı/-di/-du/-dü/-tı/...`` another),
and what the analyzer cannot cut goes to a byte-level BPE trained on exactly those
leftovers. Unlike that paper's tokenizer this one is **lossless**: ``decode(encode(x)) == x``
for every string.

One job a module:

* :mod:`~tokkit.morphology.hybrid.pretokenize`: how a text is cut into pieces and chunks,
  and how a word's case and composition become markers (``<cap>``, ``<caps>``, ``<nfd>``);
* :mod:`~tokkit.morphology.hybrid.tokenizer`: :class:`HybridTokenizer`: the vocabulary,
  the encoder (plans, the known-word table, the caches), the decoder, saving;
* :mod:`~tokkit.morphology.hybrid.compiled`: the wiring of the encoder's compiled twin
  (``morphology/_hybrid_encode.c``);
* :mod:`~tokkit.morphology.hybrid.spans`: the character spans of decoded tokens;
* :mod:`~tokkit.morphology.hybrid.loading`: :func:`load_hybrid`, a saved folder read back;
* :mod:`~tokkit.morphology.hybrid.trainer`: :class:`HybridTrainer` and :class:`HybridOptions`.
"""

from tokkit.morphology.hybrid.loading import load_hybrid
from tokkit.morphology.hybrid.pretokenize import CAP, CAPS, CHUNK, NFD, chunks_of, decompose
from tokkit.morphology.hybrid.tokenizer import KNOWN_FILE, HybridTokenizer, RootToken
from tokkit.morphology.hybrid.trainer import HybridOptions, HybridTrainer

__all__ = [
    "CAP",
    "CAPS",
    "CHUNK",
    "KNOWN_FILE",
    "NFD",
    "HybridOptions",
    "HybridTokenizer",
    "HybridTrainer",
    "RootToken",
    "chunks_of",
    "decompose",
    "load_hybrid",
]
