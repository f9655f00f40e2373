"""``tokkit extend BASE CORPUS... --add N --out DIR``: a tokenizer's own vocabulary with
tokens learned from a corpus added (:func:`tokkit.trainers.extension.extend`)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape
from rich.table import Table

from tokkit.cli.common import ENCODING_ERRORS_HELP, console, prepare_output, write_json

HELP = """Add tokens to an existing tokenizer, keeping every old token, id and merge exactly.

Characters the base spells in byte pieces (or as unknown) become pieces first. Then the corpus is read with the base's own normalizer, pre-tokenizer and merges, and BPE goes on from there: the most frequent adjacent pair becomes a new token, with the next id after the largest one, until --add tokens are made or no pair occurs --min-frequency times (then fewer are added, and the summary says so). Text that needs no new token encodes to exactly the base's ids, so a model keeps every old embedding row (tokkit transplant copies them and estimates only the new ones).

BASE: a tokenizer.json (file or folder, tokkit's own folders too), a GGUF file (BPE or SentencePiece vocabulary), a .tiktoken file, or a SentencePiece .model (BPE or unigram).

Examples:

  tokkit extend smollm2.gguf text:tur --add 16000 --out smol-tur16k/

  tokkit extend cl100k_base.tiktoken tur.txt --add 8000 --out cl100k-tur/ --json summary.json

  tokkit extend mistral-v3.model text:tur --add 8000 --out mistral-tur/ --min-frequency 5
"""


def extend_command(
    base: str = typer.Argument(..., help="The tokenizer to extend: anything tokkit.load reads that is BPE or Unigram.", show_default=False),
    corpus: List[str] = typer.Argument(..., help="Corpus specs: files, folders, globs, .gz, file.jsonl:FIELD, or named corpora (text:tur, flores200:dev:tur_Latn).", show_default=False),
    add: int = typer.Option(..., "--add", "-n", help="How many tokens to add (at most: fewer when the corpus runs out of pairs)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (a tokkit tokenizer folder)."),
    min_frequency: int = typer.Option(2, "--min-frequency", help="A pair must occur at least this often to become a token."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing --out (and --json file)."),
    budget: Optional[str] = typer.Option(None, help="Read at most this much text, e.g. 500MB."),
    sample: Optional[str] = typer.Option(None, help="Learn from a seeded sample of the texts (--seed): a fraction such as 0.25, or a number of texts such as 100000."),
    seed: int = typer.Option(0, help="Seed of --sample."),
    encoding_errors: str = typer.Option("strict", help=ENCODING_ERRORS_HELP),
    data_dir: Optional[Path] = typer.Option(None, help="Where named corpora live (default: $TOKKIT_DATA_DIR, then ~/.cache/tokkit/data)."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write a JSON summary to this file ('-': standard output)."),
) -> None:
    from tokkit.atomic import check_output
    from tokkit.cli.train import parse_bytes, parse_sample
    from tokkit.corpora import open_corpus
    from tokkit.loading import load_named, split_name
    from tokkit.progress import Progress
    from tokkit.trainers.extension import check_request, extend, extender_for

    check_output(out, force)
    prepare_output(json_out, force)
    check_request(add, min_frequency)  # before the base is loaded and the corpus read
    tokenizer = load_named(base)
    extender_for(tokenizer)
    corpus_obj = open_corpus(corpus, data_dir=data_dir, budget=parse_bytes(budget), sample=parse_sample(sample), seed=seed,
                             errors=encoding_errors)
    started = time.perf_counter()
    progress = Progress()
    with progress.live():
        extended = extend(tokenizer, corpus_obj, add, min_frequency=min_frequency, progress=progress)
    elapsed = time.perf_counter() - started
    extended.provenance.params["base"] = split_name(base)[1]  # the path as given (a tokenizer.json records none)
    extended.save(out, force=force)

    added = extended.provenance.params["added"]
    table = Table(title="tokkit extend", title_justify="left")
    table.add_column("base")
    table.add_column("tokens", justify="right")
    table.add_column("added", justify="right")
    table.add_column("saved to")
    table.add_row(escape(tokenizer.name), f"{tokenizer.vocab_size:,} -> {extended.vocab_size:,}", f"{added:,}", escape(str(out)))
    console.print(table)
    characters = extended.provenance.params["characters"]
    if characters:
        console.print(f"{characters:,} of them are characters the base spelled in bytes (or as unknown), added first",
                      highlight=False)
    if added < add:
        console.print(f"added {added:,} of the {add:,} tokens asked for: no other pair occurs {min_frequency} times or more "
                      "in the corpus", highlight=False)
    console.print(f"learned in {elapsed:.1f} s on {escape(corpus_obj.spec)}", highlight=False)
    if json_out is not None:
        write_json(json_out, {
            "base": base,
            "corpus": list(corpus),
            "add": add,
            "added": added,
            "characters": extended.provenance.params["characters"],
            "base_vocab_size": tokenizer.vocab_size,
            "vocab_size": extended.vocab_size,
            "first_new_id": extended.vocab_size - added,
            "out": str(out),
            "seconds": round(elapsed, 3),
        }, force=force)


def register(app: typer.Typer) -> None:
    app.command("extend", help=HELP)(extend_command)
