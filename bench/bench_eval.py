"""Benchmark: ``tokkit eval`` (all default metrics) against the raw encoder's batch encode.

For each tokenizer, on the same lines in the same run: the raw library's own batch
encode of every line (tiktoken ``Encoding.encode_ordinary_batch``; tokenizers
``Tokenizer.encode_batch_fast``; the faster of one call over all lines and one call per
language), then tokkit's evaluation of the same text with every
default metric (which encodes each language once with ``encode_batch``, decodes every
line for the round trip, and computes the rest with numpy). Reading the corpus is left
out of both. The ratio is eval time over raw encode time; the target is at most 1.3.

    TOKKIT_DATA_DIR=../shared/data python bench/bench_eval.py            # all 204 languages
    TOKKIT_DATA_DIR=../shared/data python bench/bench_eval.py --langs 20 --repeat 1

The best of ``--repeat`` runs is kept for each side (runs alternate, so load on a shared
machine hits both).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import tokkit
from tokkit.corpora import open_parallel
from tokkit.evaluation import Evaluation


def raw_batch_encode(tok):
    """The raw library's batch encoder for a tokkit tokenizer."""
    if tok.format == "tiktoken":
        return tok.encoding.encode_ordinary_batch
    backend = tok.backend
    return lambda lines: backend.encode_batch_fast(lines, add_special_tokens=False)


def timed(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("TOKKIT_DATA_DIR", "../shared/data"))
    parser.add_argument("--langs", type=int, default=None, help="Only the first N FLORES-200 languages.")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    data = Path(args.data_dir)
    specs = {
        "cl100k_base (tiktoken)": data / "tokenizers/tiktoken/cl100k_base.tiktoken",
        "llama-bpe (tokenizers, from GGUF)": data / "tokenizers/gguf/ggml-vocab-llama-bpe.gguf",
    }
    corpus = open_parallel("flores200:devtest", data_dir=data)
    langs = sorted({*corpus.langs[: args.langs], "eng_Latn"}) if args.langs else corpus.langs
    corpus = corpus.subset(langs)
    lines = [line for lang in langs for line in corpus.lines(lang)]
    megabytes = sum(len(line.encode("utf-8")) for line in lines) / 1e6
    print(f"FLORES-200 devtest: {len(langs)} languages, {len(lines):,} lines, {megabytes:.1f} MB; "
          f"{os.cpu_count()} CPUs (shared machine); best of {args.repeat}")
    for label, path in specs.items():
        tok = tokkit.load(path)
        encode = raw_batch_encode(tok)
        plan = Evaluation([tok], corpus)
        by_lang = [corpus.lines(lang) for lang in langs]
        raw_times, eval_times = [], []
        for _ in range(args.repeat):  # the raw side gets the faster of one batch and one batch per language
            raw_times.append(timed(lambda: encode(lines)))
            raw_times.append(timed(lambda: [encode(part) for part in by_lang]))
            eval_times.append(timed(plan.run))
        raw, full = min(raw_times), min(eval_times)
        print(f"{label:36s} raw batch encode {raw:7.2f} s   tokkit eval {full:7.2f} s   ratio {full / raw:5.2f}")


if __name__ == "__main__":
    main()
