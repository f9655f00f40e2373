"""Transplant a pretrained causal LM onto a new tokenizer, and score LMs in bits per byte.

Needs the ``lm`` extra (torch, transformers). Modules, one idea each:
:mod:`~tokkit.transplant.correspondence` (tokens matched by bytes and role),
:mod:`~tokkit.transplant.aux_space` (the auxiliary embedding space),
:mod:`~tokkit.transplant.methods` (tokenadapt, local, global, mean, omp, random: a module each),
:mod:`~tokkit.transplant.tensor_ops` (the batched tensor operations the auxiliary space and the methods are built from),
:mod:`~tokkit.transplant.surgery` (new matrices into the model),
:mod:`~tokkit.transplant.pipeline` (the stages in order),
:mod:`~tokkit.transplant.models` (load and save models),
:mod:`~tokkit.transplant.scoring` (bits per byte).
"""
