"""``tokkit vocab TOK...``: what vocabularies hold, and what they share."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from tokkit.cli.common import console, prepare_output, write_json, wrote

#: the longest token length (bytes) the histogram shows on a row of its own
LONGEST_ROW = 16


def register(app: typer.Typer) -> None:
    @app.command("vocab")
    def vocab_command(
        tokenizers: List[str] = typer.Argument(..., help="Tokenizers: folders, tokenizer.json, .model, .tiktoken, .gguf, hf:NAME; NAME=SPEC names a column."),
        scripts: int = typer.Option(6, "--scripts", help="How many scripts to list for each tokenizer."),
        json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the profiles and overlaps as JSON to this file ('-': standard output)."),
        force: bool = typer.Option(False, "--force", help="Overwrite an existing --json file."),
    ) -> None:
        """What vocabularies hold: token lengths, the scripts of their tokens, and the tokens they share.

        Tokens are compared by the bytes they stand for, so vocabularies with different
        space conventions (Ġ, ▁, raw bytes) compare.

        Examples:

          tokkit vocab tok/ $TOKKIT_DATA_DIR/tokenizers/tiktoken/cl100k_base.tiktoken

          tokkit vocab a/ b/ mistral-v3.model --scripts 10 --json vocab.json
        """
        from tokkit.checks import check_number
        from tokkit.loading import load_named
        from tokkit.progress import Progress
        from tokkit.vocabulary import analyse

        check_number("scripts", scripts, at_least=1, whole=True)
        prepare_output(json_out, force)
        progress = Progress()
        with progress.live():
            task = progress.add("loading", total=len(tokenizers))
            loaded = []
            for spec in tokenizers:
                task.update(description=f"loading {spec}")
                loaded.append(load_named(spec))
                task.advance()
            task.update(description="reading the vocabularies")
            report = analyse(loaded)
            task.done()
        console.print(_profiles(report, scripts))
        console.print(_lengths(report))
        if len(report.profiles) > 1:
            console.print(_shared(report))
        if json_out is not None:
            write_json(json_out, report.to_json(), force=force)
            wrote(json_out)


def _profiles(report, scripts: int) -> Table:
    from tokkit.scripts import script_name

    table = Table(title="vocabularies (tokens counted by their bytes)", title_justify="left")
    for column, justify in (("tokenizer", "left"), ("ids", "right"), ("tokens", "right"), ("mean bytes", "right"),
                            ("longest", "right"), ("scripts of its tokens", "left")):
        table.add_column(column, justify=justify)
    for p in report.profiles:
        shares = list(p.script_shares().items())
        shown = ", ".join(f"{script_name(s)} {share:.1%}" for s, share in shares[:scripts])
        more = f" and {len(shares) - scripts} more" if len(shares) > scripts else ""
        table.add_row(p.name, f"{p.ids:,}", f"{p.tokens:,}", f"{p.mean_bytes():.2f}", str(max(p.byte_lengths, default=0)),
                      shown + more)
    return table


def _lengths(report) -> Table:
    table = Table(title="token lengths in bytes (share of tokens)", title_justify="left")
    table.add_column("bytes", justify="right")
    for p in report.profiles:
        table.add_column(p.name, justify="right")
    for n in range(1, LONGEST_ROW + 1):
        label = f"{n}+" if n == LONGEST_ROW else str(n)
        cells = []
        for p in report.profiles:
            count = sum(k for length, k in p.byte_lengths.items() if (length >= n if n == LONGEST_ROW else length == n))
            cells.append(f"{count / max(1, p.tokens):.1%}")
        table.add_row(label, *cells)
    return table


def _shared(report) -> Table:
    names = [p.name for p in report.profiles]
    table = Table(title="shared tokens, by bytes (share of the row's tokens)", title_justify="left")
    table.add_column("tokens of", style="cyan")
    for name in names:
        table.add_column(f"in {name}", justify="right")
    for p in report.profiles:
        table.add_row(p.name, *("–" if b == p.name else f"{report.shared[p.name][b] / max(1, p.tokens):.1%} "
                                f"({report.shared[p.name][b]:,})" for b in names))
    return table
