"""What every command shares: the error boundary, consoles, JSON output, progress."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from tokkit.corpora import CorpusError
from tokkit.errors import TokkitError

#: errors that are the user's to fix: print one line, exit 1, no traceback
USER_ERRORS = (TokkitError, CorpusError)

#: library parameter names whose command-line flag is not ``--`` + the name with dashes
FLAGS = {"errors": "--encoding-errors", "vocab_sizes": "--vocab-size", "pad_multiple": "--pad-to-multiple", "fmt": "--format"}

# Piped output gets wide tables (rich would wrap them at 80 columns and cut names).
console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True)


def run_cli(app: typer.Typer, args: list[str] | None = None) -> int:
    """Run the app and return its exit code; a user error becomes one line on stderr and code 1.

    Usage errors (unknown options, missing arguments) are click's: it prints them with the
    usage line and exits 2. Ctrl-C prints ``interrupted`` and exits 130 (typer turns the
    ``KeyboardInterrupt`` into a silent exit 130; the interrupt is found in its chain).
    """
    try:
        app(args=args, prog_name="tokkit")
    except USER_ERRORS as exc:
        err_console.print(f"[bold red]error:[/] {escape(user_message(exc))}", highlight=False, soft_wrap=True)
        return 1
    except SystemExit as exc:
        if _interrupted(exc):
            return _report_interrupt()
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        return _report_interrupt()
    return 0


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
    parameter = getattr(exc, "parameter", None)
    if parameter is None:
        return str(exc)
    return f"{FLAGS.get(parameter, '--' + parameter.replace('_', '-'))} {exc.problem}"


#: ``--executor`` and ``--address``, shared by the commands that run units of work
EXECUTOR_HELP = ("Where the units run: local (this process), process (--jobs worker processes), or ray (Ray tasks: "
                 "on a Ray runtime started here, or on the cluster at --address; needs the cluster extra).")
ADDRESS_HELP = "The Ray cluster for --executor ray: auto (the one running here), HOST:6379, or ray://HOST:10001."


def write_json(path: Path, payload: Any, force: bool) -> None:
    """Write ``payload`` as JSON, atomically; refuse an existing file without ``force``."""
    from tokkit.atomic import atomic_file

    with atomic_file(path, force=force) as handle:
        json.dump(payload, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
