"""Speed of byte-level generation against plain token generation, same model, same run.

    TOKKIT_SMOLLM2=/path/SmolLM2-135M-Instruct.Q4_1.gguf python bench/bench_byte_level.py [--bytes 64] [--device cuda]

Reports (one CPU thread; the machine may be shared, so read the ratios):
* plain ``model.generate`` (transformers, greedy, 128 new tokens): bytes/s;
* ``exact`` byte-by-byte greedy generation: bytes/s and forward passes per byte, with the
  default lookahead (``exact``) and without it (``exact_no_lookahead``), each on a fresh
  ByteModel (cold validity caches), then ``exact_warm``: the default again on the same one;
* naive per-byte recomputation (a fresh start on prompt + bytes so far, every byte): bytes/s;
* ``boundary`` mode (exact across the prompt boundary, then tokens) for 128 tokens, against
  plain token generation in the same KV-cache loop (``token_loop_128``) from the prompt's
  own tokens.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import torch

from tokkit.byte_level.completion import generate_tokens
from tokkit.byte_level.distribution import ByteModel
from tokkit.byte_level.sampling import SamplingOptions, generate_bytes

PROMPT = b'def fibonacci(n):\n    """Return the n-th Fibonacci number."""\n    if n < 2:\n        return n\n    return fibo'


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=os.environ.get("TOKKIT_SMOLLM2"))
    parser.add_argument("--bytes", type=int, default=64)
    parser.add_argument("--naive-bytes", type=int, default=6)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(1)
    bm = ByteModel.load(args.model, device=args.device)
    lm, tok = bm.lm, bm.tokenizer
    results: dict = {"model": args.model, "prompt_bytes": len(PROMPT)}

    ids = torch.tensor([bm.default_context() + tok.encode(PROMPT.decode())], device=lm.device)
    out, secs = timed(lambda: lm.model.generate(ids, max_new_tokens=args.tokens, min_new_tokens=args.tokens, do_sample=False))
    gen_bytes = len(bm.canonical.bytes_of(out[0, ids.shape[1]:].tolist()))
    results["generate"] = {"tokens": args.tokens, "bytes": gen_bytes, "seconds": secs, "bytes_per_s": gen_bytes / secs}

    # each variant on a fresh ByteModel (cold validity caches, as a one-off command has),
    # then the default once more on the same one (warm: what a long session sees)
    variants = [("exact_no_lookahead", ByteModel(lm, lookahead=0)), ("exact", ByteModel(lm)), ("exact_warm", None)]
    for key, fresh in variants:
        bm = fresh or bm
        before = lm.forward_calls
        (text,), secs = timed(lambda: generate_bytes(bm, [PROMPT], SamplingOptions(max_bytes=args.bytes)))
        forwards = lm.forward_calls - before
        results[key] = {"bytes": len(text), "seconds": secs, "bytes_per_s": len(text) / secs, "forwards_incl_prompt": forwards,
                        "text": text.decode("utf-8", "replace")}
        before = lm.forward_calls
        bm.start([PROMPT], absolute=False)
        prompt_forwards = lm.forward_calls - before
        results[key]["prompt_forwards"] = prompt_forwards
        results[key]["forwards_per_byte"] = (forwards - prompt_forwards) / max(len(text), 1)

    def naive_recompute():
        data = PROMPT
        for _ in range(args.naive_bytes):
            dist = bm.next_byte_logprobs(bm.start([data]))[0]
            data += bytes([int(np.argmax(dist[:256]))])
        return data[len(PROMPT):]

    naive, secs = timed(naive_recompute)
    results["naive_recompute"] = {"bytes": len(naive), "seconds": secs, "bytes_per_s": len(naive) / secs, "same_bytes_as_exact": text.startswith(naive)}

    many = SamplingOptions(max_bytes=10**6)
    rng = np.random.default_rng(0)
    plain, plain_s = timed(lambda: generate_tokens(bm, [bm.default_context() + tok.encode(PROMPT.decode())], many, [None], [b""], rng, max_tokens=args.tokens))

    def boundary():
        state = bm.start([PROMPT])[0]
        covers = state.tree.covers()
        best = max(covers, key=lambda c: c[1])[0]
        extra = bm.canonical.bytes_of(best)[len(bm.canonical.lead) + len(PROMPT):]
        return generate_tokens(bm, [list(state.context) + list(best)], many, [None], [extra], rng, max_tokens=args.tokens)

    bound, bound_s = timed(boundary)
    results["token_loop_128"] = {"seconds": plain_s, "bytes": len(plain[0])}
    results["boundary_128"] = {"seconds": bound_s, "bytes": len(bound[0]), "time_ratio_vs_token_loop": bound_s / plain_s}
    results["exact_vs_generate_speed_ratio"] = results["exact"]["bytes_per_s"] / results["generate"]["bytes_per_s"]
    for key in ("exact_no_lookahead", "exact_warm"):
        results[f"{key}_vs_generate_speed_ratio"] = results[key]["bytes_per_s"] / results["generate"]["bytes_per_s"]
    results["naive_recompute_vs_generate_speed_ratio"] = results["naive_recompute"]["bytes_per_s"] / results["generate"]["bytes_per_s"]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
