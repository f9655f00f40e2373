"""``tokkit transplant`` (move a causal LM onto a new tokenizer) and ``tokkit score``
(bits per byte of a causal LM on a corpus)."""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from tokkit.cli.common import console, err_console, prepare_output, write_json

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
    omp_k: int = typer.Option(8, "--omp-k", help="Atoms per token in omp."),
    scale: float = typer.Option(0.9, help="Multiply estimated rows by this (1.0: the methods as published)."),
    pad_to_multiple: int = typer.Option(1, "--pad-to-multiple", help="Pad the vocabulary size to a multiple of this."),
    device: str = typer.Option("auto", help="auto (CUDA when present), cpu or cuda."),
    seed: int = typer.Option(0, help="Seed (the random method)."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Where auxiliary vectors are cached (default: $TOKKIT_CACHE_DIR, then ~/.cache/tokkit)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing --out."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the summary as JSON ('-': standard output)."),
) -> None:
    import tokkit
    from tokkit.atomic import check_output
    from tokkit.progress import Progress
    from tokkit.causal_lm import load_causal_lm, load_lm_tokenizer, resolve_device
    from tokkit.transplant import aux_space, methods, pipeline, saving, surgery

    check_output(out, force)
    prepare_output(json_out, force)
    surgery.check_pad_multiple(pad_to_multiple)  # before the long work, not after it
    settings = methods.Settings(temperature=temperature, top_k=top_k, weight=weight, threshold=threshold, omp_k=omp_k, seed=seed, scale=scale)
    chosen = methods.get_method(method, settings)
    device = resolve_device(device)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    new = tokkit.load(tokenizer)
    old = load_lm_tokenizer(model)
    seconds["load tokenizers"] = time.perf_counter() - clock
    progress = Progress()
    with progress.live():
        # the auxiliary encoder first: its bad options should fail before the slow model load
        encoder = aux_space.Encoder(aux_model, device, cache_dir, precision=aux_precision) if aux_model else None
        clock = time.perf_counter()
        task = progress.add("loading model")
        lm = load_causal_lm(model, device)
        task.done()
        seconds["load model"] = time.perf_counter() - clock
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = pipeline.transplant(lm, old, new, chosen, encoder, device, pad_to_multiple, progress)
        clock = time.perf_counter()
        task = progress.add("saving")
        saving.save(lm, new, out, result.chat_template, force=force)
        task.done()
        seconds["save"] = time.perf_counter() - clock
    for warning in caught:
        err_console.print(f"[yellow]warning:[/] {warning.message}", highlight=False)
    seconds.update(result.seconds)
    table = Table(title=f"tokkit transplant ({method})", title_justify="left")
    table.add_column("what")
    table.add_column("value", justify="right")
    for key, value in result.counts.items():
        table.add_row(key.replace("_", " "), f"{value:,}")
    for key, value in seconds.items():
        table.add_row(f"{key} (s)", f"{value:.2f}")
    console.print(table)
    if result.dropped_template_tokens:
        err_console.print(f"[yellow]warning:[/] chat template not carried over: the new vocabulary lacks {', '.join(result.dropped_template_tokens)}", highlight=False)
    console.print(f"saved to {out}")
    if json_out is not None:
        write_json(json_out, {"method": method, "model": model, "tokenizer": tokenizer, "out": str(out), "counts": result.counts,
                              "seconds": {k: round(v, 3) for k, v in seconds.items()}, "config": result.config,
                              "chat_template_carried": result.chat_template is not None}, force=force)


def score_command(
    model: str = typer.Option(..., "--model", "-m", help="A HF model folder, a hub name, or a GGUF file."),
    corpus: List[str] = typer.Option(..., "--corpus", "-c", help="Corpus specs (files, named corpora such as flores200:devtest:eng_Latn)."),
    tokenizer: Optional[str] = typer.Option(None, "--tokenizer", "-t", help="The tokenizer (default: the model's own)."),
    limit: Optional[int] = typer.Option(None, help="Score only the first N non-empty lines."),
    stream: bool = typer.Option(False, "--stream", help="Read the lines as one text: each line with the lines before it as context."),
    device: str = typer.Option("auto", help="auto (CUDA when present), cpu or cuda."),
    data_dir: Optional[Path] = typer.Option(None, help="Where named corpora live (default: $TOKKIT_DATA_DIR)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing --json file."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write the score and what was scored (model, tokenizer: null for the model's own, corpus, limit, lines) as JSON to this file ('-': standard output)."),
) -> None:
    import tokkit
    from tokkit.corpora import open_corpus
    from tokkit.progress import Progress
    from tokkit.causal_lm import load_causal_lm, load_lm_tokenizer, resolve_device
    from tokkit.transplant import scoring

    prepare_output(json_out, force)
    device = resolve_device(device)
    tok = tokkit.load(tokenizer) if tokenizer else load_lm_tokenizer(model)
    lines = [line for text in open_corpus(corpus, data_dir=data_dir).texts() for line in text.splitlines() if line.strip()]
    lines = lines[:limit] if limit else lines
    progress = Progress()
    with progress.live():
        task = progress.add("loading model")
        lm = load_causal_lm(model, device)
        task.done()
        result = scoring.score(lm, tok, lines, device, progress, stream=stream)
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
                              "limit": limit, "lines": len(lines), "tokkit_version": __version__}, force=force)


def register(app: typer.Typer) -> None:
    app.command("transplant", help=TRANSPLANT_HELP)(transplant_command)
    app.command("score", help=SCORE_HELP)(score_command)
