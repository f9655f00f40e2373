"""Transplant benchmark and evaluation on SmolLM2-135M, against the reference TokenAdapt figures.

  /work/venv/bin/python bench/bench_transplant.py --model $TOKKIT_SMOLLM2 \
      --data $TOKKIT_DATA_DIR [--lang eng|tur] [--aux-model DIR] [--threads 2] [--json out.json]

``--lang`` picks the language of the tokkit tokenizers and of the FLORES-200 text:
``eng`` (default) trains a BPE of 32,000 on text/eng and scores eng_Latn; ``tur`` trains a
BPE of 32,000 on text/tur and also the morphological hybrid of 32,000
(``tokkit train hybrid``), and scores tur_Latn. Every score is reported in three
conventions: ``bits_per_byte`` (each line alone, every token scored: tokkit's),
``first_unscored`` (the same forward pass, each line's first token left out of the bits)
and ``stream`` (the lines read as one text, each after ``<|endoftext|>``: the setting of
the reference TokenAdapt figures; see :mod:`tokkit.transplant.scoring`).

The hybrid and byte matching. For a shared allomorph id (``+lAr`` stands for ``lar`` and
``ler``) ``token_bytes`` gives the canonical spelling (``lar``), for a root its dictionary
form, for a case marker ``b""``. The transplant matches and decomposes by those bytes, so
such an id takes the row of its canonical spelling (``ler`` gets ``lar``'s row) and case
markers are placed by the method from nothing but their neighbours: an approximation of
the *initialisation*, not of the score. The score stays exact: the hybrid is lossless
(``decode(encode(x)) == x``) and bits are divided by the text's own UTF-8 bytes.

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
4. *zero-shot*: SmolLM2 onto each tokkit tokenizer, every method side by side, in the
   model's own space and (with --aux-model) in an encoder's space, scored on the first
   120 lines of FLORES-200 devtest, each line after ``<|endoftext|>``.
5. *end to end* (with --aux-model): ``tokkit transplant`` as a subprocess with a cold
   auxiliary cache, and again warm.
6. *tune* (``--parts tune``): tokenadapt's temperature, top-k and global weight, one at a
   time around the defaults (in the encoder's space with --aux-model, else the model's
   own), and mean, on the first 120 lines of FLORES-200 *dev* onto the BPE 32k; the
   setting best on dev is then scored on devtest beside mean.
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
from tokkit.causal_lm import load_causal_lm, load_lm_tokenizer
from tokkit.transplant import aux_space, methods, pipeline, scoring, surgery

METHODS = ["tokenadapt", "local", "global", "mean", "omp", "random"]
#: --lang: (training text under the data folder, FLORES-200 code)
LANGS = {"eng": ("text/eng/train.txt", "eng_Latn"), "tur": ("text/tur/train.txt", "tur_Latn")}
#: the tune part's one-at-a-time sweep around TokenAdapt's defaults (T 0.3, k 3, w 0.3)
SWEEP = {"temperature": [0.1, 1.0], "top_k": [1, 8], "weight": [0.0, 0.5, 0.7]}


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
    parser.add_argument("--lang", choices=sorted(LANGS), default="eng")
    parser.add_argument("--aux-model", default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--lines", type=int, default=120)
    parser.add_argument("--leave-out", type=int, default=1000)
    parser.add_argument("--scales", default="0.9,1.0", help="zero-shot: the estimate scales to run (1.0: the methods as published)")
    parser.add_argument("--loop-sample", type=int, default=300)
    parser.add_argument("--parts", default="speed,identity,leave,zero,e2e", help="any of speed,identity,leave,zero,e2e,tune")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    parts = set(args.parts.split(","))
    report: dict = {"threads": args.threads, "lang": args.lang}

    def show(key, value):
        report[key] = value
        print(f"{key}: {json.dumps(value)}", flush=True)

    work = Path(tempfile.mkdtemp(prefix="bench-transplant-"))
    clock = time.perf_counter()
    base = load_causal_lm(args.model, device="cpu")
    old = load_lm_tokenizer(args.model)
    show("load_model_seconds", round(time.perf_counter() - clock, 2))
    clock = time.perf_counter()
    text, code = LANGS[args.lang]
    corpus = open_corpus(str(Path(args.data) / text))
    new = tokkit.train("bpe", corpus, 32000)[32000]
    new.save(work / "bpe32k")
    show("train_bpe32k_seconds", round(time.perf_counter() - clock, 2))
    targets = {"bpe32k": new}
    if args.lang == "tur":
        clock = time.perf_counter()
        targets["hybrid32k"] = tokkit.train("hybrid", corpus, 32000)[32000]
        show("train_hybrid32k_seconds", round(time.perf_counter() - clock, 2))

    def flores(split: str) -> list[str]:
        path = Path(args.data) / f"flores200/{split}/{code}.txt"
        return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()][: args.lines]

    lines = flores("devtest")

    def both(s: scoring.Score, stream: scoring.Score) -> dict:
        """A score in every convention: lines alone (every token; first token of each line
        unscored) and the lines as one stream (the reference's)."""
        return {"bits_per_byte": round(s.bits_per_byte, 4), "first_unscored": round(s.bits_per_byte_first_unscored(), 4),
                "stream": round(stream.bits_per_byte, 4), "token_perplexity": round(s.token_perplexity, 2), "tokens": s.tokens}

    def scores(model, tok, text) -> dict:
        return both(scoring.score(model, tok, text), scoring.score(model, tok, text, stream=True))

    base_score = scoring.score(base, old, lines)
    base_row = both(base_score, scoring.score(base, old, lines, stream=True))
    show("base", {**base_row, "bytes": base_score.bytes, "lines": len(lines), "flores": f"devtest/{code}"})

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

    spaces = {"own": None}
    if args.aux_model and parts & {"zero", "tune"}:
        spaces["encoder"] = aux_space.Encoder(args.aux_model, cache_dir=work / "cache")

    scored: dict = {}  # (tokenizer, method, space, settings, split) -> scores: the tune part reuses zero-shot runs

    def transplant_and_score(name: str, method: str, space: str, settings: methods.Settings, split: str, text: list[str]) -> dict:
        key = (name, method, "own" if method in ("mean", "random") else space, repr(settings), split)
        if key not in scored:
            model, result, elapsed = run(method, targets[name], spaces[key[2]], settings)
            scored[key] = {**scores(model, targets[name], text), "transplant_seconds": round(elapsed, 2),
                           "stages": {k: round(v, 2) for k, v in result.seconds.items()}, "counts": result.counts}
        return scored[key]

    if "zero" in parts:
        scales = [float(x) for x in args.scales.split(",")]
        for name in targets:
            out = {}
            runs = [(m, space, scale) for scale in scales for space in spaces for m in METHODS
                    if (space == "own" or m not in ("mean", "random")) and (scale == 0.9 or m in ("tokenadapt", "local", "mean"))]
            for method, space, scale in runs:
                key = f"{method}@{space}" + ("" if scale == 0.9 else f"@scale{scale}")
                out[key] = transplant_and_score(name, method, space, methods.Settings(scale=scale), "devtest", lines)
                print(f"  zero-shot {name} {key}: {out[key]}", flush=True)
            show(f"zero_shot_{name}", {"lines": len(lines), "base": base_row, "methods": out})

    if "tune" in parts:
        space = "encoder" if "encoder" in spaces else "own"
        dev = flores("dev")
        settings = [("defaults", methods.Settings())]
        settings += [(f"{field}={value}", methods.Settings(**{field: value})) for field, values in SWEEP.items() for value in values]
        out = {}
        for label, chosen in [("mean", methods.Settings())] + settings:
            out[label] = transplant_and_score("bpe32k", "mean" if label == "mean" else "tokenadapt", space, chosen, "dev", dev)
            print(f"  dev {label}: {out[label]}", flush=True)
        best = min((label for label, _ in settings), key=lambda label: out[label]["bits_per_byte"])
        test = {"mean": transplant_and_score("bpe32k", "mean", space, methods.Settings(), "devtest", lines),
                "tokenadapt defaults": transplant_and_score("bpe32k", "tokenadapt", space, methods.Settings(), "devtest", lines),
                f"tokenadapt {best}": transplant_and_score("bpe32k", "tokenadapt", space, dict(settings)[best], "devtest", lines)}
        show("tune", {"space": space, "dev_lines": len(dev), "dev": out, "best_on_dev": best, "devtest": test})

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
