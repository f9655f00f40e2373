"""Choosing outcomes: greedy, temperature and top-p (nucleus, Holtzman et al. 2020) over a
log-probability vector, and the byte-by-byte generation loop over a batch of prompts.

Byte-level generation (Hayase et al., "Sampling from Your Language Model One Byte at a
Time") draws each byte from the exact next-byte distribution of
:class:`~tokkit.byte_level.distribution.ByteModel` (256 bytes + end of text) and appends
it, which costs at most one batched forward per byte for the whole batch. Temperature and
top-p act on that byte distribution. Generation of a prompt stops at end of text, at a
stop string, or after ``max_bytes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from tokkit.checks import check_number
from tokkit.errors import InvalidValue


@dataclass(frozen=True)
class SamplingOptions:
    """``temperature`` 0 is greedy; ``top_p`` keeps the smallest set of outcomes whose
    probability reaches it; ``stop`` strings end a completion (and are cut off)."""

    max_bytes: int = 64
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0
    stop: tuple[bytes, ...] = ()

    def __post_init__(self):
        check_number("max_bytes", self.max_bytes, at_least=1, whole=True)
        check_number("temperature", self.temperature, at_least=0)
        check_number("top_p", self.top_p, above=0, at_most=1)
        check_number("seed", self.seed, whole=True, at_least=0)  # numpy's generators take no negative seed
        if self.temperature == 0 and self.top_p < 1:
            raise InvalidValue("top_p", "needs a temperature above 0 (temperature 0 is greedy)")
        if any(not s for s in self.stop):
            raise InvalidValue("stop", "cannot be an empty string")


def choose(logprobs: np.ndarray, options: SamplingOptions, rng: np.random.Generator) -> int:
    """An index drawn from ``logprobs`` as ``options`` say (argmax when greedy)."""
    if options.temperature == 0:
        return int(np.argmax(logprobs))
    scaled = logprobs / options.temperature
    probs = np.exp(scaled - np.max(scaled))
    probs /= probs.sum()
    if options.top_p < 1:
        order = np.argsort(-probs)
        keep = order[: int(np.searchsorted(np.cumsum(probs[order]), options.top_p) + 1)]
        mask = np.zeros_like(probs)
        mask[keep] = probs[keep]
        probs = mask / mask.sum()
    return int(rng.choice(len(probs), p=probs))


def cut_at_stop(data: bytes, stop: Sequence[bytes]) -> tuple[bytes, bool]:
    """``data`` up to the first stop string, and whether one was found."""
    hits = [data.find(s) for s in stop if s in data]
    return (data[: min(hits)], True) if hits else (data, False)


def generate_bytes(byte_model, prompts: Sequence[bytes], options: SamplingOptions, contexts=None) -> list[bytes]:
    """Continue every prompt byte by byte (``exact`` mode); returns the new bytes."""
    from tokkit.byte_level.distribution import EOS

    rng = np.random.default_rng(options.seed)
    states = byte_model.start(prompts, contexts, absolute=False)
    byte_model.check_room(max(map(byte_model.most_tokens, states)), options.max_bytes)
    out = [bytearray() for _ in prompts]
    active = list(range(len(prompts)))
    while active:
        dists = byte_model.next_byte_logprobs([states[i] for i in active])
        values: list[int | None] = [None] * len(states)
        for row, i in enumerate(active):
            pick = choose(dists[row], options, rng)
            if pick != EOS:
                out[i].append(pick)
                values[i] = pick
        byte_model.push(states, values)
        active = [i for i in active if values[i] is not None and len(out[i]) < options.max_bytes and not cut_at_stop(bytes(out[i]), options.stop)[1]]
    return [cut_at_stop(bytes(o), options.stop)[0] for o in out]
