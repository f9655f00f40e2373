"""Byte-level probabilities on the real SmolLM2-135M (GGUF), against brute force.

The model runs in float32, so agreement is to 1e-4 here; the 1e-6 exactness target is
tested in float64 on the tiny models of test_byte_level_exact.py."""

from __future__ import annotations

import os

import numpy as np
import pytest

pytest.importorskip("torch")
pytestmark = pytest.mark.smollm2

from test_byte_level_exact import brute_logprob  # noqa: E402


@pytest.fixture(scope="session")
def smollm2():
    path = os.environ.get("TOKKIT_SMOLLM2")
    if not path:
        pytest.skip("TOKKIT_SMOLLM2 is not set to the SmolLM2-135M GGUF file")
    import torch

    from tokkit.byte_level.distribution import ByteModel

    torch.set_num_threads(1)
    return ByteModel.load(path, device="cpu")


@pytest.mark.parametrize("prompt", [b"print(sel", b"x = 12", b"Hello wo"], ids=repr)
def test_prefix_logprob_matches_brute_force(smollm2, prompt):
    (exact,) = smollm2.logprob([prompt])
    assert abs(exact - brute_logprob(smollm2, prompt)) <= 1e-4


def test_next_bytes_on_code(smollm2):
    prompts = [b"def fibonacci(n):\n    return fibo", b"import numpy as n"]
    batched = smollm2.next_byte_logprobs(smollm2.start(prompts))
    assert np.allclose(np.exp(batched).sum(axis=1), 1)
    assert bytes([int(np.argmax(batched[0]))]) == b"n"
    assert bytes([int(np.argmax(batched[1]))]) == b"p"
    for prompt, row in zip(prompts, batched):
        (single,) = smollm2.next_byte_logprobs(smollm2.start([prompt]))
        assert np.allclose(np.exp(single), np.exp(row), atol=1e-5)
