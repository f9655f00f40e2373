"""``tokkit tokenize TOK... --text T | --file F``: how several tokenizers cut one text, side by side."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table
from rich.text import Text

from tokkit.cli.common import console, prepare_output, write_json
from tokkit.errors import TokkitError

#: the backgrounds consecutive pieces alternate between, so that boundaries show
PIECE_STYLES = ("black on #ffd6a5", "black on #caffbf", "black on #9bf6ff", "black on #bdb2ff", "black on #ffc6ff")
#: how each kind of segment (tokkit.segments.KINDS) stands out from plain text
KIND_STYLES = {"text": "", "bytes": "italic #7a0099", "special": "bold", "marker": "italic #555555"}
#: what separates pieces where the output has no colour (a pipe, a file, NO_COLOR)
SEPARATOR = "│"

LEGEND = ("pieces alternate colours (│ between them without colour); · space, ⏎ newline, → tab; "
          "<E6>: a byte of a character that several tokens share; bold: a control token; italic grey: a marker")


def read_text(text: str | None, file: Path | None) -> str:
    """The text to tokenize: ``--text``, or ``--file`` (``-``: standard input), exactly one."""
    if (text is None) == (file is None):
        raise TokkitError("give the text to tokenize: --text TEXT or --file PATH (- for standard input), one of them")
    if text is not None:
        return text
    try:
        raw = sys.stdin.buffer.read() if str(file) == "-" else Path(file).read_bytes()
    except OSError as exc:
        raise TokkitError(f"cannot read {file}: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TokkitError(f"{file} is not valid UTF-8 (byte offset {exc.start})") from None


def pieces(cut, coloured: bool) -> Text:
    """The segments as one line of text: alternating backgrounds, or separators without colour."""
    from tokkit.segments import visible

    line = Text()
    for i, segment in enumerate(cut):
        style = f"{PIECE_STYLES[i % len(PIECE_STYLES)]} {KIND_STYLES[segment.kind]}" if coloured else KIND_STYLES[segment.kind]
        line.append(visible(segment.text), style=style.strip() or None)
        if not coloured and i + 1 < len(cut):
            line.append(SEPARATOR, style="dim")
        if segment.kind == "text" and segment.text.endswith("\n") and i + 1 < len(cut):
            line.append("\n")  # the layout follows the text's lines
    return line


def register(app: typer.Typer) -> None:
    @app.command("tokenize")
    def tokenize_command(
        tokenizers: List[str] = typer.Argument(..., help="Tokenizers: folders, tokenizer.json, .model, .tiktoken, .gguf, hf:NAME; NAME=SPEC names a row."),
        text: Optional[str] = typer.Option(None, "--text", "-t", help="The text to tokenize."),
        file: Optional[Path] = typer.Option(None, "--file", "-f", help="Tokenize this UTF-8 file as one text ('-': standard input)."),
        ids: bool = typer.Option(True, "--ids/--no-ids", help="Show each tokenizer's ids under its pieces."),
        json_out: Optional[Path] = typer.Option(None, "--json", help="Write every tokenizer's ids, pieces and counts as JSON to this file ('-': standard output)."),
        force: bool = typer.Option(False, "--force", help="Overwrite an existing --json file."),
    ) -> None:
        """Show how tokenizers cut a text, side by side: pieces with their boundaries, ids, tokens, bytes and characters per token.

        Each piece is the text its token covers: a space shows as ·, a newline as ⏎, a byte of a character that several tokens share as <E6>, a control token by its name.

        Examples:

          tokkit tokenize tok/ cl100k_base.tiktoken --text "Tokenizers split text: İstanbul'da 2024'te 東京 🎉"

          tokkit tokenize mine=tok/ llama3=ggml-vocab-llama-bpe.gguf --file README.md --no-ids

          echo "def fib(n):" | tokkit tokenize cl100k_base.tiktoken --file - --json -
        """
        from tokkit.loading import load_named, split_name
        from tokkit.segments import tokenization

        prepare_output(json_out, force)
        body = read_text(text, file)
        loaded = [(split_name(arg)[1], load_named(arg)) for arg in tokenizers]
        results = [tokenization(tok, body) for _, tok in loaded]
        coloured = console.color_system is not None
        table = Table(show_lines=True)
        table.add_column("tokenizer", style="bold")
        for column in ("tokens", "bytes/token", "chars/token"):
            table.add_column(column, justify="right")
        table.add_column("pieces" + (" and ids" if ids else ""))
        for result in results:
            shown = pieces(result.segments, coloured)
            if ids:
                shown.append("\n" + " ".join(map(str, result.ids)), style="dim")
            if not result.roundtrip:
                shown.append("\nthese ids decode to a different text", style="red")
            table.add_row(result.name, f"{result.tokens:,}", _ratio(result.bytes_per_token), _ratio(result.chars_per_token), shown)
        console.print(f"{results[0].chars:,} characters, {results[0].bytes:,} bytes", highlight=False)
        console.print(table)
        console.print(Text(LEGEND, style="dim"))
        if json_out is not None:
            payload = {"text": body, "bytes": results[0].bytes, "chars": results[0].chars,
                       "tokenizers": [{**r.to_json(), "spec": spec} for r, (spec, _) in zip(results, loaded)]}
            write_json(json_out, payload, force)


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"
