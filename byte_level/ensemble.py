"""Ensembles of models with different tokenizers, at the byte level (Phan et al. 2024).

Token distributions of models with different vocabularies cannot be combined, but their
exact next-byte distributions (256 bytes + end of text) can: every member gives a
distribution over the same 257 outcomes for the same text. ``mixture`` averages the
probabilities (weights ``w_i``); ``product`` multiplies them, ``p ∝ Π p_i^{w_i}``, and
renormalises (a product of experts: only bytes every model accepts survive).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from tokkit.byte_level.distribution import EOS, ByteModel
from tokkit.byte_level.sampling import SamplingOptions, choose, cut_at_stop
from tokkit.checks import check_choice, check_number
from tokkit.errors import InvalidValue, TokkitError

MIXES = ("mixture", "product")


def check_ensemble(members: int, mix: str, weights: Sequence[float] | None) -> list[float]:
    """The weights (default: equal) after checking an ensemble of ``members`` models:
    at least two, a known mix, one positive weight per member."""
    if members < 2:
        raise InvalidValue("model", f"needs at least two members for an ensemble, not {members}")
    check_choice("mix", mix, MIXES)
    if weights is None or not len(weights):
        return [1.0] * members
    if len(weights) != members:
        raise InvalidValue("weight", f"needs one value per model ({members}) or none, not {len(weights)}")
    return [check_number("weight", w, above=0) for w in weights]


def combine(logprobs: Sequence[np.ndarray], mix: str, weights: Sequence[float]) -> np.ndarray:
    """One normalised 257-outcome log-distribution from the members' ones."""
    check_choice("mix", mix, MIXES)
    w = np.asarray(weights, dtype=np.float64)
    stack = np.stack(logprobs)
    if mix == "mixture":
        with np.errstate(divide="ignore"):
            out = np.logaddexp.reduce(stack + np.log(w / w.sum())[:, None], axis=0)
    else:
        out = np.sum(np.where(np.isfinite(stack), stack * w[:, None], -np.inf), axis=0)
    total = np.logaddexp.reduce(out)
    if not np.isfinite(total):
        raise TokkitError("the models agree on no next byte: their product is empty")
    return out - total


def ensemble_generate(models: Sequence[ByteModel], prompt: bytes, mix: str, options: SamplingOptions, weights=None) -> bytes:
    """Continue ``prompt`` byte by byte from the combined distribution of ``models``."""
    weights = check_ensemble(len(models), mix, weights)
    rng = np.random.default_rng(options.seed)
    states = [m.start([prompt], absolute=False)[0] for m in models]
    for member, state in zip(models, states):
        member.check_room(member.most_tokens(state), options.max_bytes)
    out = bytearray()
    while len(out) < options.max_bytes and not cut_at_stop(bytes(out), options.stop)[1]:
        dist = combine([m.next_byte_logprobs([s])[0] for m, s in zip(models, states)], mix, weights)
        pick = choose(dist, options, rng)
        if pick == EOS:
            break
        out.append(pick)
        for m, s in zip(models, states):
            m.push([s], [pick])
    return cut_at_stop(bytes(out), options.stop)[0]
