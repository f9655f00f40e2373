"""Learning the transplanted rows (``--learn distill|tune``) on SmolLM2-135M: leave-K-out and new tokenizers.

  python bench/bench_learn.py --model $TOKKIT_SMOLLM2 --part leave --k 500 --steps 60 --threads 2
  python bench/bench_learn.py --model $TOKKIT_SMOLLM2 --part leave --learn distill --rate 3e-3,1e-2 --layer 4,8 --score alone
  python bench/bench_learn.py --model $TOKKIT_SMOLLM2 --part eng --steps 60 [--split dev]
  python bench/bench_learn.py --model $TOKKIT_SMOLLM2 --part tur --targets bpe32k,hybrid32k --steps 60
  python bench/bench_learn.py --model $TOKKIT_SMOLLM2 --part tur --tokenizer extended/ --steps 60

Parts:

* ``leave``: ``--k`` tokens are removed from SmolLM2's vocabulary and model: a seeded draw
  (``--seed``) among the :data:`FREQUENT` most frequent whole-word tokens (``Ġ`` and
  letters, at least two letters) of the learning corpus's first :data:`COUNT_LINES` lines
  under SmolLM2's tokenizer. The merges that make them or use them go too (a merge that
  uses one leaves its result unreachable, not removed). The reduced model is transplanted
  back onto the full tokenizer by each method, zero-shot and then with each learning
  method; reported: the mean cosine of the re-estimated rows to the true ones, bits per
  byte and **recovery** = ``(floor - method) / (floor - true)``, where *true* is the model
  with its own rows and *floor* the removed rows all set to the mean old row (what the
  surgery gives a row it knows nothing about): 0 knows nothing, 1 is the true rows.
* ``eng`` / ``tur``: SmolLM2 onto tokkit tokenizers of 32,000 trained on text/eng or
  text/tur (``--targets``: ``bpe32k``, ``hybrid32k``; or any saved tokenizer with
  ``--tokenizer DIR``, the hook for a tokenizer made elsewhere, such as SmolLM2's own
  extended for Turkish), every method zero-shot and with learning.

Scores: the first ``--lines`` lines of FLORES-200 ``--split`` (devtest to report, dev to
choose defaults), each line alone and as one stream (:mod:`tokkit.transplant.scoring`;
``--score`` picks one). ``--steps``, ``--rate`` and ``--layer`` take comma lists: each
learning method runs once per combination, the baselines scored once.
Learning reads ``text/<lang>/train.txt`` (no FLORES line is in it), whose first
``LearnSettings.held_out`` lines it scores before and after. Wall time per stage.
``--control`` (``eng`` / ``tur``) also tunes the base model with LoRA on its own tokenizer,
with each LoRA setting of the grid: how much of a LoRA row's gain is the model adapting to
the learning corpus rather than to the new tokenizer. ``--segmentation`` splits each row's
excess over the base by line: lines the new tokenizer segments exactly as the base's does
(the same token strings), differently with shared tokens only, and with a new token;
and by chunk (:func:`chunk_excess`): the spans between the places where both tokenizations
end a token, by how many tokens each gives the span.
"""

from __future__ import annotations

import argparse
import collections
import copy
import itertools
import json
import math
import os
import random
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

import tokkit
from tokkit.causal_lm import load_causal_lm, load_lm_tokenizer
from tokkit.corpora import open_corpus
from tokkit.transplant import correspondence, learning, methods, pipeline, scoring

sys.path.insert(0, str(Path(__file__).parent))
from bench_transplant import LANGS  # noqa: E402

#: the whole-word tokens the leave-K-out draw is made from, by frequency
FREQUENT = 2000
#: lines of the learning corpus counted to rank tokens by frequency
COUNT_LINES = 20_000


def train_target(name: str, corpus):
    """The tokkit tokenizers ``--targets`` names; ``--tokenizer DIR`` adds any other."""
    if name == "bpe32k":
        return tokkit.train("bpe", corpus, 32000)[32000]
    if name == "hybrid32k":
        return tokkit.train("hybrid", corpus, 32000)[32000]
    raise SystemExit(f"unknown target {name}: bpe32k or hybrid32k")


def frequent_words(tok, lines: list[str]) -> list[str]:
    """Whole-word tokens of ``tok`` (``Ġ`` + letters) by their frequency in ``lines``, most frequent first."""
    counts = collections.Counter(i for ids in tok.encode_batch(lines) for i in ids)
    words = []
    for i, _ in counts.most_common():
        token = tok.id_to_token(i)
        if token.startswith("Ġ") and len(token) > 2 and token[1:].isalpha():
            words.append(token)
    return words[:FREQUENT]


def without(tok, removed: set[str]):
    """``tok`` (an HF byte-level BPE) without the tokens ``removed`` and the merges that make or use them;
    returns (reduced tokenizer, kept token strings in id order)."""
    from tokenizers import Tokenizer as RustTokenizer

    from tokkit.backends.hf import HFTokenizer

    config = json.loads(tok.backend.to_str())
    model = config["model"]
    merges = [m.split(" ") if isinstance(m, str) else m for m in model["merges"]]
    kept = [t for t, _ in sorted(model["vocab"].items(), key=lambda kv: kv[1]) if t not in removed]
    new_id = {t: i for i, t in enumerate(kept)}
    model["vocab"] = new_id
    model["merges"] = [m for m in merges if "".join(m) not in removed and not (set(m) & removed)]
    for added in config["added_tokens"]:
        added["id"] = new_id[added["content"]]
    reduced = HFTokenizer(RustTokenizer.from_str(json.dumps(config)), name=f"{tok.name} minus {len(removed)}",
                          specials=tokkit.SpecialTokens(**{r: new_id[tok.id_to_token(i)] for r, i in tok.specials.items()}))
    return reduced, kept


def token_bits(model, tok, line: str) -> tuple[list, list[float]]:
    """``line``'s tokens under ``tok`` (after its line prefix) and the bits ``model`` gives each."""
    pieces = tok.tokens(line)
    seq = [scoring.prefix_id(tok)] + [p.id for p in pieces]
    return pieces, [n / math.log(2) for n in scoring.windowed_nats(model, seq, scoring.window_width(model, len(seq)))]


def chunk_excess(lines: list[str], new_bits: list, old_bits: list, estimated: set[int]) -> dict:
    """The excess over the base split by chunk: a chunk is the text between two places where a
    token of each tokenization ends (both models have then read the same text), grouped by how
    many tokens each gives it (``new:old``, ``1:1`` split by whether the token is new) and, for
    the new tokenization, into the chunk's first token (predicted where the base predicts the
    chunk) and the rest (inside a word the base reads as one token). Bits per byte of all lines."""
    groups: dict[str, list] = {}
    total = sum(len(line.encode("utf-8")) for line in lines)
    for line, (new_pieces, nb), (old_pieces, ob) in zip(lines, new_bits, old_bits):
        cuts = sorted({p.end for p in new_pieces} & {p.end for p in old_pieces})
        i = j = start = 0
        for cut in cuts:
            first = i
            while i < len(new_pieces) and new_pieces[i].end <= cut:
                i += 1
            old_first = j
            while j < len(old_pieces) and old_pieces[j].end <= cut:
                j += 1
            kind = f"{'1' if i - first == 1 else '>1'}:{'1' if j - old_first == 1 else '>1'}"
            if i - first == 1:
                kind += " new" if new_pieces[first].id in estimated else " shared"
            g = groups.setdefault(kind, [0, 0, 0.0, 0.0, 0.0])
            g[0] += 1
            g[1] += len(line[start:cut].encode("utf-8"))
            g[2] += nb[first]
            g[3] += sum(nb[first + 1 : i])
            g[4] += sum(ob[old_first:j])
            start = cut
    return {kind: {"chunks": n, "bytes": size, "excess": round((head + rest - old) / total, 4),
                   "first_token": round((head - old) / total, 4), "rest": round(rest / total, 4)}
            for kind, (n, size, head, rest, old) in sorted(groups.items())}


def described(learn: str, s) -> str:
    """A learning setting as the rows' labels show it."""
    detail = f", layer {s.layer}" if learn == "distill" else ""
    detail += f", {s.params}" if s.params != "rows" else ""
    detail += f" rank {s.lora_rank} on {s.lora_targets}" if s.params == "lora" else ""
    return f"{s.steps} steps, rate {s.rate:g}{detail}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=os.environ.get("TOKKIT_SMOLLM2"))
    parser.add_argument("--data", default=os.environ.get("TOKKIT_DATA_DIR", "/work/shared/data"))
    parser.add_argument("--part", choices=["leave", "eng", "tur"], default="leave")
    parser.add_argument("--split", choices=["devtest", "dev"], default="devtest")
    parser.add_argument("--lines", type=int, default=120)
    parser.add_argument("--k", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--methods", default=f"{methods.DEFAULT_METHOD},mean,tokenadapt")
    parser.add_argument("--learn", default="none,distill,tune", help="learning methods to run after each method (none: zero-shot)")
    parser.add_argument("--learn-on", default=methods.DEFAULT_METHOD, help="the methods whose rows are then learned (the others: zero-shot only)")
    parser.add_argument("--steps", default="60", help="optimiser steps (a comma list: each is run)")
    parser.add_argument("--layer", default=None, help="distill's layer (a comma list; default: LearnSettings')")
    parser.add_argument("--rate", default=None, help="learning rate (a comma list; default: LearnSettings')")
    parser.add_argument("--params", default=None, help="what tune trains: rows, embeddings, lora (a comma list; default: LearnSettings')")
    parser.add_argument("--lora-rank", default=None, help="the LoRA adapters' rank with --params lora (a comma list)")
    parser.add_argument("--lora-targets", default=None, help="attention or all-linear (a comma list)")
    parser.add_argument("--batch", type=int, default=None)
    parser.add_argument("--length", type=int, default=None, help="new tokens per packed example")
    parser.add_argument("--held-out", type=int, default=None, help="lines of the learning corpus scored before and after learning")
    parser.add_argument("--score", default="alone,stream", help="the FLORES settings scored: alone (each line), stream, or both")
    parser.add_argument("--targets", default="bpe32k")
    parser.add_argument("--tokenizer", default=None, help="a saved tokenizer to transplant onto (instead of --targets)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--control", action="store_true",
                        help="also tune the base model with LoRA on its own tokenizer, once per LoRA setting of the grid")
    parser.add_argument("--segmentation", action="store_true",
                        help="also split each row's excess over the base by how the lines are segmented")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    report: dict = {"args": vars(args), "load_average": os.getloadavg()}

    def show(key, value):
        report[key] = value
        print(f"{key}: {json.dumps(value)}", flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(report, indent=2) + "\n")

    lang = "eng" if args.part == "leave" else args.part
    text, code = LANGS[lang]
    train_file = Path(args.data) / text
    flores = [line for line in (Path(args.data) / f"flores200/{args.split}/{code}.txt").read_text(encoding="utf-8").splitlines()
              if line.strip()][: args.lines]
    base = load_causal_lm(args.model, device="cpu")
    own = load_lm_tokenizer(args.model)
    settings = learning.LearnSettings(seed=args.seed)
    for name in ("batch", "length", "held_out"):
        if getattr(args, name) is not None:
            settings = replace(settings, **{name: getattr(args, name)})
    grid: list[learning.LearnSettings] = []
    for steps, rate, layer, params, rank, targets in itertools.product(
            args.steps.split(","), (args.rate or str(settings.rate)).split(","), (args.layer or str(settings.layer)).split(","),
            (args.params or settings.params).split(","), (args.lora_rank or str(settings.lora_rank)).split(","),
            (args.lora_targets or settings.lora_targets).split(",")):
        s = replace(settings, steps=int(steps), rate=float(rate), layer=int(layer), params=params)
        if params == "lora":  # rank and targets matter only to LoRA
            s = replace(s, lora_rank=int(rank), lora_targets=targets)
        if s not in grid:
            grid.append(s)
    settings_scored = args.score.split(",")

    def scored(model, tok) -> dict:
        clock = time.perf_counter()
        row = {}
        if "alone" in settings_scored:
            alone = scoring.score(model, tok, flores)
            row.update(bits_per_byte=round(alone.bits_per_byte, 4), tokens=alone.tokens)
        if "stream" in settings_scored:
            row["stream"] = round(scoring.score(model, tok, flores, stream=True).bits_per_byte, 4)
        return {**row, "score_seconds": round(time.perf_counter() - clock, 1)}

    def variants():
        """``(label, method, learn, settings)``: each method zero-shot and, for those of
        --learn-on, with each learning method and each setting of the grid (in that order)."""
        for method in args.methods.split(","):
            for learn in args.learn.split(","):
                if learn == "none":
                    yield f"{method}+none", method, learn, None
                elif method in args.learn_on.split(","):
                    for s in grid:
                        if s.params not in learning.LEARNERS[learn].params:
                            continue  # e.g. distill has no adapters
                        yield f"{method}+{learn} ({described(learn, s)})", method, learn, s

    def transplanted(model, old, new, method, learn, learn_settings, corr):
        plan = None
        clock = time.perf_counter()
        if learn != "none":
            plan = learning.prepare(learn, learn_settings, open_corpus(str(train_file)).texts(), text, old, new, corr.estimate)
        prepare_seconds = time.perf_counter() - clock
        result = pipeline.transplant(model, old, new, methods.get_method(method), plan=plan, corr=corr)
        seconds = {"prepare": round(prepare_seconds, 2), **{k: round(v, 2) for k, v in result.seconds.items()}}
        extra = result.learned.to_json() if result.learned else None
        return seconds, extra

    base_row = scored(base, own)
    base_tokens = [token_bits(base, own, line) for line in flores] if args.segmentation else None

    def by_segmentation(new_tokens: list, estimated: set[int]) -> dict:
        """The excess over the base per kind of line: segmented as the base segments it (the
        same token strings), differently with shared tokens only, or with a new token."""
        groups: dict[str, list] = {}
        for line, (pieces, bits), (old_pieces, base_bits) in zip(flores, new_tokens, base_tokens):
            if [p.token for p in pieces] == [p.token for p in old_pieces]:
                kind = "as the base's"
            else:
                kind = "a new token" if estimated.intersection(p.id for p in pieces) else "differently, shared tokens only"
            group = groups.setdefault(kind, [0, 0, 0.0, 0.0])
            group[0] += 1
            group[1] += len(line.encode("utf-8"))
            group[2] += sum(bits)
            group[3] += sum(base_bits)
        return {kind: {"lines": n, "bytes": size, "bits_per_byte": round(bits / size, 4), "base": round(base_bits / size, 4),
                       "excess": round((bits - base_bits) / size, 4)} for kind, (n, size, bits, base_bits) in groups.items()}
    show("base", {**base_row, "flores": f"{args.split}/{code}", "lines": len(flores)})

    if args.part == "leave":
        lines = open_corpus(str(train_file)).texts()
        count_lines = [line for _, line in zip(range(COUNT_LINES), lines)]
        pool = frequent_words(own, count_lines)
        removed = set(random.Random(args.seed).sample(pool, args.k))
        reduced, kept = without(own, removed)
        removed_ids = sorted(own.token_to_id(t) for t in removed)
        kept_ids = [own.token_to_id(t) for t in kept]
        true_rows = base.get_input_embeddings().weight.detach().clone()
        small = copy.deepcopy(base)
        small.resize_token_embeddings(len(kept), mean_resizing=False)
        with torch.no_grad():
            small.get_input_embeddings().weight.copy_(true_rows[kept_ids])
        floor_model = copy.deepcopy(base)
        with torch.no_grad():
            floor_model.get_input_embeddings().weight[removed_ids] = true_rows[kept_ids].mean(0)
        floor = scored(floor_model, own)
        del floor_model
        show("leave_setup", {"k": args.k, "seed": args.seed, "drawn_from": len(pool), "examples": sorted(removed)[:12],
                             "floor": floor, "reduced_tokenizer_tokens": sum(map(len, reduced.encode_batch(flores)))})
        corr = correspondence.match(reduced, own)
        for label, method, learn, learn_settings in variants():
            model = copy.deepcopy(small)
            seconds, extra = transplanted(model, reduced, own, method, learn, learn_settings, corr)
            got = model.get_input_embeddings().weight.detach()[removed_ids]
            cosine = torch.nn.functional.cosine_similarity(got, true_rows[removed_ids], dim=-1).mean().item()
            row = scored(model, own)
            for key, name in (("bits_per_byte", "recovery"), ("stream", "recovery_stream")):
                if key in row:
                    row[name] = round((floor[key] - row[key]) / (floor[key] - base_row[key]), 4)
            show(f"leave {label}", {**row, "cosine": round(cosine, 4), "seconds": seconds, "learned": extra,
                                    "load_average": os.getloadavg()})
        return

    if args.control:
        for s in grid:
            if s.params == "lora":
                model = copy.deepcopy(base)
                plan = learning.prepare("tune", s, open_corpus(str(train_file)).texts(), text, own, own, [])
                learned = learning.learn(model, own, own, base.get_input_embeddings().weight.detach(), plan)
                show(f"base+tune ({described('tune', s)}, own tokenizer)",
                     {**scored(model, own), "learned": learned.to_json(), "load_average": os.getloadavg()})
                del model

    work = Path(tempfile.mkdtemp(prefix="bench-learn-"))
    targets = {}
    if args.tokenizer:
        targets[Path(args.tokenizer).name] = tokkit.load(args.tokenizer)
    else:
        for name in args.targets.split(","):
            clock = time.perf_counter()
            targets[name] = train_target(name, open_corpus(str(train_file)))
            targets[name].save(work / name)
            show(f"train_{name}_seconds", round(time.perf_counter() - clock, 1))
    for name, new in targets.items():
        corr = correspondence.match(own, new)
        for label, method, learn, learn_settings in variants():
            model = copy.deepcopy(base)
            seconds, extra = transplanted(model, own, new, method, learn, learn_settings, corr)
            row = {**scored(model, new), "seconds": seconds, "learned": extra, "load_average": os.getloadavg()}
            if args.segmentation:
                new_tokens = [token_bits(model, new, line) for line in flores]
                row["by_segmentation"] = by_segmentation(new_tokens, set(corr.estimate))
                row["by_chunk"] = chunk_excess(flores, new_tokens, base_tokens, set(corr.estimate))
            show(f"{name} {label}", row)


if __name__ == "__main__":
    main()
