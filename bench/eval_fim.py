"""Cut-prompt evaluation on HumanEval random-span infilling with SmolLM2.

    TOKKIT_DATA_DIR=../shared/data TOKKIT_SMOLLM2=/path/SmolLM2-135M-Instruct.Q4_1.gguf \\
        python bench/eval_fim.py --tasks 50 [--cut mid-word|any|span] [--batch 1] [--details FILE]

Each task's full solution (prompt + middle + suffix) is cut at a random character offset
inside the middle (seeded): with ``--cut mid-word`` (the default, the kind of task the
issue's ByteSampler numbers come from) only between two word characters (``[A-Za-z0-9_]``),
so the prompt ends inside an identifier or a number; with ``--cut any`` anywhere except
right after a space or a newline. ``--cut span`` takes the cut from the data instead: the
tasks of the full HumanEval-RandomSpanInfilling set (1,640, ten random spans per problem)
whose span starts between two word characters (510), cut where the span starts, in a
seeded order. Measures, one CPU thread:

* bits per byte of the next 40 bytes of the true text: ``naive`` (tokenize the cut prompt,
  then score the canonical tokens of the continuation after it) against ``exact``
  (log P(prompt + continuation) - log P(prompt), both byte-level exact);
* exact match of a greedy completion of the current line, for ``naive``, ``heal``,
  ``boundary`` and ``exact``, and each mode's bytes per second over all tasks;
* speed, both from the cut prompt, prompt reading included, in batches of ``--batch``:
  plain ``model.generate`` (transformers, greedy, ``--generate-tokens`` new tokens from the
  naive tokenization) against ``exact`` greedy generation of ``--speed-bytes`` bytes
  without stopping (``exact_vs_generate``, bytes per second over bytes per second; the
  line completions stop early, so their own timings mostly measure reading the prompt).

``--time-limit`` starts no new batch after that many seconds; ``tasks`` says how many ran.
``--details FILE`` writes one JSON line per task: the prompt's last line, the true rest of
the line and each mode's completion (the line matches are counted from these).
``--no-speed`` skips the free-running speed runs (``--tasks 164`` then scores every task
that has a mid-word cut with 40 bytes after it: 103).
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
from tokkit.byte_level.sampling import SamplingOptions

DATA = "code/human-eval-infilling/HumanEval-RandomSpanInfillingLight.jsonl.gz"
SPANS = "code/human-eval-infilling/HumanEval-RandomSpanInfilling.jsonl.gz"


WORD = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def tasks(data_dir: Path, n: int, seed: int, cut: str = "mid-word") -> list[tuple[bytes, bytes]]:
    """(cut prompt, true rest) pairs, the cut inside the middle span (``span``: where it
    starts), at least 40 bytes left."""
    rows = [json.loads(line) for line in gzip.open(data_dir / (SPANS if cut == "span" else DATA), "rt", encoding="utf-8")]
    rng = random.Random(seed)
    rng.shuffle(rows)
    out = []
    for row in rows:
        middle = row["canonical_solution"]
        if cut != "span" and len(middle.strip()) < 4:  # room to choose a cut in
            continue
        full = (row["prompt"] + middle + row["suffix"]).encode()
        start, end = len(row["prompt"].encode()), len(row["prompt"].encode()) + len(middle.encode())
        if cut == "span":
            offsets = [start] if 0 < start < len(full) and full[start - 1] in WORD and full[start] in WORD else []
        elif cut == "mid-word":
            offsets = [k for k in range(start + 1, end) if full[k - 1] in WORD and full[k] in WORD]
        else:
            offsets = [k for k in range(start + 1, end) if full[k - 1 : k] not in (b"\n", b" ") and (full[k] & 0xC0) != 0x80]
        if not offsets:
            continue
        k = rng.choice(offsets)
        if len(full) - k >= 40:
            out.append((full[:k], full[k:]))
        if len(out) == n:
            break
    return out


def naive_bits(bm: ByteModel, prompt: bytes, cont: bytes) -> float:
    """-log2 P(cont | prompt) scoring the continuation's own tokens after the prompt's."""
    ctx = bm.default_context() + bm.canonical.encode(prompt.decode())
    ids = bm.canonical.encode(cont.decode("utf-8", "ignore"))
    with torch.no_grad():
        logits = bm.lm.model(torch.tensor([ctx + ids], device=bm.lm.device)).logits[0].double()
    logprobs = torch.log_softmax(logits, -1)
    return -float(sum(logprobs[len(ctx) + k - 1, t] for k, t in enumerate(ids))) / math.log(2)


def plain_generate(bm: ByteModel, prompts: list[bytes], tokens: int) -> int:
    """Greedy ``model.generate`` of ``tokens`` new tokens after each prompt's naive
    tokenization (a batch, left-padded); returns the number of bytes generated."""
    rows = [bm.default_context() + bm.canonical.encode(p.decode()) for p in prompts]
    width = max(len(r) for r in rows)
    pad = bm.tokenizer.specials.eos
    ids = torch.tensor([[pad] * (width - len(r)) + r for r in rows])
    mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows])
    ids, mask = ids.to(bm.lm.device), mask.to(bm.lm.device)
    out = bm.lm.model.generate(ids, attention_mask=mask, max_new_tokens=tokens, min_new_tokens=tokens, do_sample=False, pad_token_id=pad)
    return sum(len(bm.canonical.bytes_of(row[width:].tolist())) for row in out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=os.environ.get("TOKKIT_SMOLLM2"))
    parser.add_argument("--data", default=os.environ.get("TOKKIT_DATA_DIR", "../shared/data"))
    parser.add_argument("--tasks", type=int, default=50)
    parser.add_argument("--cut", choices=("mid-word", "any", "span"), default="mid-word")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--line-bytes", type=int, default=48)
    parser.add_argument("--generate-tokens", type=int, default=16)
    parser.add_argument("--speed-bytes", type=int, default=48)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--time-limit", type=float, default=None, help="start no task after this many seconds (report those done)")
    parser.add_argument("--no-speed", action="store_true", help="skip the free-running speed runs (line completions and bits only)")
    parser.add_argument("--details", type=Path, help="write one JSON line per task: prompt tail, true line, each mode's completion")
    args = parser.parse_args()
    torch.set_num_threads(1)
    bm = ByteModel.load(args.model, device=args.device)
    items = tasks(Path(args.data), args.tasks, args.seed, args.cut)
    bits = {"naive": 0.0, "exact": 0.0}
    modes = ("naive", "heal", "boundary", "exact")
    matches = {m: 0 for m in modes}
    seconds = {m: 0.0 for m in modes + ("generate", "exact_free")}
    produced = {m: 0 for m in modes + ("generate", "exact_free")}
    total_bytes, done, began = 0, 0, time.perf_counter()
    rows = []
    options = SamplingOptions(max_bytes=args.line_bytes, stop=(b"\n",))
    for at in range(0, len(items), args.batch):
        if args.time_limit and time.perf_counter() - began > args.time_limit:
            break
        batch = items[at : at + args.batch]
        for prompt, rest in batch:
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
        prompts = [p for p, _ in batch]
        if not args.no_speed:
            start = time.perf_counter()
            produced["generate"] += plain_generate(bm, prompts, args.generate_tokens)
            seconds["generate"] += time.perf_counter() - start
            start = time.perf_counter()
            produced["exact_free"] += sum(map(len, complete(bm, prompts, "exact", SamplingOptions(max_bytes=args.speed_bytes))))
            seconds["exact_free"] += time.perf_counter() - start
        lines = [rest.split(b"\n", 1)[0][: args.line_bytes] for _, rest in batch]
        rows += [{"prompt_tail": p.rsplit(b"\n", 1)[-1].decode("utf-8", "replace"), "line": line.decode("utf-8", "replace")}
                 for p, line in zip(prompts, lines)]
        for mode in modes:
            start = time.perf_counter()
            outs = complete(bm, prompts, mode, options)
            seconds[mode] += time.perf_counter() - start
            for row, out, line in zip(rows[done:], outs, lines):
                matches[mode] += out == line
                produced[mode] += len(out)
                row[mode] = out.decode("utf-8", "replace")
        done += len(batch)
    if args.details:
        args.details.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    speed = {m: produced[m] / seconds[m] for m in seconds if seconds[m]}
    print(json.dumps({
        "tasks": done, "cut": args.cut, "batch": args.batch, "device": str(bm.lm.device),
        "scored_bytes": total_bytes,
        "bits_per_byte": {k: v / total_bytes for k, v in bits.items()},
        "line_exact_match": matches, "seconds": seconds, "bytes": produced, "bytes_per_s": speed,
        "exact_vs_generate": speed["exact_free"] / speed["generate"] if "generate" in speed else None,
    }, indent=2))


if __name__ == "__main__":
    main()
