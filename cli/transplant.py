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

Shared tokens (same bytes) keep their rows, special tokens are matched by text, then by role, and every other row is estimated by --method (local, the default: TokenAdapt's similarity-weighted pieces; tokenadapt, global, mean, omp, random). The auxiliary space is --aux-model (any HF encoder, mean-pooled) or, by default, the model's own input embeddings.

Then --learn trains the estimated rows on the raw text of --learn-corpus, everything else frozen: distill (the old model reading the old tokenization is the teacher, AweDist) or tune (the language-model loss; --learn-params embeddings or lora train more). The first --learn-held-out lines of the corpus are not learned from; their bits per byte are shown before and after.

Examples:

  tokkit transplant --model smollm2.gguf --tokenizer bpe32k/ --out smol-bpe32k/

  tokkit transplant --model smollm2.gguf --tokenizer bpe32k/ --out smol-bpe32k/ --learn distill --learn-corpus text:eng --learn-steps 40

  tokkit transplant --model smollm2.gguf --tokenizer tur32k/ --out smol-tur/ --learn tune --learn-corpus tur.txt --learn-params lora

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
    method: str = typer.Option("local", help="local, tokenadapt, global, mean, omp or random."),
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
    learn: str = typer.Option("none", "--learn", help="Then learn the estimated rows: distill, tune or none."),
    learn_corpus: Optional[List[str]] = typer.Option(None, "--learn-corpus", help="Raw text to learn from (files, named corpora such as text:eng)."),
    learn_steps: int = typer.Option(40, "--learn-steps", help="Optimiser steps."),
    learn_params: str = typer.Option("rows", "--learn-params", help="What trains: rows (the estimated rows), embeddings (every embedding row) or lora (the rows and LoRA adapters; tune only)."),
    learn_rate: float = typer.Option(3e-3, "--learn-rate", help="Adam's learning rate."),
    learn_batch: int = typer.Option(8, "--learn-batch", help="Lines per step."),
    learn_length: int = typer.Option(64, "--learn-length", help="Lines are packed into examples of at most this many new tokens (a longer line is cut)."),
    learn_layer: int = typer.Option(4, "--learn-layer", help="distill: the hidden layer matched (from 1; 0: the last)."),
    learn_held_out: int = typer.Option(32, "--learn-held-out", help="Lines at the start of --learn-corpus not learned from, scored before and after (0: none)."),
    learn_lora_rank: int = typer.Option(8, "--learn-lora-rank", help="The LoRA adapters' rank (--learn-params lora)."),
    learn_lora_targets: str = typer.Option("attention", "--learn-lora-targets", help="Where the LoRA adapters go: attention (the attention projections) or all-linear (every linear layer)."),
    data_dir: Optional[Path] = typer.Option(None, help="Where named corpora live (default: $TOKKIT_DATA_DIR)."),
    carry_specials: bool = typer.Option(True, "--carry-specials/--no-carry-specials", help="Add the control tokens of the model's chat template (<|im_start|>, ...) that the new tokenizer lacks, with the model's rows, so the template goes along."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing --out."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the summary as JSON ('-': standard output)."),
) -> None:
    from tokkit.progress import Progress
    from tokkit.transplant import LearnSettings, Settings, run

    prepare_output(json_out, force)
    settings = Settings(temperature=temperature, top_k=top_k, weight=weight, threshold=threshold, omp_k=omp_k, seed=seed, scale=scale)
    learn_settings = LearnSettings(steps=learn_steps, params=learn_params, rate=learn_rate, batch=learn_batch, length=learn_length,
                                   layer=learn_layer, held_out=learn_held_out, lora_rank=learn_lora_rank,
                                   lora_targets=learn_lora_targets, seed=seed)
    progress = Progress()
    with progress.live():
        summary = run(model, tokenizer, out, method=method, settings=settings, aux_model=aux_model, aux_precision=aux_precision,
                      device=device, pad_multiple=pad_to_multiple, cache_dir=cache_dir, force=force, learn=learn,
                      learn_corpus=learn_corpus, learn_settings=learn_settings, data_dir=data_dir,
                      carry_specials=carry_specials, progress=progress)
    for warning in summary.warnings:
        err_console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    table = Table(title=f"tokkit transplant ({method})", title_justify="left")
    table.add_column("what")
    table.add_column("value", justify="right")
    for key, value in summary.counts.items():
        table.add_row(key.replace("_", " "), f"{value:,}")
    learned = summary.learned
    if learned is not None:
        s = learned.settings
        adapters = f" rank {s.lora_rank} on {s.lora_targets}" if s.params == "lora" else ""
        table.add_row(f"rows learned ({learned.method}, {s.params}{adapters})", f"{learned.rows:,}")
        table.add_row("loss, first step → last", f"{learned.first_loss:.4f} → {learned.last_loss:.4f}")
        if learned.before is not None:
            table.add_row("held-out bits per byte, before → after", f"{learned.before:.4f} → {learned.after:.4f}")
    for key, value in summary.seconds.items():
        table.add_row(f"{key} (s)", f"{value:.2f}")
    console.print(table)
    if summary.relation:
        console.print(summary.relation, highlight=False)
    if learned is not None and learned.before is not None:
        console.print(f"held out: {escape(learned.held_out)}", highlight=False)
    if summary.specials_added:
        console.print(f"special tokens added for the chat template: {escape(', '.join(summary.specials_added))}", highlight=False)
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
