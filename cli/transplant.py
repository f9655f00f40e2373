"""``tokkit transplant`` (move a causal LM onto a new tokenizer) and ``tokkit score``
(bits per byte of a causal LM on a corpus)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape
from rich.table import Table

from tokkit.cli.common import ENCODING_ERRORS_HELP, console, err_console, prepare_output, write_json

TRANSPLANT_HELP = """Move a pretrained causal LM onto a new tokenizer.

Shared tokens (same bytes) keep their rows, special tokens are matched by text, then by role, and every other row is estimated by --method (tokenadapt, local, global, mean, omp, random). The auxiliary space is --aux-model (any HF encoder, mean-pooled) or, by default, the model's own input embeddings.

Examples:

  tokkit transplant --model smollm2.gguf --tokenizer bpe32k/ --out smol-bpe32k/

  tokkit transplant --model ./llama --tokenizer tok.json --out new/ --method omp --device cuda

  tokkit transplant --model smollm2.gguf --tokenizer bpe32k/ --out out/ --aux-model ./all-MiniLM-L6-v2 --top-k 3 --temperature 0.3 --weight 0.3
"""

SCORE_HELP = """Score a causal LM on text in bits per byte (and per-token perplexity).

Each non-empty line is scored after the tokenizer's <|endoftext|> token (else its bos, else eos); bits per byte = total -log2 p of the line tokens / UTF-8 bytes. With --stream the lines are read as one text (each line, after its <|endoftext|>, with the lines before it as context).

Examples:

  tokkit score --model smol-bpe32k/ --corpus flores200:devtest:eng_Latn --limit 120

  tokkit score --model smol-bpe32k/ --corpus flores200:devtest:eng_Latn --limit 120 --stream

  tokkit score --model smollm2.gguf --corpus held_out.txt --json score.json
"""


def transplant_command(
    model: str = typer.Option(..., "--model", "-m", help="The model: a HF folder, a hub name, or a GGUF file."),
    tokenizer: str = typer.Option(..., "--tokenizer", "-t", help="The new tokenizer: anything tokkit.load reads (a folder, tokenizer.json, .model, .gguf, hf:NAME)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output model folder."),
    method: str = typer.Option("tokenadapt", help="tokenadapt, local, global, mean, omp or random."),
    aux_model: Optional[str] = typer.Option(None, "--aux-model", help="An HF encoder folder or hub name for the auxiliary space (default: the model's own input embeddings)."),
    aux_precision: str = typer.Option("auto", "--aux-precision", help="Precision of the auxiliary encoder: auto (bfloat16 where the hardware has it natively, else float32), float32 (exact) or bfloat16."),
    top_k: int = typer.Option(3, "--top-k", help="Neighbours in the global heuristic."),
    temperature: float = typer.Option(0.3, help="Softmax temperature of the local and global heuristics."),
    weight: float = typer.Option(0.3, help="Weight of the global estimate in tokenadapt."),
    threshold: float = typer.Option(0.6, help="Neighbours below this cosine are ignored."),
    omp_k: int = typer.Option(8, "--omp-k", help="Atoms per token in omp (capped at what can help: the old tokens, the auxiliary width)."),
    scale: float = typer.Option(0.9, help="Multiply estimated rows by this (1.0: the methods as published)."),
    pad_to_multiple: int = typer.Option(1, "--pad-to-multiple", help="Pad the vocabulary size to a multiple of this."),
    device: str = typer.Option("auto", help="auto (CUDA when present), cpu or cuda."),
    seed: int = typer.Option(0, help="Seed (the random method)."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Where auxiliary vectors are cached (default: $TOKKIT_CACHE_DIR, then ~/.cache/tokkit)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing --out."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the summary as JSON ('-': standard output)."),
) -> None:
    from tokkit.progress import Progress
    from tokkit.transplant import Settings, run

    prepare_output(json_out, force)
    settings = Settings(temperature=temperature, top_k=top_k, weight=weight, threshold=threshold, omp_k=omp_k, seed=seed, scale=scale)
    progress = Progress()
    with progress.live():
        summary = run(model, tokenizer, out, method=method, settings=settings, aux_model=aux_model, aux_precision=aux_precision,
                      device=device, pad_multiple=pad_to_multiple, cache_dir=cache_dir, force=force, progress=progress)
    for warning in summary.warnings:
        err_console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    table = Table(title=f"tokkit transplant ({method})", title_justify="left")
    table.add_column("what")
    table.add_column("value", justify="right")
    for key, value in summary.counts.items():
        table.add_row(key.replace("_", " "), f"{value:,}")
    for key, value in summary.seconds.items():
        table.add_row(f"{key} (s)", f"{value:.2f}")
    console.print(table)
    console.print(f"saved to {out}")
    if json_out is not None:
        write_json(json_out, summary.to_json(), force=force)


def score_command(
    model: str = typer.Option(..., "--model", "-m", help="A HF model folder, a hub name, or a GGUF file."),
    corpus: List[str] = typer.Option(..., "--corpus", "-c", help="Corpus specs (files, named corpora such as flores200:devtest:eng_Latn)."),
    tokenizer: Optional[str] = typer.Option(None, "--tokenizer", "-t", help="The tokenizer (default: the model's own)."),
    limit: Optional[int] = typer.Option(None, help="Score only the first N non-empty lines (N at least 1)."),
    stream: bool = typer.Option(False, "--stream", help="Read the lines as one text: each line with the lines before it as context."),
    device: str = typer.Option("auto", help="auto (CUDA when present), cpu or cuda."),
    data_dir: Optional[Path] = typer.Option(None, help="Where named corpora live (default: $TOKKIT_DATA_DIR)."),
    encoding_errors: str = typer.Option("strict", "--encoding-errors", help=ENCODING_ERRORS_HELP),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing --json file."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write the score and what was scored (model, tokenizer: null for the model's own, corpus, limit, lines) as JSON to this file ('-': standard output)."),
) -> None:
    from tokkit.progress import Progress
    from tokkit.transplant import score_corpus

    prepare_output(json_out, force)
    progress = Progress()
    with progress.live():
        result = score_corpus(model, corpus, tokenizer=tokenizer, limit=limit, stream=stream, device=device, data_dir=data_dir,
                              errors=encoding_errors, progress=progress)
    table = Table(title="tokkit score" + (" (the lines as one stream)" if stream else " (each line alone)"), title_justify="left")
    table.add_column("bits per byte", justify="right")
    table.add_column("token perplexity", justify="right")
    table.add_column("tokens", justify="right")
    table.add_column("bytes", justify="right")
    table.add_row(f"{result.bits_per_byte:.4f}", f"{result.token_perplexity:.3f}", f"{result.tokens:,}", f"{result.bytes:,}")
    console.print(table)
    if json_out is not None:
        from tokkit import __version__

        write_json(json_out, {**result.to_json(), "stream": stream, "model": model, "tokenizer": tokenizer, "corpus": list(corpus),
                              "limit": limit, "lines": result.lines, "tokkit_version": __version__}, force=force)


def register(app: typer.Typer) -> None:
    app.command("transplant", help=TRANSPLANT_HELP)(transplant_command)
    app.command("score", help=SCORE_HELP)(score_command)
