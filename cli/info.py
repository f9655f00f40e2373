"""``tokkit info SPEC``: what a tokenizer is."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from tokkit.cli.common import prepare_output, console, write_json

SAMPLE = "Hello, world! Tokenizers split text: İstanbul'da 2024'te 東京 🎉"


def show_token(tokenizer, id: int) -> str:
    """A token for display: its bytes as text where they decode, escaped where they do not."""
    raw = tokenizer.token_bytes(id)
    if raw is None:
        return tokenizer.id_to_token(id)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return "".join(f"\\x{b:02x}" for b in raw)


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
        ids = tokenizer.encode(text)
        roles = {role: {"id": id, "token": tokenizer.id_to_token(id)} for role, id in tokenizer.specials.items()}
        prov = tokenizer.provenance.to_json() if tokenizer.provenance else None
        roundtrip = tokenizer.decode(ids) == text
        facts = {
            "spec": spec,
            "format": tokenizer.format,
            "vocab_size": tokenizer.vocab_size,
            "special_tokens": roles,
            "control_tokens": len(tokenizer.special_ids),
            "provenance": prov,
            "sample": {"text": text, "ids": ids, "tokens": [show_token(tokenizer, i) for i in ids], "roundtrip": roundtrip},
        }
        table = Table(show_header=False, title=f"tokkit info {spec}", title_justify="left")
        table.add_column(style="bold")
        table.add_column()
        table.add_row("format", tokenizer.format)
        table.add_row("vocab size", f"{tokenizer.vocab_size:,}")
        table.add_row("special tokens", ", ".join(f"{r}={v['token']!r} ({v['id']})" for r, v in roles.items()) or "none")
        table.add_row("control tokens", str(len(tokenizer.special_ids)))
        if prov:
            table.add_row("provenance", f"{prov['algorithm']} {prov.get('params') or ''}")
            if prov.get("corpus"):
                table.add_row("corpus", str(prov["corpus"].get("spec", prov["corpus"])))
        table.add_row("sample", text)
        table.add_row(f"{len(ids)} tokens", " │ ".join(facts["sample"]["tokens"]))
        table.add_row("round trip", "exact" if roundtrip else "[red]differs[/]")
        console.print(table)
        if json_out is not None:
            write_json(json_out, facts, force=force)
