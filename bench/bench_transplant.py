"""Transplant benchmark and evaluation on SmolLM2-135M (issue 5's targets).

  /work/venv/bin/python bench/bench_transplant.py --model $TOKKIT_SMOLLM2 \
      --data $TOKKIT_DATA_DIR [--aux-model DIR] [--threads 2] [--json out.json]

Parts, each printed as it finishes:

1. *speed*: the transplant compute for SmolLM2 onto a BPE of 32,000 trained by tokkit on
   text/eng (matching, the method, surgery; model load/save and auxiliary encoding
   excluded), tokenadapt in the model's own space, against a per-token loop with one
   nearest-neighbour query per token (the reference's shape), timed in the same run on a
   sample of tokens and extrapolated linearly to all of them.
2. *identity*: SmolLM2 transplanted onto its own tokenizer; bits per byte against base.
3. *leave-K-out*: K leaf tokens (no merge uses them) removed from SmolLM2's tokenizer
   (vocabulary entries and the merges that make them) and from the model; each method
   re-estimates their rows; mean cosine to the true rows and bits per byte.
4. *zero-shot*: SmolLM2 onto the BPE 32k, every method side by side, in the model's own
   space and (with --aux-model) in an encoder's space, scored on the first 120 lines of
   FLORES-200 eng_Latn devtest, each line after ``<|endoftext|>``.
5. *end to end* (with --aux-model): ``tokkit transplant`` as a subprocess with a cold
   auxiliary cache, and again warm.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

import tokkit
from tokkit.corpora import open_corpus
from tokkit.transplant import aux_space, methods, models, pipeline, scoring, surgery

METHODS = ["tokenadapt", "local", "global", "mean", "omp", "random"]


def per_token_loop(problem: methods.Problem, matrix: torch.Tensor, settings: methods.Settings, sample: int) -> float:
    """Seconds per token of a plain loop: local heuristic + one kNN query per token."""
    old_aux = torch.nn.functional.normalize(problem.aux.old.float(), dim=-1)
    new_aux = torch.nn.functional.normalize(problem.aux.new.float(), dim=-1)
    allowed = problem.candidates
    fallback = matrix[allowed].mean(0)
    clock = time.perf_counter()
    for j in range(min(sample, len(problem.pieces))):
        pieces = problem.pieces[j]
        row = fallback
        if pieces:
            sims = old_aux[pieces] @ new_aux[j]
            share = torch.tensor(problem.piece_share[j])
            w = torch.softmax((sims + share) / 2 / settings.temperature, 0)
            row = w @ matrix[pieces]
        scores = old_aux @ new_aux[j]
        scores[~allowed] = -float("inf")
        top = scores.topk(settings.top_k)
        keep = top.values >= settings.threshold
        if keep.any():
            w = torch.softmax(top.values[keep] / settings.temperature, 0)
            row = (1 - settings.weight) * row + settings.weight * (w @ matrix[top.indices[keep]])
    return (time.perf_counter() - clock) / min(sample, len(problem.pieces))


def leave_k_out(tok, k: int, seed: int = 0):
    """SmolLM2's tokenizer without ``k`` leaf tokens; returns (reduced tokenizer, removed ids, kept ids)."""
    from tokenizers import Tokenizer as RustTokenizer

    from tokkit.backends.hf import HFTokenizer

    config = json.loads(tok.backend.to_str())
    model = config["model"]
    merges = [m.split(" ") if isinstance(m, str) else m for m in model["merges"]]
    used = {part for merge in merges for part in merge}
    special = {t["content"] for t in config["added_tokens"]}
    leaves = sorted(t for t in model["vocab"] if t not in used and t not in special and len(t) > 1)
    removed = set(random.Random(seed).sample(leaves, k))
    kept_tokens = [t for t, _ in sorted(model["vocab"].items(), key=lambda kv: kv[1]) if t not in removed]
    new_id = {t: i for i, t in enumerate(kept_tokens)}
    model["vocab"] = new_id
    model["merges"] = [m for m in merges if "".join(m) not in removed]
    for added in config["added_tokens"]:
        added["id"] = new_id[added["content"]]
    reduced = HFTokenizer(RustTokenizer.from_str(json.dumps(config)), name=f"{tok.name} minus {k}",
                          specials=tokkit.SpecialTokens(**{r: new_id[tok.id_to_token(i)] for r, i in tok.specials.items()}))
    removed_ids = sorted(tok.token_to_id(t) for t in removed)
    kept_ids = [tok.token_to_id(t) for t in kept_tokens]
    return reduced, removed_ids, kept_ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=os.environ.get("TOKKIT_SMOLLM2"))
    parser.add_argument("--data", default=os.environ.get("TOKKIT_DATA_DIR", "/work/shared/data"))
    parser.add_argument("--aux-model", default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--lines", type=int, default=120)
    parser.add_argument("--leave-out", type=int, default=1000)
    parser.add_argument("--loop-sample", type=int, default=300)
    parser.add_argument("--parts", default="speed,identity,leave,zero,e2e")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    parts = set(args.parts.split(","))
    report: dict = {"threads": args.threads}

    def show(key, value):
        report[key] = value
        print(f"{key}: {json.dumps(value)}", flush=True)

    work = Path(tempfile.mkdtemp(prefix="bench-transplant-"))
    clock = time.perf_counter()
    base = models.load_model(args.model)
    old = models.load_model_tokenizer(args.model)
    show("load_model_seconds", round(time.perf_counter() - clock, 2))
    clock = time.perf_counter()
    corpus = open_corpus(str(Path(args.data) / "text/eng/train.txt"))
    new = tokkit.train("bpe", corpus, 32000)[32000]
    new.save(work / "bpe32k")
    show("train_bpe32k_seconds", round(time.perf_counter() - clock, 2))
    flores = Path(args.data) / "flores200/devtest/eng_Latn.txt"
    lines = [line for line in flores.read_text(encoding="utf-8").splitlines() if line.strip()][: args.lines]

    base_score = scoring.score(base, old, lines)
    show("base", base_score.to_json())

    def run(method: str, new_tok, encoder=None, settings=None):
        model = copy.deepcopy(base)
        clock = time.perf_counter()
        result = pipeline.transplant(model, old, new_tok, methods.get_method(method, settings), encoder)
        return model, result, time.perf_counter() - clock

    if "speed" in parts:
        settings = methods.Settings()
        seconds: dict = {}
        matrix = base.get_input_embeddings().weight.detach().clone()
        model = copy.deepcopy(base)
        clock = time.perf_counter()
        corr, rows, problem = pipeline.estimate_rows(model, old, new, methods.TokenAdapt(settings), seconds=seconds)
        surgery.apply(model, corr, rows, new, problem.candidates)
        batched = time.perf_counter() - clock
        per_token = per_token_loop(problem, matrix, settings, args.loop_sample)
        loop_total = per_token * len(problem.pieces)
        show("speed", {"tokens_estimated": len(problem.pieces), "batched_seconds": round(batched, 2), "stages": {k: round(v, 2) for k, v in seconds.items()},
                       "per_token_loop_ms": round(per_token * 1000, 2), "per_token_loop_sample": args.loop_sample,
                       "per_token_loop_extrapolated_seconds": round(loop_total, 1), "speedup": round(loop_total / batched, 1)})

    if "identity" in parts:
        model, result, elapsed = run("tokenadapt", old)
        same = scoring.score(model, old, lines)
        show("identity", {"bits_per_byte": same.bits_per_byte, "base": base_score.bits_per_byte,
                          "difference": abs(same.bits_per_byte - base_score.bits_per_byte), "counts": result.counts})

    if "leave" in parts:
        reduced, removed, kept = leave_k_out(old, args.leave_out)
        small = copy.deepcopy(base)
        true_rows = base.get_input_embeddings().weight.detach().clone()
        small.resize_token_embeddings(len(kept), mean_resizing=False)
        with torch.no_grad():
            small.get_input_embeddings().weight.copy_(true_rows[kept])
        out = {}
        for method in METHODS:
            model = copy.deepcopy(small)
            pipeline.transplant(model, reduced, old, methods.get_method(method))
            got = model.get_input_embeddings().weight.detach()[removed]
            cosine = torch.nn.functional.cosine_similarity(got, true_rows[removed], dim=-1).mean().item()
            centre = true_rows[kept].mean(0)  # the rows share a large common component; without it:
            centred = torch.nn.functional.cosine_similarity(got - centre, true_rows[removed] - centre, dim=-1).mean().item()
            bpb = scoring.score(model, old, lines).bits_per_byte
            out[method] = {"cosine": round(cosine, 4), "centred_cosine": round(centred, 4), "bits_per_byte": round(bpb, 4)}
            print(f"  leave-{args.leave_out}-out {method}: {out[method]}", flush=True)
        show("leave_k_out", {"k": args.leave_out, "base_bits_per_byte": base_score.bits_per_byte, "methods": out})

    if "zero" in parts:
        spaces = {"own": None}
        if args.aux_model:
            spaces["encoder"] = aux_space.Encoder(args.aux_model, cache_dir=work / "cache")
        out = {}
        runs = [(m, space, 0.9) for space in spaces for m in METHODS if space == "own" or m not in ("mean", "random")]
        runs += [(m, space, 1.0) for space in spaces for m in ("tokenadapt", "local", "mean") if space == "own" or m != "mean"]
        for method, space, scale in runs:
            model, result, elapsed = run(method, new, spaces[space], methods.Settings(scale=scale))
            s = scoring.score(model, new, lines)
            key = f"{method}@{space}" + ("" if scale == 0.9 else f"@scale{scale}")
            out[key] = {"bits_per_byte": round(s.bits_per_byte, 4), "token_perplexity": round(s.token_perplexity, 2), "tokens": s.tokens,
                        "transplant_seconds": round(elapsed, 2), "stages": {k: round(v, 2) for k, v in result.seconds.items()}, "counts": result.counts}
            print(f"  zero-shot {key}: {out[key]}", flush=True)
        show("zero_shot", {"lines": len(lines), "base_bits_per_byte": base_score.bits_per_byte, "methods": out})

    if "e2e" in parts and args.aux_model:
        env = dict(os.environ, TOKKIT_CACHE_DIR=str(work / "e2e-cache"), OMP_NUM_THREADS=str(args.threads))
        timings = {}
        for label in ("cold", "warm"):
            clock = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "tokkit.cli", "transplant", "--model", args.model, "--tokenizer", str(work / "bpe32k"),
                                   "--out", str(work / f"e2e-{label}"), "--aux-model", args.aux_model, "--device", "cpu",
                                   "--json", str(work / f"e2e-{label}.json")], env=env, capture_output=True, text=True)
            timings[label] = round(time.perf_counter() - clock, 1)
            if done.returncode != 0:
                print(done.stderr[-2000:])
            timings[f"{label}_stages"] = json.loads((work / f"e2e-{label}.json").read_text())["seconds"] if done.returncode == 0 else None
        show("end_to_end", {**timings, "reference_seconds": 224, "speedup_cold": round(224 / timings["cold"], 2)})

    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
