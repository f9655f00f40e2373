"""What every command shares: the error boundary, consoles, JSON output, help placeholders."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, List, get_args, get_origin

import typer
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement

from tokkit.corpora import CorpusError
from tokkit.errors import TokkitError

#: errors that are the user's to fix: print one line, exit 1, no traceback
USER_ERRORS = (TokkitError, CorpusError)

#: library parameter names whose command-line flag is not ``--`` + the name with dashes
FLAGS = {"errors": "--encoding-errors", "vocab_sizes": "--vocab-size", "pad_multiple": "--pad-to-multiple", "fmt": "--format",
         "precision": "--aux-precision"}

#: the help of ``--encoding-errors``, which every command that reads a corpus has
ENCODING_ERRORS_HELP = "Invalid UTF-8 in the corpus: strict (stop with the file and byte offset), replace (U+FFFD) or skip (drop the line)."

#: the ``--json`` value that means standard output
STDOUT = "-"


class _Console(Console):
    """A console that, writing to a pipe or a file, prints each thing at its natural width.

    rich wraps output that is not a terminal at 80 columns, which cuts tables and
    tokenizer names; a fixed large width pads every line to it instead. So where the
    output is not a terminal and ``$COLUMNS`` does not set a width, each ``print``
    measures what it prints and uses exactly that width.
    """

    def print(self, *objects: Any, **kwargs: Any) -> None:
        if not objects or "width" in kwargs or self.is_terminal or "COLUMNS" in os.environ:
            super().print(*objects, **kwargs)
            return
        options = self.options.update_width(100_000)
        self.width = max(1, max(Measurement.get(self, options, o).maximum for o in objects))
        try:
            super().print(*objects, **kwargs)
        finally:
            self.width = None  # back to rich's own choice


#: the results a command shows (standard output; standard error while ``--json -`` holds it)
console = _Console()
err_console = Console(stderr=True)


def run_cli(app: typer.Typer, args: list[str] | None = None) -> int:
    """Run the app and return its exit code; a user error becomes one line on stderr and code 1.

    Usage errors (unknown options, missing arguments) are click's: it prints them with the
    usage line and exits 2.
    """
    command = tidy_help(typer.main.get_command(app))
    try:
        command.main(args=args, prog_name="tokkit")
    except USER_ERRORS as exc:
        err_console.print(f"[bold red]error:[/] {escape(user_message(exc))}", highlight=False, soft_wrap=True)
        return 1
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    finally:
        console.stderr = False  # a --json - of this run moved it
    return 0


def user_message(exc: Exception) -> str:
    """The line a user sees: a refused parameter is named by its flag (``--max-bytes must
    be at least 1, not 0``), anything else by its own message."""
    remedies = getattr(exc, "remedies", None)
    if remedies is not None:
        return f"{exc.problem}: train on part of it with " + " or ".join(f"{flag(k)} {v}" for k, v in remedies.items())
    parameter = getattr(exc, "parameter", None)
    if parameter is None:
        return str(exc)
    return f"{flag(parameter)} {exc.problem}"


def flag(parameter: str) -> str:
    """The command-line flag of a library parameter."""
    return FLAGS.get(parameter, "--" + parameter.replace("_", "-"))


# -- JSON output -------------------------------------------------------------------------
def is_stdout(path: Path | str | None) -> bool:
    """Whether an output option names standard output (``-``)."""
    return path is not None and str(path) == STDOUT


def prepare_output(path: Path | None, force: bool) -> None:
    """Before the work: refuse an existing output file (``--json``) without ``force``. With
    ``-`` (standard output) the command's human output moves to standard error, so that
    standard output holds the output alone (valid JSON, for ``--json -``)."""
    from tokkit.atomic import check_output

    if is_stdout(path):
        console.stderr = True
    elif path is not None:
        check_output(path, force)


def write_text(path: Path, text: str, force: bool) -> None:
    """Write ``text`` to standard output (``-``) or atomically to ``path``."""
    from tokkit.atomic import atomic_file

    if is_stdout(path):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    with atomic_file(path, force=force) as handle:
        handle.write(text)


def write_json(path: Path, payload: Any, force: bool) -> None:
    """Write ``payload`` as JSON to ``path`` (atomically) or to standard output (``-``)."""
    write_text(path, json.dumps(payload, indent=2, ensure_ascii=False) + "\n", force)


def wrote(path: Path) -> None:
    """Say that an output was written (nothing for standard output, which shows it)."""
    if not is_stdout(path):
        console.print(f"wrote {path}")


# -- help --------------------------------------------------------------------------------
#: the placeholder ``--help`` shows for an option's value, by the value's type
PLACEHOLDERS = {str: "TEXT", int: "INTEGER", float: "NUMBER", Path: "PATH"}


def tidy_help(command) -> Any:
    """Show conventional placeholders in ``--help`` instead of Python types.

    typer writes each parameter's Python annotation as its placeholder (``--force <bool>``,
    ``spec <str>``, ``--corpus <list[str]>``), so a flag looks as if it took a value. Here
    a flag shows none, an option the kind of value it takes (``TEXT``, ``INTEGER``,
    ``NUMBER``, ``PATH``), and an argument its name alone. typer asks each parameter for
    its placeholder through ``display_type_rich``; this sets that on the command's own
    parameter objects (made afresh for each run), for every command under ``command``,
    and on each ``--help`` option as click makes it.
    """
    for param in command.params:
        param.display_type_rich = _placeholder(param)
    make_help_option = command.get_help_option

    def get_help_option(ctx):
        option = make_help_option(ctx)
        if option is not None:
            option.display_type_rich = _placeholder(option)
        return option

    command.get_help_option = get_help_option
    for sub in getattr(command, "commands", {}).values():
        tidy_help(sub)
    return command


def _placeholder(param):
    if param.param_type_name == "argument" or getattr(param, "is_flag", False) or getattr(param, "count", False):
        shown = None
    else:
        annotation = param.type_descriptor.annotation
        element = get_args(annotation)[0] if get_origin(annotation) in (list, List) else annotation
        shown = PLACEHOLDERS.get(element, "VALUE")
    return lambda ctx=None: shown
