"""``tokkit info SPEC``: what a tokenizer is."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from tokkit.cli.common import console, prepare_output, write_json
from tokkit.segments import segments, visible

SAMPLE = "Hello, world! Tokenizers split text: İstanbul'da 2024'te 東京 🎉"


def register(app: typer.Typer) -> None:
    @app.command()
    def info(
        spec: str = typer.Argument(..., help="A tokenizer: folder, tokenizer.json, .model, .tiktoken, .gguf, or hf:NAME."),
        text: str = typer.Option(SAMPLE, "--text", "-t", help="Text to show a sample encoding of."),
        json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the facts as JSON to this file ('-': standard output)."),
        force: bool = typer.Option(False, "--force", help="Overwrite an existing --json file."),
    ) -> None:
        """Show what a tokenizer is: format, vocabulary size, special tokens, provenance, a sample encoding.

        Examples:

          tokkit info tok/

          tokkit info ../shared/data/tokenizers/gguf/ggml-vocab-llama-bpe.gguf --text "print(sel"

          tokkit info cl100k_base.tiktoken --json info.json
        """
        import tokkit

        prepare_output(json_out, force)
        tokenizer = tokkit.load(spec)
        stored = tokkit.loading.file_format(spec)
        cut = segments(tokenizer, text)
        ids = [s.id for s in cut]
        roles = {role: {"id": id, "token": tokenizer.id_to_token(id)} for role, id in tokenizer.specials.items()}
        prov = tokenizer.provenance.to_json() if tokenizer.provenance else None
        roundtrip = tokenizer.decode(ids) == text
        facts = {
            "spec": spec,
            "format": stored,
            "backend": tokenizer.format,
            "vocab_size": tokenizer.vocab_size,
            "special_tokens": roles,
            "control_tokens": len(tokenizer.special_ids),
            "provenance": prov,
            "sample": {"text": text, "ids": ids, "tokens": [s.text for s in cut], "segments": [s.to_json() for s in cut],
                       "roundtrip": roundtrip},
        }
        table = Table(show_header=False, title=f"tokkit info {spec}", title_justify="left")
        table.add_column(style="bold")
        table.add_column()
        table.add_row("format", stored if stored == tokenizer.format else f"{stored} (runs as {tokenizer.format})")
        table.add_row("vocab size", f"{tokenizer.vocab_size:,}")
        table.add_row("special tokens", ", ".join(f"{r}={v['token']!r} ({v['id']})" for r, v in roles.items()) or "none")
        table.add_row("control tokens", str(len(tokenizer.special_ids)))
        if prov:
            table.add_row("provenance", f"{prov['algorithm']} {prov.get('params') or ''}")
            if prov.get("corpus"):
                table.add_row("corpus", str(prov["corpus"].get("spec", prov["corpus"])))
        table.add_row("sample", text)
        table.add_row(f"{len(ids)} tokens", " │ ".join(visible(s.text) for s in cut))
        table.add_row("round trip", "exact" if roundtrip else "[red]differs[/]")
        console.print(table)
        if json_out is not None:
            write_json(json_out, facts, force=force)
