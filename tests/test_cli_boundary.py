"""The CLI's error boundary (cli/common.py run_cli) and outputs that fail while written
(tokkit/atomic.py): one line and exit 1 for what the user or the system caused, a
traceback for a bug, nothing half-written."""

from __future__ import annotations

import errno
import os
import subprocess
import sys

import pytest
from conftest import cli, one_error_line

import tokkit
from tokkit.errors import TokkitError


@pytest.fixture(scope="module")
def tok_dir(tmp_path_factory, mixed_corpus):
    folder = tmp_path_factory.mktemp("tok") / "bpe"
    tokkit.train("bpe", mixed_corpus, 300)[300].save(folder)
    return folder


def a_panic() -> BaseException:
    """A real pyo3 PanicException: tiktoken's encoder panics on a repeated rank."""
    import tiktoken

    try:
        tiktoken.Encoding("x", pat_str=r"\S+", mergeable_ranks={b"a": 0, b"b": 0}, special_tokens={})
    except BaseException as exc:  # noqa: BLE001 - PanicException derives from BaseException
        return exc
    pytest.fail("tiktoken no longer panics on a repeated rank: find another panic")


def failing_load(exc: BaseException):
    def load(*args, **kwargs):
        raise exc
    return load


@pytest.mark.parametrize("make, line", [
    (lambda: OSError(errno.EIO, "Input/output error", "/data/corpus.txt"), "error: /data/corpus.txt: input/output error"),
    (lambda: PermissionError(errno.EACCES, "Permission denied"), "error: permission denied"),
    (a_panic, "error: a Rust library panicked: Encoder and decoder must be of equal length."),
])
def test_system_errors_and_rust_panics_are_one_line(tok_dir, capsys, monkeypatch, make, line):
    monkeypatch.setattr(tokkit, "load", failing_load(make()))
    code, _, err = cli(capsys, "info", tok_dir)
    assert code == 1 and one_error_line(err).startswith(line)


def test_a_bug_keeps_its_traceback_and_tokkit_traceback_shows_every_one(tok_dir, capsys, monkeypatch):
    monkeypatch.setattr(tokkit, "load", failing_load(ZeroDivisionError("a bug")))
    with pytest.raises(ZeroDivisionError):
        cli(capsys, "info", tok_dir)
    monkeypatch.setattr(tokkit, "load", failing_load(OSError(errno.EIO, "Input/output error")))
    monkeypatch.setenv("TOKKIT_TRACEBACK", "1")
    with pytest.raises(OSError):
        cli(capsys, "info", tok_dir)


@pytest.mark.parametrize("extra, seen", [({}, "0"), ({"TOKKIT_TRACEBACK": "1"}, "1")])
def test_the_installed_command_turns_rust_backtraces_off_unless_asked(extra, seen):
    """With RUST_BACKTRACE=1 in the environment a Rust abort or panic printed ~170 lines
    before tokkit's error line; the command sets it to 0 (TOKKIT_TRACEBACK keeps it)."""
    script = "import os; from tokkit.cli import app; app.run_cli = lambda a: print(os.environ['RUST_BACKTRACE']) or 0; app.main()"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env={**os.environ, "RUST_BACKTRACE": "1", **extra})
    assert result.returncode == 0 and result.stdout.strip() == seen


class DevFull:
    """``tempfile.mkstemp`` whose file is /dev/full: every write to it fails with the
    kernel's ENOSPC, as on a full disk, while the temporary path is a real file."""

    def __init__(self, monkeypatch):
        import tempfile

        real = tempfile.mkstemp
        self.paths = []

        def mkstemp(*args, **kwargs):
            fd, path = real(*args, **kwargs)
            os.close(fd)
            self.paths.append(path)
            return os.open("/dev/full", os.O_WRONLY), path

        monkeypatch.setattr(tempfile, "mkstemp", mkstemp)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_a_full_disk_while_a_file_is_written_is_one_line_and_leaves_nothing(tok_dir, tmp_path, capsys, monkeypatch):
    out = tmp_path / "info.json"
    full = DevFull(monkeypatch)
    code, _, err = cli(capsys, "info", tok_dir, "--json", out)
    assert code == 1 and one_error_line(err) == f"error: cannot write {out}: no space left on device"
    assert full.paths and list(tmp_path.iterdir()) == []  # neither the output nor the temporary file


def test_a_full_disk_while_a_folder_is_written_is_one_line_and_leaves_the_old_one(mixed_corpus, tmp_path, capsys, monkeypatch):
    """The Rust ``save`` reported ENOSPC as a bare Exception (a traceback); tokenizer.json
    is now written from Python, so the OSError reaches the atomic output."""
    from pathlib import Path

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(mixed_corpus.texts()), encoding="utf-8")
    out = tmp_path / "tok"
    out.mkdir()
    (out / "keep.txt").write_text("old")
    real = Path.write_text

    def full(self, *args, **kwargs):
        if self.name == "tokenizer.json":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    code, _, err = cli(capsys, "train", "bpe", corpus, "--vocab-size", "300", "--out", out, "--force")
    assert code == 1 and one_error_line(err) == f"error: cannot write {out}: no space left on device"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.txt", "tok"] and os.listdir(out) == ["keep.txt"]


def test_a_real_small_filesystem_fills_up_and_nothing_is_half_written(tok_dir, tmp_path):
    """A 64 KiB tmpfs, where mounting one is allowed (root, Linux); else skipped."""
    mount = tmp_path / "small"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        command = [sys.executable, "-m", "tokkit.cli", "train", "bpe", "sample:eng", "--vocab-size", "1500", "--out", str(mount / "tok")]
        result = subprocess.run(command, capture_output=True, text=True)
        assert result.returncode == 1 and result.stderr == f"error: cannot write {mount / 'tok'}: no space left on device\n"
        assert os.listdir(mount) == []
        with open(mount / "fill", "wb", buffering=0) as fill, pytest.raises(OSError):  # fill the disk up
            while True:
                fill.write(b"x" * 1024)
        result = subprocess.run([sys.executable, "-m", "tokkit.cli", "info", str(tok_dir), "--json", str(mount / "i.json")],
                                capture_output=True, text=True)
        assert result.returncode == 1 and result.stderr == f"error: cannot write {mount / 'i.json'}: no space left on device\n"
        assert os.listdir(mount) == ["fill"]
    finally:
        subprocess.run(["umount", str(mount)], check=True)


@pytest.mark.parametrize("command", [["info", "{tok}"], ["report", "{res}"]])
def test_a_file_output_onto_a_folder_is_one_line_even_with_force(tok_dir, tmp_path, capsys, command):
    results = tmp_path / "res.json"
    tokkit.evaluate([tokkit.load(tok_dir)], tokkit.corpora.open_corpus("sample:eng"), metrics=["ctc"]).write_json(results)
    folder = tmp_path / "a-folder"
    (folder / "inside").mkdir(parents=True)
    flag = "--json" if command[0] == "info" else "--out"
    args = [a.format(tok=tok_dir, res=results) for a in command]
    code, _, err = cli(capsys, *args, flag, folder, "--force", *(["--format", "md"] if command[0] == "report" else []))
    assert code == 1 and one_error_line(err) == f"error: {folder} is a folder; name a file to write"
    assert (folder / "inside").is_dir()


def test_atomic_file_refuses_a_folder_itself():
    from tokkit.atomic import atomic_file

    with pytest.raises(TokkitError, match="is a folder; name a file to write"):
        with atomic_file(os.getcwd(), force=True):
            pass
