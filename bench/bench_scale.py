"""Training at scale: wall time and peak memory of each trainer against its anchor, at
about 10 MB, 79.5 MB and 1 GB of text.

    python bench/bench_scale.py corpora --out /tmp/scale            # writes the corpora below
    python bench/bench_scale.py run --corpus 10MB=/tmp/scale/10mb.txt --corpus 79MB=/tmp/scale/flores.txt \\
        [--sides raw-bpe,bpe,superword,char,supertoken,spm,unigram,hybrid] [--vocab-size 64000] \\
        [--repeats 1] [--threads 2] [--extra "supertoken=--sample 0.25"] [--json results.json]

Every run is a process of its own, timed by ``/usr/bin/time -v`` (wall time, CPU time,
peak resident memory), so one run's heap never flatters or burdens the next. The sides,
run in turn for each corpus (``--repeats`` rounds, medians reported):

* ``raw-bpe``, the anchor of the BPE family: the ``tokenizers`` library's ``BpeTrainer``
  reading the file itself (``Tokenizer.train([file])``), with tokkit's cl100k regex +
  ``ByteLevel`` pre-tokenizer, the 256-byte alphabet, the two special tokens and
  ``min_frequency=2``, then saved;
* ``spm``, the anchor of ``unigram``: ``SentencePieceTrainer.train(input=file, ...)`` with
  exactly the options ``tokkit train unigram`` passes (``tokkit.trainers.unigram
  .spm_trainer_args``), and SentencePiece's own sample of as many sentences as tokkit's
  (``input_sentence_size`` = ``max_sentences``, shuffled);
* ``bpe``, ``superword``, ``char``, ``supertoken``, ``unigram``, ``hybrid``: ``tokkit train
  ALGO FILE --vocab-size N --out DIR`` through the CLI (reading, progress display,
  training, writing the folder), with the flags of ``--extra "ALGO=--flag value"`` appended;
* ``eval`` (the hook for evaluation at scale): ``tokkit eval`` of the ``bpe`` side's
  tokenizer on the same file (metrics ``ctc,bytes_per_token``); it needs ``bpe`` earlier
  in ``--sides``.

Each tokkit side is compared with its anchor (``unigram`` with ``spm``, the others with
``raw-bpe``); the growth between sizes is each side's seconds and peak per MB of text at
one size over those at the previous size (1.00: cost grows with the text, below 1:
slower). ``RAYON_NUM_THREADS`` is set for every side.

**The corpora** (``corpora``): ``flores.txt`` is FLORES-200 dev then devtest, all 204
languages (``cat dev/*.txt devtest/*.txt``: 79.5 MB, 409,836 lines, real text);
``10mb.txt`` is every 8th line of it (all 204 languages, about 10 MB); ``1gb.txt`` is
nine copies of all the real text in the data folder (FLORES-200 dev and devtest, every
``text/*/train.txt``, the UDHR, XQuAD's contexts: 112 MB): copy 0 as it is, and in copy
``k`` each line's words (split at spaces) are shuffled with ``random.Random(k)`` and one
space in eight is dropped (joining two words). Plain repetition would repeat every
line, pre-token and stage-2 chunk nine times and flatter any trainer that deduplicates;
here lines and chunks are new in every copy and new words appear (the joined pairs),
while the characters, words and scripts stay those of real text. Word order is not
real, so read the 79.5 MB point for real text and the 1 GB point for cost.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
ANCHOR = {"unigram": "spm", "eval": None, "raw-bpe": None, "spm": None}  # everything else: raw-bpe
ALL_SIDES = ["raw-bpe", "bpe", "superword", "char", "supertoken", "spm", "unigram", "hybrid"]
TIME = "/usr/bin/time"


# -- the corpora ----------------------------------------------------------------------------

def flores_files(data: Path) -> list[Path]:
    return sorted((data / "flores200" / "dev").glob("*.txt")) + sorted((data / "flores200" / "devtest").glob("*.txt"))


def other_files(data: Path) -> list[Path]:
    return sorted(data.glob("text/*/train.txt")) + sorted((data / "udhr" / "txt").glob("*.txt")) + sorted(
        (data / "xquad").glob("*.contexts.txt"))


def lines_of(paths: list[Path]) -> list[str]:
    return [line for path in paths for line in path.read_text(encoding="utf-8").splitlines()]


def shuffled(line: str, rng: random.Random) -> str:
    """The line's words in a seeded order, one space in eight dropped."""
    words = line.split(" ")
    rng.shuffle(words)
    gaps = rng.choices((" ", ""), weights=(7, 1), k=len(words) - 1)
    return "".join(word + gap for word, gap in zip(words, gaps + [""]))


def write_corpora(data: Path, out: Path, copies: int = 9) -> None:
    out.mkdir(parents=True, exist_ok=True)
    flores = lines_of(flores_files(data))
    (out / "flores.txt").write_text("".join(line + "\n" for line in flores), encoding="utf-8")
    (out / "10mb.txt").write_text("".join(line + "\n" for line in flores[::8]), encoding="utf-8")
    real = flores + lines_of(other_files(data))
    with open(out / "1gb.txt", "w", encoding="utf-8") as handle:
        for copy in range(copies):
            rng = random.Random(copy)
            handle.writelines((line if copy == 0 else shuffled(line, rng)) + "\n" for line in real)
    for name in ("10mb.txt", "flores.txt", "1gb.txt"):
        path = out / name
        print(f"{path}: {path.stat().st_size / 1e6:.1f} MB, {sum(1 for _ in open(path, 'rb')):,} lines")


# -- one measured run (in its own process) ----------------------------------------------------

def one(side: str, corpus: str, size: int, out: str, extra: list[str]) -> None:
    if side == "raw-bpe":
        from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

        from tokkit.trainers.base import DEFAULT_SPECIALS
        from tokkit.trainers.bpe_family import PRETOKENIZERS

        tokenizer = Tokenizer(models.BPE())
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(PRETOKENIZERS["cl100k"]), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ])
        tokenizer.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(vocab_size=size, special_tokens=list(DEFAULT_SPECIALS), min_frequency=2,
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
        tokenizer.train([corpus], trainer)
        tokenizer.save(str(Path(out) / "raw.json"))
    elif side == "spm":
        import sentencepiece as spm

        from tokkit.trainers.base import DEFAULT_SPECIALS
        from tokkit.trainers.unigram import UnigramOptions, spm_trainer_args

        spm.set_random_generator_seed(0)
        options = UnigramOptions()
        args = spm_trainer_args(options, size - len(DEFAULT_SPECIALS))
        args.update(input_sentence_size=options.max_sentences, shuffle_input_sentence=True)  # its own sample
        with open(Path(out) / "spm.model", "wb") as model:
            spm.SentencePieceTrainer.train(input=corpus, model_writer=model, **args)
    else:
        from tokkit.cli.app import app
        from tokkit.cli.common import run_cli

        if side == "eval":
            args = ["eval", str(Path(out).parent / "bpe"), "--corpus", corpus, "--metrics", "ctc,bytes_per_token"]
        else:
            args = ["train", side, corpus, "--vocab-size", str(size), "--out", out, "--force", *extra]
        code = run_cli(app, args)
        if code:
            sys.exit(code)


def measure(side: str, corpus: str, size: int, work: Path, extra: list[str], threads: int) -> dict:
    out = work / side
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "RAYON_NUM_THREADS": str(threads), "TOKENIZERS_PARALLELISM": "true"}
    command = [TIME, "-v", sys.executable, __file__, "one", side, corpus, str(size), str(out), "--", *extra]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    report = done.stderr

    def field(name: str) -> str:
        match = re.search(rf"{re.escape(name)}: (.+)", report)
        return match.group(1).strip() if match else ""

    status = int(field("Exit status") or done.returncode)
    row = {
        "side": side, "wall_s": round(elapsed, 2),
        "cpu_s": round(float(field("User time (seconds)") or 0) + float(field("System time (seconds)") or 0), 2),
        "peak_mb": round(int(field("Maximum resident set size (kbytes)") or 0) / 1e3, 1), "exit": status,
    }
    if status:
        lines = [line for line in report.splitlines() if line.strip() and not line.startswith("\t")]
        row["error"] = " | ".join(lines[-3:])
    return row


def run(args) -> None:
    corpora = dict(spec.split("=", 1) for spec in args.corpus)
    sides = args.sides.split(",")
    extras: dict[str, list[str]] = {}
    for item in args.extra:
        side, flags = item.split("=", 1)
        extras.setdefault(side, []).extend(shlex.split(flags))
    rows = []
    for label, path in corpora.items():
        megabytes = Path(path).stat().st_size / 1e6
        for repeat in range(args.repeats):
            with tempfile.TemporaryDirectory(prefix="bench_scale_") as work:
                for side in sides:
                    row = measure(side, path, args.vocab_size, Path(work), extras.get(side, []), args.threads)
                    row.update(corpus=label, megabytes=round(megabytes, 1), repeat=repeat)
                    rows.append(row)
                    status = f"  FAILED: {row.get('error', '')}" if row["exit"] else ""
                    print(f"{label:>6} {side:<11} wall {row['wall_s']:8.1f} s  cpu {row['cpu_s']:8.1f} s  "
                          f"peak {row['peak_mb']:8.0f} MB{status}", flush=True)
    summary = summarise(rows, corpora, sides)
    if args.json:
        payload = {"date": time.strftime("%Y-%m-%d %H:%M"), "vocab_size": args.vocab_size, "threads": args.threads,
                   "cpus": os.cpu_count(), "load_average": os.getloadavg(), "extra": extras, "runs": rows,
                   "summary": summary}
        Path(args.json).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


def summarise(rows: list[dict], corpora: dict, sides: list[str]) -> dict:
    """Medians per corpus and side, the ratio to the anchor, and the growth between sizes."""
    summary: dict = {}
    for label in corpora:
        for side in sides:
            ok = [r for r in rows if r["corpus"] == label and r["side"] == side and not r["exit"]]
            if ok:
                summary.setdefault(label, {})[side] = {
                    key: statistics.median(r[key] for r in ok) for key in ("wall_s", "cpu_s", "peak_mb")
                } | {"megabytes": ok[0]["megabytes"]}
    print("\nmedians; x = tokkit over its anchor (wall time, CPU time, peak memory)")
    for label, by_side in summary.items():
        for side, value in by_side.items():
            anchor = by_side.get(ANCHOR.get(side, "raw-bpe") or "")
            ratio = ("  x " + "  ".join(f"{value[k] / anchor[k]:.2f}" for k in ("wall_s", "cpu_s", "peak_mb"))
                     if anchor and anchor is not value else "")
            if anchor and anchor is not value:
                value["vs_anchor"] = {k: round(value[k] / anchor[k], 3) for k in ("wall_s", "cpu_s", "peak_mb")}
            print(f"{label:>6} {side:<11} {value['wall_s']:8.1f} s  {value['cpu_s']:8.1f} s cpu  "
                  f"{value['peak_mb']:8.0f} MB{ratio}")
    labels = list(summary)
    if len(labels) > 1:
        print("\ngrowth per MB of text from one size to the next (seconds, peak memory)")
    for small, large in zip(labels, labels[1:]):
        for side in sides:
            a, b = summary[small].get(side), summary[large].get(side)
            if a and b:
                grow = {k: round((b[k] / b["megabytes"]) / (a[k] / a["megabytes"]), 3) for k in ("wall_s", "peak_mb")}
                b.setdefault("growth", {})[small] = grow
                print(f"{small:>6} -> {large:<6} {side:<11} seconds/MB x{grow['wall_s']:.2f}  peak/MB x{grow['peak_mb']:.2f}")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("corpora", help="write 10mb.txt, flores.txt and 1gb.txt")
    build.add_argument("--data-dir", type=Path, default=Path(os.environ.get("TOKKIT_DATA_DIR", DEFAULT_DATA)))
    build.add_argument("--out", type=Path, required=True)
    build.add_argument("--copies", type=int, default=9)
    measure_all = commands.add_parser("run", help="measure the sides on the corpora")
    measure_all.add_argument("--corpus", action="append", required=True, help="LABEL=FILE, repeatable, smallest first")
    measure_all.add_argument("--sides", default=",".join(ALL_SIDES))
    measure_all.add_argument("--vocab-size", type=int, default=64000)
    measure_all.add_argument("--repeats", type=int, default=1)
    measure_all.add_argument("--threads", type=int, default=2)
    measure_all.add_argument("--extra", action="append", default=[], help='"SIDE=--flag value ...", repeatable')
    measure_all.add_argument("--json", type=Path)
    single = commands.add_parser("one", help=argparse.SUPPRESS)
    single.add_argument("side")
    single.add_argument("corpus")
    single.add_argument("size", type=int)
    single.add_argument("out")
    single.add_argument("extra", nargs="*")
    args = parser.parse_args()
    if args.command == "corpora":
        write_corpora(args.data_dir, args.out, args.copies)
    elif args.command == "run":
        run(args)
    else:
        one(args.side, args.corpus, args.size, args.out, args.extra)


if __name__ == "__main__":
    main()
