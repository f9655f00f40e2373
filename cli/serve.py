"""``tokkit serve [TOK...]``: the playground, a local web page (the library is :mod:`tokkit.playground`)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from tokkit.cli.common import console


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve_command(
        tokenizers: Optional[List[str]] = typer.Argument(None, help="Tokenizers to show (more can be added in the page): folders, tokenizer.json, .model, .tiktoken, .gguf, hf:NAME; NAME=SPEC names one."),
        host: str = typer.Option("127.0.0.1", "--host", help="The address to listen on (127.0.0.1: this machine only; 0.0.0.0 lets others on the network in)."),
        port: int = typer.Option(8000, "--port", "-p", help="The port to listen on (0: a free one)."),
        reports: Optional[Path] = typer.Option(None, "--reports", help="A folder whose results files (tokkit eval --json) and HTML reports the page lists and opens."),
    ) -> None:
        """A playground in the browser: type or paste text and see every tokenizer's pieces, tokens and bytes per token as you type.

        The page adds tokenizers by spec and opens the reports of --reports; it is self-contained and fetches nothing from the network. Ctrl+C stops the server.

        Examples:

          tokkit serve tok/ cl100k=cl100k_base.tiktoken

          tokkit serve llama3=ggml-vocab-llama-bpe.gguf --reports results/ --port 8765

          tokkit serve --port 0
        """
        from tokkit.errors import require
        from tokkit.playground import Playground, Server

        require("bottle", "serve")  # before loading anything
        playground = Playground(reports)
        for arg in tokenizers or []:
            playground.add(arg)
        server = Server(playground, host, port)
        names = ", ".join(entry.name for entry in playground.loaded()) or "none yet (add them in the page)"
        console.print(f"tokkit playground at [bold]{server.url}[/] with {names}; Ctrl+C stops it", highlight=False)
        if host not in ("127.0.0.1", "localhost", "::1"):
            console.print(f"[yellow]note:[/] listening on {host}: others on the network can open it and load tokenizers by path")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            console.print("stopped")
        finally:
            server.shutdown()
