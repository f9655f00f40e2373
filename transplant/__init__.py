"""Transplant a pretrained causal LM onto a new tokenizer, and score LMs in bits per byte.

Needs the ``lm`` extra (torch, transformers). What a user calls is here::

    from tokkit.transplant import Settings, run, score_corpus

    summary = run("smollm2.gguf", "bpe32k/", "smol-bpe32k/", method="tokenadapt", settings=Settings(scale=1.0))
    summary = run("smollm2.gguf", "bpe32k/", "smol-learned/", learn="distill", learn_corpus="text:eng", learn_steps=40)
    print(summary.to_json())
    print(score_corpus("smol-bpe32k/", "flores200:devtest:eng_Latn", limit=120).bits_per_byte)

:func:`run` and :func:`score_corpus` take models, tokenizers and corpora by name and check
everything before the slow work; :func:`transplant` and :func:`score` work on a model and
tokenizers already loaded. Modules, one idea each:
:mod:`~tokkit.transplant.end_to_end` (the whole of a transplant or a score, from names on disk),
:mod:`~tokkit.transplant.correspondence` (tokens matched by bytes and role),
:mod:`~tokkit.transplant.aux_space` (the auxiliary embedding space),
:mod:`~tokkit.transplant.methods` (tokenadapt, local, global, mean, omp, random: a module each),
:mod:`~tokkit.transplant.tensor_ops` (the batched tensor operations the auxiliary space and the methods are built from),
:mod:`~tokkit.transplant.surgery` (new matrices into the model),
:mod:`~tokkit.transplant.learning` (the estimated rows learned afterwards: distill, tune: a module each),
:mod:`~tokkit.transplant.pipeline` (the stages in order),
:mod:`~tokkit.transplant.saving` (a folder transformers loads alone),
:mod:`~tokkit.transplant.scoring` (bits per byte).
Models are loaded by :mod:`tokkit.causal_lm`.
"""

from tokkit.transplant.end_to_end import Summary, run, score_corpus
from tokkit.transplant.learning import LEARNERS, Learned, LearnSettings
from tokkit.transplant.methods import METHODS, Method, Settings, get_method
from tokkit.transplant.pipeline import Result, transplant
from tokkit.transplant.saving import save
from tokkit.transplant.scoring import Score, score

__all__ = ["LEARNERS", "METHODS", "Learned", "LearnSettings", "Method", "Result", "Score", "Settings", "Summary", "get_method", "run", "save", "score",
           "score_corpus", "transplant"]
