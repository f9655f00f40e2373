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

from tokkit.cli.common import TRACEBACK_VARIABLE, run_cli

HELP = """tokkit: train, evaluate and compare tokenizers; transplant language models; byte-level LM work.

Examples:

  tokkit demo

  tokkit train bpe text:eng --vocab-size 8000,16000 --out tok/

  tokkit tokenize tok/vocab-16000 cl100k=cl100k_base.tiktoken --text "İstanbul'da 2024'te"

  tokkit eval tok/vocab-16000 --corpus flores200:devtest --json -

  tokkit serve tok/vocab-16000 --reports results/
"""

app = typer.Typer(
    name="tokkit",
    help=HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

#: modules under tokkit.cli that add commands, in the order --help lists them
COMMAND_MODULES = [
    "train",
    "extend",
    "info",
    "tokenize",
    "serve",
    "eval",
    "vocab",
    "demo",
    "transplant",
    "bytes",
]

for _name in COMMAND_MODULES:
    importlib.import_module(f"tokkit.cli.{_name}").register(app)


def _print_version(value: bool) -> None:
    """``--version``: an eager option's callback runs while the options are parsed, before
    click asks for a command (a check in the group's body would run only after one)."""
    if value:
        from tokkit import __version__

        typer.echo(f"tokkit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the tokkit version and exit.", is_eager=True,
                                 callback=_print_version, expose_value=False),
) -> None:
    pass


def main() -> None:
    # a Rust panic or abort prints its own lines before tokkit's error line; without this,
    # a RUST_BACKTRACE=1 in the environment adds a backtrace of a hundred lines or more
    if not os.environ.get(TRACEBACK_VARIABLE):
        os.environ["RUST_BACKTRACE"] = "0"
    sys.exit(run_cli(app))
