"""Benchmark: ``tokkit eval`` (all default metrics) against the raw encoder's batch encode.

Two modes.

**FLORES-200 devtest** (the default): for each tokenizer, on the same lines in the same
process, the raw library's own batch encode of every line (tiktoken
``Encoding.encode_ordinary_batch``; tokenizers ``Tokenizer.encode_batch_fast``; the faster
of one call over all lines and one call per language), then tokkit's evaluation of the
same text with every default metric (which streams each language in chunks, encodes
each once with ``encode_batch``, decodes every line for the round trip, and computes the
rest with numpy). Reading the corpus is left out of the raw side. The ratio is eval time
over raw encode time; the target is at most 1.3.

    TOKKIT_DATA_DIR=../shared/data python bench/bench_eval.py            # all 204 languages
    TOKKIT_DATA_DIR=../shared/data python bench/bench_eval.py --langs 20 --repeat 1

**A big plain file** (``--corpus FILE``): time and peak RSS of whole processes, each run
alone: ``tokkit eval TOKENIZER --corpus FILE --json OUT --jobs J`` for each ``J`` of
``--eval-jobs`` (the command, all default metrics; ``--jobs 1`` is the local executor,
more runs the units in worker processes, and a plain file is one unit), and the raw
encoder reading the same file, either all lines at once (``raw whole``, only below
``--whole-limit`` MB: it holds every id in Python lists) or in batches of 2^20
characters (``raw streamed``: the least a one-process batch encode of the file costs).
Peak RSS is GNU time's ``%M`` (the largest process of the run; the local
executor is one process). ``--make-corpus OUT --size-mb N`` writes a corpus of N MB made
of FLORES dev + devtest (all languages), each copy after the first with its lines
shuffled and two neighbouring characters of every line swapped, seeded per copy, so
that no two copies are the same text.

    python bench/bench_eval.py --make-corpus /tmp/1g.txt --size-mb 1000
    python bench/bench_eval.py --corpus /tmp/1g.txt --repeat 1 --threads 2 --eval-jobs 1,2

Runs alternate between the sides, so load on a shared machine hits both; the median of
``--repeat`` runs is kept for each side. ``--threads`` sets ``RAYON_NUM_THREADS`` (the
tokenizers library) for every side; tiktoken's batch encoder always uses 8 threads.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPECS = {
    "cl100k_base (tiktoken)": "tokenizers/tiktoken/cl100k_base.tiktoken",
    "llama-bpe (tokenizers, from GGUF)": "tokenizers/gguf/ggml-vocab-llama-bpe.gguf",
}
SHORT = {"cl100k": "cl100k_base (tiktoken)", "llama-bpe": "llama-bpe (tokenizers, from GGUF)"}
BATCH_CHARS = 1 << 20


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


def flores(args) -> None:
    import tokkit
    from tokkit.corpora import open_parallel
    from tokkit.evaluation import Evaluation

    data = Path(args.data_dir)
    corpus = open_parallel("flores200:devtest", data_dir=data)
    langs = sorted({*corpus.langs[: args.langs], "eng_Latn"}) if args.langs else corpus.langs
    corpus = corpus.subset(langs)
    lines = [line for lang in langs for line in corpus.lines(lang)]
    megabytes = sum(len(line.encode("utf-8")) for line in lines) / 1e6
    print(f"FLORES-200 devtest: {len(langs)} languages, {len(lines):,} lines, {megabytes:.1f} MB; "
          f"{os.cpu_count()} CPUs (shared machine); median of {args.repeat}")
    for label, spec in SPECS.items():
        tok = tokkit.load(data / spec)
        encode = raw_batch_encode(tok)
        plan = Evaluation([tok], corpus)
        by_lang = [corpus.lines(lang) for lang in langs]
        raw_times, eval_times = [], []
        for _ in range(args.repeat):  # the raw side gets the faster of one batch and one batch per language
            raw_times.append(min(timed(lambda: encode(lines)), timed(lambda: [encode(part) for part in by_lang])))
            eval_times.append(timed(plan.run))
        raw, full = statistics.median(raw_times), statistics.median(eval_times)
        print(f"{label:36s} raw batch encode {raw:7.2f} s   tokkit eval {full:7.2f} s   ratio {full / raw:5.2f}")


def raw_child(mode: str, spec: str, corpus: str) -> None:
    """One raw side, in a process of its own: encode every line of ``corpus``."""
    import tokkit
    from tokkit.corpora import open_corpus

    encode = raw_batch_encode(tokkit.load(spec))
    tokens = 0
    texts = open_corpus(corpus).texts()
    if mode == "whole":
        tokens = sum(map(len, encode(list(texts))))
    else:
        batch, chars = [], 0
        for text in texts:
            batch.append(text)
            chars += len(text)
            if chars >= BATCH_CHARS:
                tokens += sum(map(len, encode(batch)))
                batch, chars = [], 0
        tokens += sum(map(len, encode(batch)))
    print(tokens)


def measured(command: list[str], env: dict) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB, stdout) of one command, from GNU time (``%e``, ``%M``:
    the largest process's maximum resident set)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        done = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", report.name, *command],
                              capture_output=True, text=True, env=env)
        if done.returncode != 0:
            sys.exit(f"{' '.join(command)} failed:\n{done.stderr}")
        seconds, kilobytes = report.read().split()[-2:]
    return float(seconds), int(kilobytes) / 1024, done.stdout


def big_file(args) -> None:
    data = Path(args.data_dir)
    corpus = Path(args.corpus)
    megabytes = corpus.stat().st_size / 1e6
    env = {**os.environ, "RAYON_NUM_THREADS": str(args.threads), "TQDM_DISABLE": "1"}
    print(f"{corpus} ({megabytes:,.1f} MB); {os.cpu_count()} CPUs (shared machine); RAYON_NUM_THREADS={args.threads}; "
          f"median of {args.repeat}")
    eval_jobs = [int(jobs) for jobs in args.eval_jobs.split(",")]
    for label in map(SHORT.get, args.tokenizers.split(",")):
        path = str(data / SPECS[label])
        sides = {("tokkit eval" if jobs == 1 else f"tokkit eval --jobs {jobs}"): ["eval", str(jobs)] for jobs in eval_jobs}
        sides["raw streamed"] = ["streamed"]
        if megabytes <= args.whole_limit:
            sides["raw whole"] = ["whole"]
        results: dict[str, list[tuple[float, float]]] = {side: [] for side in sides}
        counts = {}
        for _ in range(args.repeat):
            for side, mode in sides.items():
                with tempfile.TemporaryDirectory() as tmp:
                    if mode[0] == "eval":
                        command = [sys.executable, "-m", "tokkit.cli", "eval", path, "--corpus", str(corpus),
                                   "--json", f"{tmp}/r.json", "--jobs", mode[1]]
                    else:
                        command = [sys.executable, __file__, "--raw-child", mode[0], path, str(corpus)]
                    seconds, peak, out = measured(command, env)
                    if mode[0] == "eval":
                        table = json.loads(Path(f"{tmp}/r.json").read_text(encoding="utf-8"))
                        counts[side] = next(r["value"] for r in table["results"] if r["metric"] == "ctc")
                    else:
                        counts[side] = int(out.strip())
                results[side].append((seconds, peak))
        assert len(set(counts.values())) == 1, f"token counts differ: {counts}"
        line = ", ".join(f"{side} {statistics.median(s for s, _ in runs):.1f} s / {max(p for _, p in runs):,.0f} MB"
                         for side, runs in results.items())
        raw = statistics.median(s for s, _ in results["raw streamed"])
        ratios = ", ".join(f"{side} / raw streamed {statistics.median(s for s, _ in results[side]) / raw:.2f}"
                           for side in sides if side.startswith("tokkit"))
        print(f"{label:36s} {line}; {ratios}; {int(counts['raw streamed']):,} tokens")


def make_corpus(args) -> None:
    data = Path(args.data_dir)
    lines = []
    for split in ("dev", "devtest"):
        for path in sorted((data / "flores200" / split).glob("*.txt")):
            lines += path.read_text(encoding="utf-8").splitlines()
    target = args.size_mb * 1e6
    written, copy = 0, 0
    with open(args.make_corpus, "w", encoding="utf-8") as out:
        while written < target:
            rng = random.Random(f"{args.seed}/{copy}")
            part = list(lines)
            if copy:
                rng.shuffle(part)
                part = [_swap(line, rng) for line in part]
            for line in part:
                out.write(line + "\n")
                written += len(line.encode("utf-8")) + 1
                if written >= target:
                    break
            copy += 1
    print(f"wrote {args.make_corpus}: {written / 1e6:,.1f} MB, {copy} copies of FLORES dev + devtest")


def _swap(line: str, rng: random.Random) -> str:
    if len(line) < 2:
        return line
    i = rng.randrange(len(line) - 1)
    return line[:i] + line[i + 1] + line[i] + line[i + 2:]


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--raw-child":
        raw_child(*sys.argv[2:5])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("TOKKIT_DATA_DIR", "../shared/data"))
    parser.add_argument("--langs", type=int, default=None, help="FLORES mode: only the first N languages.")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--corpus", help="Measure whole processes on this plain text file instead.")
    parser.add_argument("--threads", type=int, default=2, help="RAYON_NUM_THREADS for every side (--corpus mode).")
    parser.add_argument("--tokenizers", default="cl100k,llama-bpe", help="--corpus mode: which of cl100k, llama-bpe.")
    parser.add_argument("--eval-jobs", default="1", help="--corpus mode: tokkit eval's --jobs, one side each: 1,2 "
                        "(1: the local executor; more: worker processes, one per unit, a tokenizer on a language).")
    parser.add_argument("--whole-limit", type=float, default=100, help="Run 'raw whole' only on files up to this many MB.")
    parser.add_argument("--make-corpus", help="Write a corpus of --size-mb MB to this path and stop.")
    parser.add_argument("--size-mb", type=float, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.make_corpus:
        make_corpus(args)
    elif args.corpus:
        big_file(args)
    else:
        flores(args)


if __name__ == "__main__":
    main()
