"""`tokkit train bpe` against the raw `tokenizers` BpeTrainer, same corpus, same run.

    python bench/bench_train_bpe.py [--corpus ../shared/data/text/eng/train.txt] [--vocab-size 32000]
                                    [--repeats 5] [--threads 2]

Three sides, each run ``--repeats`` times in turn (A B C A B C ...), medians reported:

* raw: a ``tokenizers.Tokenizer`` built here from the library's own classes (BPE model,
  the same cl100k regex ``Split`` + ``ByteLevel`` pre-tokenizer, ``BpeTrainer`` over the
  256 byte alphabet with the same two special tokens and ``min_frequency=2``), trained by
  ``Tokenizer.train([file])`` (Rust reads the file) and saved as ``tokenizer.json``;
* cli: ``tokkit train bpe FILE --vocab-size N --out DIR --force`` run in this process
  through the typer app (corpus reading, progress display, training, saving);
* library: ``tokkit.train("bpe", open_corpus(FILE), N)`` and ``save``.

The thread count of the Rust pool (``RAYON_NUM_THREADS``) is set before ``tokenizers`` is
imported, so every side uses the same number of threads. Target: cli / raw <= 1.15.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "text" / "eng" / "train.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--vocab-size", type=int, default=32000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    os.environ["RAYON_NUM_THREADS"] = str(args.threads)
    os.environ["TOKENIZERS_PARALLELISM"] = "true"

    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    from typer.testing import CliRunner

    import tokkit
    from tokkit.cli.app import app
    from tokkit.corpora import open_corpus
    from tokkit.trainers.base import DEFAULT_SPECIALS
    from tokkit.trainers.bpe_family import PRETOKENIZERS

    corpus = str(args.corpus.resolve())
    size = args.vocab_size
    work = Path(tempfile.mkdtemp(prefix="bench_train_bpe_"))

    def raw() -> Tokenizer:
        tokenizer = Tokenizer(models.BPE())
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(PRETOKENIZERS["cl100k"]), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ])
        tokenizer.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=size, special_tokens=list(DEFAULT_SPECIALS), min_frequency=2,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False,
        )
        tokenizer.train([corpus], trainer)
        tokenizer.save(str(work / "raw.json"))
        return tokenizer

    runner = CliRunner()

    def cli() -> None:
        result = runner.invoke(app, ["train", "bpe", corpus, "--vocab-size", str(size), "--out", str(work / "cli"), "--force"])
        if result.exit_code != 0:
            sys.exit(f"tokkit train bpe failed: {result.output}")

    def library() -> None:
        tokkit.train("bpe", open_corpus(corpus), size)[size].save(work / "lib", force=True)

    sides = {"raw tokenizers": raw, "tokkit train bpe (CLI)": cli, "tokkit.train (library)": library}
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(args.repeats):
        for name, run in sides.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)

    megabytes = args.corpus.stat().st_size / 1e6
    print(f"corpus {args.corpus} ({megabytes:.1f} MB), vocab {size:,}, {args.threads} threads, {args.repeats} repeats")
    medians = {name: statistics.median(values) for name, values in times.items()}
    base = medians["raw tokenizers"]
    for name, median in medians.items():
        spread = ", ".join(f"{t:.2f}" for t in times[name])
        print(f"{name:26s} median {median:6.2f} s  ratio {median / base:5.2f}x  (runs: {spread})")
    ratio = medians["tokkit train bpe (CLI)"] / base
    print(f"RESULT tokkit train bpe / raw BpeTrainer = {ratio:.3f} (target <= 1.15)")


if __name__ == "__main__":
    main()
