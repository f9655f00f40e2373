"""``tokkit train ALGO CORPUS...``: one subcommand per registered trainer.

Each subcommand's algorithm options are generated from the trainer's ``Options``
dataclass, so ``tokkit train superword --help`` lists exactly superword's options and a
trainer added through an entry point (``hybrid``) gets its subcommand for free.
"""

from __future__ import annotations

import dataclasses
import inspect
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, List, Optional

import typer
from rich.table import Table

from tokkit.cli.common import ENCODING_ERRORS_HELP, console, prepare_output, write_json
from tokkit.errors import TokkitError

EXAMPLES = """
Examples:

  tokkit train bpe corpus.txt --vocab-size 32000 --out tok/

  tokkit train bpe text:eng --vocab-size 8000,16000,32000 --out sweep/

  tokkit train superword text:eng --vocab-size 32000 --transition 0.8 --out super/

  tokkit train unigram data/*.txt.gz --vocab-size 16000 --budget 50MB --out uni/

  tokkit train supertoken big.txt --vocab-size 32000 --sample 0.25 --out st/
"""


def _whole(text: str, what: str, unit: str, example: str, scale: int = 1) -> int:
    """``text`` times ``scale`` as a whole number, or one line saying why it is none
    (``what`` is wrong; write ``example``).

    Read as an exact decimal, so ``1.001k`` is 1001 and ``1e30`` is 10^30 (floats give
    1000.9999999999999 and 1000000000000000019884624838656, and ``inf`` overflowed the
    conversion to int). Numbers past 10^100, far above any size or budget, are refused
    before they become integers (converting 1e1000000 takes a minute)."""
    try:
        number = Decimal(text.replace("_", ""))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        problem = "is not a number"
    elif number.adjusted() > 100:
        problem = "is too large"
    elif number * scale != (number * scale).to_integral_value():
        problem = f"is not a whole number of {unit}"
    else:
        return int(number * scale)
    raise TokkitError(f"{what} {problem} (write e.g. {example})")


def parse_sizes(value: str) -> list[int]:
    """``"8000,16k,32_000"`` -> [8000, 16000, 32000]; each a positive whole number (the
    trainer checks what it can reach)."""
    sizes = []
    for part in value.split(","):
        part = part.strip().lower()
        if part:
            scale = 1000 if part.endswith("k") else 1
            sizes.append(_whole(part.removesuffix("k"), f"vocabulary size '{part}'", "tokens", "32000 or 8000,16k", scale))
    if not sizes or any(s <= 0 for s in sizes):
        raise TokkitError(f"vocabulary sizes must be positive numbers, got '{value}'")
    return sizes


def parse_bytes(value: str | None) -> int | None:
    """``"50MB"``, ``"2G"``, ``"1000"`` -> a byte count (a whole number; the corpus checks
    that it is positive)."""
    if value is None:
        return None
    text = value.strip().upper().removesuffix("B")
    scale = {"K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}.get(text[-1:], 1)
    return _whole(text.rstrip("KMGT").strip(), f"--budget '{value}'", "bytes", "500MB or 2G", scale)


def parse_sample(value: str | None) -> int | float | None:
    """``"0.25"`` -> 0.25 (a fraction of the texts), ``"100000"`` or ``"100k"`` -> 100000 (a number of texts)."""
    if value is None:
        return None
    text = value.strip().lower().replace("_", "")
    try:
        if "." in text or "e" in text:
            return float(text)
        return int(float(text.rstrip("k")) * 1000) if text.endswith("k") else int(text)
    except ValueError:
        raise TokkitError(f"--sample '{value}' is neither a fraction (0.25) nor a number of texts (100000)") from None


def _option_parameter(field: dataclasses.Field) -> inspect.Parameter:
    """A typer option for one field of a trainer's Options dataclass."""
    flag = "--" + field.name.replace("_", "-")
    help_text = field.metadata.get("help", "")
    choices = field.metadata.get("choices")
    if choices:
        help_text += f" [{'|'.join(map(str, choices))}]"
    annotation = field.type if not isinstance(field.type, str) else {"str": str, "int": int, "float": float, "bool": bool}.get(field.type, str)
    if annotation is bool:
        decls = [f"{flag}/--no-{flag[2:]}"]
    else:
        decls = [flag]
    return inspect.Parameter(
        field.name,
        inspect.Parameter.KEYWORD_ONLY,
        default=typer.Option(field.default, *decls, help=help_text, rich_help_panel="Algorithm options"),
        annotation=annotation,
    )


def _make_command(name: str, trainer_cls):
    option_fields = dataclasses.fields(trainer_cls.Options)

    def command(**kwargs: Any) -> None:
        common = {k: kwargs.pop(k) for k in list(kwargs) if k in _COMMON}
        run_training(name, trainer_cls, kwargs, **common)

    common_params = [
        inspect.Parameter("corpus", inspect.Parameter.KEYWORD_ONLY, annotation=List[str],
                          default=typer.Argument(..., help="Corpus specs: files, folders, globs, .gz, file.jsonl:FIELD, or named corpora (text:eng, flores200:dev:eng_Latn, sample:eng).", show_default=False)),
        inspect.Parameter("vocab_size", inspect.Parameter.KEYWORD_ONLY, annotation=str,
                          default=typer.Option(..., "--vocab-size", "-v", help="One size, or several: 8000,16000,32000.")),
        inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, annotation=Path,
                          default=typer.Option(..., "--out", "-o", help="Output folder (one size), or a folder of vocab-SIZE/ folders (several).")),
        inspect.Parameter("seed", inspect.Parameter.KEYWORD_ONLY, annotation=int, default=typer.Option(0, help="Random seed; same corpus and seed give identical files.")),
        inspect.Parameter("force", inspect.Parameter.KEYWORD_ONLY, annotation=bool, default=typer.Option(False, "--force", help="Overwrite an existing --out.")),
        inspect.Parameter("budget", inspect.Parameter.KEYWORD_ONLY, annotation=Optional[str], default=typer.Option(None, help="Read at most this much text, e.g. 500MB.")),
        inspect.Parameter("sample", inspect.Parameter.KEYWORD_ONLY, annotation=Optional[str],
                          default=typer.Option(None, help="Train on a seeded sample of the texts (--seed): a fraction such as 0.25, or a number of texts such as 100000.")),
        inspect.Parameter("encoding_errors", inspect.Parameter.KEYWORD_ONLY, annotation=str,
                          default=typer.Option("strict", help=ENCODING_ERRORS_HELP)),
        inspect.Parameter("data_dir", inspect.Parameter.KEYWORD_ONLY, annotation=Optional[Path], default=typer.Option(None, help="Where named corpora live (default: $TOKKIT_DATA_DIR, then ~/.cache/tokkit/data).")),
        inspect.Parameter("json_out", inspect.Parameter.KEYWORD_ONLY, annotation=Optional[Path], default=typer.Option(None, "--json", help="Also write a JSON summary to this file ('-': standard output).")),
    ]
    params = common_params + [_option_parameter(f) for f in option_fields]
    command.__signature__ = inspect.Signature(params)
    command.__annotations__ = {p.name: p.annotation for p in params}
    command.__doc__ = f"Train {trainer_cls.summary}.\n{EXAMPLES}"
    return command


_COMMON = {"corpus", "vocab_size", "out", "seed", "force", "budget", "sample", "encoding_errors", "data_dir", "json_out"}


def run_training(name, trainer_cls, options, *, corpus, vocab_size, out, seed, force, budget, sample, encoding_errors, data_dir,
                 json_out) -> None:
    from tokkit.atomic import atomic_directory, check_output
    from tokkit.corpora import open_corpus
    from tokkit.progress import Progress

    sizes = parse_sizes(vocab_size)
    check_output(out, force)
    prepare_output(json_out, force)
    corpus_obj = open_corpus(corpus, data_dir=data_dir, budget=parse_bytes(budget), sample=parse_sample(sample), seed=seed,
                             errors=encoding_errors)
    trainer = trainer_cls(trainer_cls.Options(**options), seed=seed)
    started = time.perf_counter()
    progress = Progress()
    with progress.live():
        tokenizers = trainer.train(corpus_obj, sizes, progress)
    elapsed = time.perf_counter() - started
    with atomic_directory(out, force=force) as tmp:
        if len(tokenizers) == 1:
            (size, only), = tokenizers.items()
            only.write_into(tmp)
            paths = {size: out}
        else:
            paths = {}
            for size, tok in sorted(tokenizers.items()):
                (tmp / f"vocab-{size}").mkdir()
                tok.write_into(tmp / f"vocab-{size}")
                paths[size] = out / f"vocab-{size}"
    table = Table(title=f"tokkit train {name}", title_justify="left")
    table.add_column("vocab size", justify="right")
    table.add_column("saved to")
    for size, path in paths.items():
        table.add_row(f"{size:,}", str(path))
    console.print(table)
    console.print(f"trained in {elapsed:.1f} s on {corpus_obj.spec}")
    if json_out is not None:
        write_json(json_out, {
            "algorithm": name,
            "corpus": list(corpus),
            "seed": seed,
            "train_seconds": round(elapsed, 3),
            "tokenizers": {str(size): str(path) for size, path in paths.items()},
        }, force=force)


def register(app: typer.Typer) -> None:
    from tokkit.trainers import get_trainer, trainer_names

    train_app = typer.Typer(help=f"Train a tokenizer: tokkit train ALGO CORPUS... --vocab-size N --out DIR.\n{EXAMPLES}", no_args_is_help=True)
    for name in trainer_names():
        try:
            cls = get_trainer(name)
        except TokkitError:
            continue  # a slot whose package is not installed: `tokkit train --help` omits it
        train_app.command(name, help=f"Train {cls.summary}.\n{EXAMPLES}")(_make_command(name, cls))
    app.add_typer(train_app, name="train")
