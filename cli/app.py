"""The ``tokkit`` command: a thin typer app. Each command module parses options, calls the
library, and renders with rich; none holds library logic.

Command modules are listed in :data:`COMMAND_MODULES`; each defines ``register(app)``.
"""

from __future__ import annotations

import importlib
import os
import sys

# Libraries' own tqdm bars would draw over the commands' rich progress (transformers' GGUF
# conversion draws one that ignores its progress-bar switch). tqdm reads this at import,
# so it is set before any command module imports a library; a user's own setting wins.
os.environ.setdefault("TQDM_DISABLE", "1")

import typer

from tokkit.cli.common import run_cli

app = typer.Typer(
    name="tokkit",
    help="tokkit: train, evaluate and compare tokenizers; transplant language models; byte-level LM work.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

#: modules under tokkit.cli that add commands, in the order --help lists them
COMMAND_MODULES = [
    "train",
    "info",
    "eval",
    "vocab",
    "demo",
    "transplant",
    "bytes",
]

for _name in COMMAND_MODULES:
    importlib.import_module(f"tokkit.cli.{_name}").register(app)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the tokkit version and exit.", is_eager=True),
) -> None:
    if version:
        from tokkit import __version__

        typer.echo(__version__)
        raise typer.Exit()


def main() -> None:
    sys.exit(run_cli(app))
