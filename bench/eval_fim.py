"""Cut-prompt evaluation on HumanEval random-span infilling (light) with SmolLM2.

    TOKKIT_DATA_DIR=../shared/data TOKKIT_SMOLLM2=/path/SmolLM2-135M-Instruct.Q4_1.gguf \\
        python bench/eval_fim.py --tasks 50

Each task's full solution (prompt + middle + suffix) is cut at a random character offset
inside the middle (seeded), so the prompt usually ends mid-word. Two measures:

* bits per byte of the next 40 bytes of the true text: ``naive`` (tokenize the cut prompt,
  then score the canonical tokens of the continuation after it) against ``exact``
  (log P(prompt + continuation) - log P(prompt), both byte-level exact);
* exact match of a greedy completion of the current line, for ``naive``, ``heal``,
  ``boundary`` and ``exact``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import random
import time
from pathlib import Path

import torch

from tokkit.byte_level.completion import complete
from tokkit.byte_level.distribution import ByteModel
from tokkit.byte_level.lm import CausalLM
from tokkit.byte_level.sampling import SamplingOptions

DATA = "code/human-eval-infilling/HumanEval-RandomSpanInfillingLight.jsonl.gz"


def tasks(data_dir: Path, n: int, seed: int) -> list[tuple[bytes, bytes]]:
    """(cut prompt, true rest) pairs, the cut inside the middle span, at least 40 bytes left."""
    rows = [json.loads(line) for line in gzip.open(data_dir / DATA, "rt", encoding="utf-8")]
    rng = random.Random(seed)
    rng.shuffle(rows)
    out = []
    for row in rows:
        middle = row["canonical_solution"]
        if len(middle.strip()) < 4:
            continue
        cut = len(row["prompt"]) + rng.randrange(1, len(middle))
        full = row["prompt"] + middle + row["suffix"]
        prompt, rest = full[:cut].encode(), full[cut:].encode()
        if len(rest) >= 40 and prompt[-1:] not in (b"\n", b" "):
            out.append((prompt, rest))
        if len(out) == n:
            break
    return out


def naive_bits(bm: ByteModel, prompt: bytes, cont: bytes) -> float:
    """-log2 P(cont | prompt) scoring the continuation's own tokens after the prompt's."""
    ctx = bm.default_context() + bm.canonical.encode(prompt.decode())
    ids = bm.canonical.encode(cont.decode("utf-8", "ignore"))
    with torch.no_grad():
        logits = bm.lm.model(torch.tensor([ctx + ids])).logits[0].double()
    logprobs = torch.log_softmax(logits, -1)
    return -float(sum(logprobs[len(ctx) + k - 1, t] for k, t in enumerate(ids))) / math.log(2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=os.environ.get("TOKKIT_SMOLLM2"))
    parser.add_argument("--data", default=os.environ.get("TOKKIT_DATA_DIR", "../shared/data"))
    parser.add_argument("--tasks", type=int, default=50)
    parser.add_argument("--line-bytes", type=int, default=48)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    bm = ByteModel(CausalLM.load(args.model, device="cpu"))
    items = tasks(Path(args.data), args.tasks, args.seed)
    bits = {"naive": 0.0, "exact": 0.0}
    matches = {m: 0 for m in ("naive", "heal", "boundary", "exact")}
    seconds = {m: 0.0 for m in matches}
    total_bytes = 0
    for prompt, rest in items:
        cont = rest[:40]
        while True:  # whole characters only
            try:
                cont.decode()
                break
            except UnicodeDecodeError:
                cont = cont[:-1]
        total_bytes += len(cont)
        bits["naive"] += naive_bits(bm, prompt, cont)
        with_cont, alone = bm.logprob([prompt + cont, prompt])
        bits["exact"] += -(with_cont - alone) / math.log(2)
        line = rest.split(b"\n", 1)[0]
        options = SamplingOptions(max_bytes=args.line_bytes, stop=(b"\n",))
        for mode in matches:
            start = time.perf_counter()
            (out,) = complete(bm, [prompt], mode, options)
            seconds[mode] += time.perf_counter() - start
            matches[mode] += out == line[: args.line_bytes]
    print(json.dumps({
        "tasks": len(items), "scored_bytes": total_bytes,
        "bits_per_byte": {k: v / total_bytes for k, v in bits.items()},
        "line_exact_match": matches, "line_seconds": seconds,
    }, indent=2))


if __name__ == "__main__":
    main()
