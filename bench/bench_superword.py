"""`superword` against `bpe`, both at 32,000, trained on the same text, same run.

    python bench/bench_superword.py [--data-dir ../shared/data] [--repeats 3] [--threads 2]
                                    [--sweep 0.6,0.7,0.8,0.9] [--roundtrip]

Both tokenizers are trained ``--repeats`` times in turn (bpe, superword, bpe, ...) on
``text/eng/train.txt`` through ``tokkit.train``; medians of the wall times are compared.
Reported:

* training time, superword / bpe (target <= 3);
* corpus token count (CTC) on FLORES-200 ``eng_Latn`` devtest, superword / bpe (target
  <= 0.85), and on dev, the split the defaults were tuned on;
* what stage 2's weaker pre-tokenizer does to stage 1 alone: the stage-1 tokenizer (the
  transition size) with its own regex and with the stage-2 pre-tokenizer, CTC on devtest
  and the share of lines whose tokens differ;
* ``--sweep``: dev CTC for other transition points (how the default was chosen);
* ``--roundtrip``: decode(encode(line)) == line on every line of all 204 devtest languages.

The Rust thread pool size (``RAYON_NUM_THREADS``) is set before ``tokenizers`` loads.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("TOKKIT_DATA_DIR", DEFAULT_DATA)))
    parser.add_argument("--vocab-size", type=int, default=32000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sweep", default="", help="transition points to compare on FLORES dev, e.g. 0.6,0.7,0.8,0.9")
    parser.add_argument("--roundtrip", action="store_true", help="check every line of all 204 devtest languages")
    args = parser.parse_args()
    os.environ["RAYON_NUM_THREADS"] = str(args.threads)
    os.environ["TOKENIZERS_PARALLELISM"] = "true"

    import tokkit
    from tokkit.corpora import open_corpus
    from tokkit.trainers.bpe_family import byte_level_pre_tokenizer
    from tokkit.trainers.superword import STAGE2_PATTERN, SuperwordOptions, transition_size

    size = args.vocab_size
    corpus = open_corpus(str(args.data_dir / "text" / "eng" / "train.txt"))
    flores = args.data_dir / "flores200"
    devtest = (flores / "devtest" / "eng_Latn.txt").read_text(encoding="utf-8").splitlines()
    dev = (flores / "dev" / "eng_Latn.txt").read_text(encoding="utf-8").splitlines()

    def ctc(tokenizer, lines) -> int:
        return sum(map(len, tokenizer.encode_batch(lines)))

    times: dict[str, list[float]] = {"bpe": [], "superword": []}
    trained = {}
    for _ in range(args.repeats):
        for algorithm in times:
            start = time.perf_counter()
            trained[algorithm] = tokkit.train(algorithm, corpus, size)[size]
            times[algorithm].append(time.perf_counter() - start)
    bpe, superword = trained["bpe"], trained["superword"]
    median = {name: statistics.median(values) for name, values in times.items()}

    print(f"trained on {corpus.spec}, vocab {size:,}, {args.threads} threads, {args.repeats} repeats")
    for name, values in times.items():
        print(f"  {name:10s} median {median[name]:6.2f} s  (runs: {', '.join(f'{t:.2f}' for t in values)})")
    print(f"RESULT training time superword / bpe = {median['superword'] / median['bpe']:.3f} (target <= 3)")
    for split, lines in (("devtest", devtest), ("dev", dev)):
        b, s = ctc(bpe, lines), ctc(superword, lines)
        tag = "RESULT " if split == "devtest" else ""
        print(f"{tag}FLORES eng_Latn {split} CTC: bpe {b:,}, superword {s:,}, ratio {s / b:.4f} (target <= 0.85)")

    transition = transition_size(SuperwordOptions().transition, size, 258)
    stage1 = tokkit.train("superword", corpus, [transition, size])[transition]
    own = stage1.encode_batch(devtest)
    stage1.backend.pre_tokenizer = byte_level_pre_tokenizer(STAGE2_PATTERN)
    under_stage2 = stage1.encode_batch(devtest)
    changed = sum(a != b for a, b in zip(own, under_stage2))
    print(
        f"stage 1 alone ({transition:,} tokens) on devtest: CTC {sum(map(len, own)):,} with its own regex, "
        f"{sum(map(len, under_stage2)):,} under the stage-2 pre-tokenizer; {changed} of {len(devtest)} lines tokenized differently"
    )

    for value in [float(v) for v in args.sweep.split(",") if v.strip()]:
        start = time.perf_counter()
        swept = tokkit.train("superword", corpus, size, transition=value)[size]
        seconds = time.perf_counter() - start
        print(f"sweep transition {value}: dev CTC {ctc(swept, dev):,} (bpe {ctc(bpe, dev):,}), trained in {seconds:.1f} s")

    if args.roundtrip:
        files = sorted((flores / "devtest").glob("*.txt"))
        texts = [line for path in files for line in path.read_text(encoding="utf-8").splitlines()]
        for name, tokenizer in trained.items():
            decoded = tokenizer.backend.decode_batch(tokenizer.encode_batch(texts), skip_special_tokens=False)
            good = sum(a == b for a, b in zip(texts, decoded))
            print(f"RESULT round trip {name}: {good:,} of {len(texts):,} lines in {len(files)} devtest languages ({good / len(texts):.2%})")


if __name__ == "__main__":
    main()
