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
from tokkit.errors import TokkitError, first_line

#: errors that are the user's to fix: print one line, exit 1, no traceback
USER_ERRORS = (TokkitError, CorpusError)

#: set (to anything) for the traceback of a failure that would be one line
TRACEBACK_VARIABLE = "TOKKIT_TRACEBACK"

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
    """Run the app and return its exit code. What a failure looks like is one rule:

    * the user's errors (:class:`TokkitError`, :class:`CorpusError`: a refused value, a
      missing file, an output that exists) are one line on stderr, exit 1;
    * the system's refusals (``OSError``: a full disk, no permission, a file removed while
      it was read) are one line, the OS's words and the file, exit 1: the user can act on
      them, and a traceback would only name the line that met them;
    * a Rust library's panic (pyo3's ``PanicException``, a ``BaseException``) is one line
      with the panic's message, exit 1 (Rust itself prints its own lines before it): its
      Python traceback ends at the call into Rust and says no more, and the line says
      that this is input tokkit should have refused;
    * usage errors (an unknown option, a missing argument, a value that is not of its
      option's type, such as ``1.5`` or ``1e9`` for a whole number) are click's message
      and usage line, exit 2;
    * Ctrl-C is ``interrupted``, exit 130 (typer turns a ``KeyboardInterrupt`` into a
      silent exit 130: the interrupt is found in the exception's chain);
    * anything else is a bug in tokkit and keeps its traceback.

    With ``TOKKIT_TRACEBACK`` set, the one-line kinds keep their tracebacks too.
    """
    command = tidy_help(typer.main.get_command(app))
    try:
        command.main(args=args, prog_name="tokkit")
    except SystemExit as exc:
        if _interrupted(exc):
            return _report_interrupt()
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        return _report_interrupt()
    except BaseException as exc:
        line = error_line(exc)
        if line is None or os.environ.get(TRACEBACK_VARIABLE):
            raise
        err_console.print(f"[bold red]error:[/] {escape(line)}", highlight=False, soft_wrap=True)
        return 1
    finally:
        console.stderr = False  # a --json - of this run moved it
    return 0


def error_line(exc: BaseException) -> str | None:
    """The one line a failure is shown as, or None for a bug (see :func:`run_cli`)."""
    if isinstance(exc, USER_ERRORS):
        return user_message(exc)
    if isinstance(exc, OSError):
        reason = (exc.strerror or first_line(exc)).lower()
        return f"{exc.filename}: {reason}" if exc.filename else reason
    if type(exc).__name__ == "PanicException" and type(exc).__module__ == "pyo3_runtime":
        return f"a Rust library panicked: {first_line(exc)} (input tokkit should have refused: please report it)"
    return None


def _interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` was caused, directly or through other exceptions, by Ctrl-C."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _report_interrupt() -> int:
    err_console.print("interrupted", highlight=False)
    return 130


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
        check_output(path, force, file=True)


def write_text(path: Path, text: str, force: bool) -> None:
    """Write ``text`` to standard output (``-``) or atomically to ``path``."""
    from tokkit.atomic import atomic_file

    if is_stdout(path):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    with atomic_file(path, force=force) as handle:
        handle.write(text)


#: ``--executor`` and ``--address``, shared by the commands that run units of work
EXECUTOR_HELP = ("Where the units run: local (this process), process (--jobs worker processes), or ray (Ray tasks: "
                 "on a Ray runtime started here, or on the cluster at --address; needs the cluster extra).")
ADDRESS_HELP = "The Ray cluster for --executor ray: auto (the one running here), HOST:6379, or ray://HOST:10001."


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
