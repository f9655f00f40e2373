"""Every command's --help: placeholders a user can read, help for every option, examples."""

from __future__ import annotations

import re

import pytest
import typer

from conftest import cli
from tokkit.cli.app import app
from tokkit.cli.common import tidy_help


def _commands(command, path=()):
    """(path, click command) for the app, every group and every command under it."""
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(tidy_help(typer.main.get_command(app))))
#: a Python-type placeholder as typer writes it: <bool>, <str>, <list[str]>, <path>
TYPE_PLACEHOLDER = re.compile(r"<(bool|str|int|float|path|list\[[^\]]*\])>")


def test_every_command_is_covered():
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"", "train", "train bpe", "bytes", "bytes next", "eval", "info", "tokenize", "serve"} <= names


@pytest.mark.parametrize("path", [path for path, _ in COMMANDS], ids=lambda p: " ".join(p) or "tokkit")
def test_help_reads_well(capsys, path):
    command = dict(COMMANDS)[path]
    code, out, err = cli(capsys, *path, "--help")
    assert code == 0, err
    assert not TYPE_PLACEHOLDER.search(out), out
    assert "Examples:" in out
    examples = [line.strip() for line in out.split("Examples:", 1)[1].splitlines() if line.strip().startswith("tokkit ")]
    assert examples, out
    for param in command.params:
        if param.param_type_name == "option":
            assert (param.help or "").strip(), f"{' '.join(path)} {param.opts[0]} has no help text"


def test_a_flag_shows_no_value_and_an_option_shows_its_kind(capsys):
    _, out, _ = cli(capsys, "info", "--help")
    options = out.split("Options", 1)[1]
    force = next(line for line in options.splitlines() if "--force" in line)
    assert "TEXT" not in force and "PATH" not in force
    text = next(line for line in options.splitlines() if "--text" in line)
    assert "TEXT" in text


def test_version_and_python_dash_m(capsys):
    import subprocess
    import sys

    from tokkit import __version__

    code, out, _ = cli(capsys, "--version")
    assert code == 0 and out.strip() == f"tokkit {__version__}"
    run = subprocess.run([sys.executable, "-m", "tokkit", "--version"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == f"tokkit {__version__}", run.stderr
