"""Exact byte-level probabilities and generation from tokenized language models.

A prompt may end anywhere, even inside a token or a UTF-8 character: the next-byte
distribution sums the model's probability over every token sequence that can spell the
text (the Byte-Token Representation Lemma, Phan et al. 2024). What a user imports:

* :class:`ByteModel` (``ByteModel.load(spec)``): the byte-level view of a causal LM;
  ``start`` and ``next_byte_logprobs`` give exact next-byte distributions (:data:`EOS`
  is the end-of-text outcome);
* :func:`complete` (modes :data:`MODES`: exact, boundary, token healing, naive) and
  :func:`generate_bytes` with :class:`SamplingOptions`;
* :func:`fill_in_middle` (FIM formats :data:`FIM_FORMATS`);
* :func:`ensemble_generate`: a mixture or product (:data:`MIXES`) of models with
  different vocabularies.

The modules by concern: ``lm`` (the model and its key/value forest), ``canonical``
(which token sequences a tokenizer can produce: the oracle), ``piece_rules`` (the fast
path for regex BPE), ``continuations`` (UTF-8 and probe helpers), ``covers`` (the cover
trees of a prompt's open end), ``distribution`` (next-byte distributions), ``sampling``,
``completion``, ``ensemble``.
"""

from tokkit.byte_level.completion import FIM_FORMATS, MODES, complete, fill_in_middle
from tokkit.byte_level.distribution import EOS, ByteModel
from tokkit.byte_level.ensemble import MIXES, ensemble_generate
from tokkit.byte_level.lm import CausalLM
from tokkit.byte_level.sampling import SamplingOptions, generate_bytes

__all__ = [
    "EOS", "FIM_FORMATS", "MIXES", "MODES", "ByteModel", "CausalLM", "SamplingOptions", "complete", "ensemble_generate",
    "fill_in_middle", "generate_bytes",
]
