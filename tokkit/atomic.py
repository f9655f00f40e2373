"""Outputs that are either complete or absent: write to a temporary path, then rename.

A write that fails (a full disk, a quota, a folder that became read-only) removes the
temporary path, leaves the output as it was, and is one line naming the output the user
asked for (``cannot write res.json: no space left on device``), not the temporary name.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from tokkit.errors import TokkitError


def _umask_mode(mode: int) -> int:
    """``mode`` as the process's umask would leave it (mkstemp/mkdtemp create 0600/0700)."""
    umask = os.umask(0)
    os.umask(umask)
    return mode & ~umask


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


def check_output(path: str | os.PathLike, force: bool, file: bool = False) -> Path:
    """Refuse an existing output unless ``force``; check now (before any long work) that
    its folder can be written, by creating it and a temporary file in it.

    ``file``: the output is a file, so a folder at its path is refused even with
    ``force`` (a file never replaces a folder and what it holds)."""
    path = Path(path)
    if file and path.is_dir():
        raise TokkitError(f"{path} is a folder; name a file to write")
    if path.exists() and not force:
        raise TokkitError(f"{path} exists; pass --force to overwrite it")
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=parent).close()
    except OSError as exc:
        raise TokkitError(f"cannot write to {parent}: {_reason(exc)}") from exc
    return path


@contextlib.contextmanager
def _written(path: Path) -> Iterator[None]:
    """An OSError while ``path`` is written becomes one line naming ``path``."""
    try:
        yield
    except OSError as exc:
        raise TokkitError(f"cannot write {path}: {_reason(exc)}") from exc


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike, force: bool = False) -> Iterator[Path]:
    """Yield a fresh temporary folder beside ``path``; on success it replaces ``path``.

    On any error the temporary folder is removed and ``path`` is left as it was.
    """
    path = check_output(path, force)
    with _written(path):
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
        try:
            yield tmp
            os.chmod(tmp, _umask_mode(0o777))
            if path.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old.", dir=path.parent))
                os.rename(path, old / "x") if path.is_dir() else os.replace(path, old / "x")
                os.rename(tmp, path)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.rename(tmp, path)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, force: bool = False, mode: str = "w", encoding: str | None = "utf-8"):
    """Open a temporary file beside ``path`` for writing; rename it onto ``path`` on success."""
    path = check_output(path, force, file=True)
    with _written(path):
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding) as handle:
                yield handle
            os.chmod(tmp, _umask_mode(0o666))
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
