"""Progress display for long work: a thin, optional layer over ``rich.progress``.

Library functions take ``progress: Progress | None``; ``None`` means silent (tests, the
Python API by default). The CLI passes a live one that draws on stderr.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as RichProgress


class Task:
    """One line on the display."""

    def __init__(self, progress: RichProgress, task_id):
        self._progress = progress
        self._id = task_id

    def advance(self, n: float = 1) -> None:
        self._progress.advance(self._id, n)

    def update(self, **kwargs) -> None:
        self._progress.update(self._id, **kwargs)

    def done(self) -> None:
        task = self._progress.tasks[self._id]
        self._progress.update(self._id, total=task.completed or 1, completed=task.completed or 1)


class Progress:
    """A live progress display on stderr; it disappears when the work is done, leaving
    the command's results (or its one error line) as the only output."""

    def __init__(self, console: Console | None = None):
        self._rich = RichProgress(
            SpinnerColumn(),
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console or Console(stderr=True),
            transient=True,
        )

    def add(self, description: str, total: float | None = None, unit: str = "items") -> Task:
        """A new line; ``unit="bytes"`` shows sizes instead of counts."""
        if unit == "bytes":
            return _BytesTask(self._rich, description, total)
        return Task(self._rich, self._rich.add_task(description, total=total))

    @contextlib.contextmanager
    def live(self) -> Iterator["Progress"]:
        with self._rich:
            yield self


class _BytesTask(Task):
    """A task counted in bytes, shown as MB in its description."""

    def __init__(self, progress: RichProgress, description: str, total: float | None):
        self._label = description
        self._seen = 0
        super().__init__(progress, progress.add_task(description, total=total))

    def advance(self, n: float = 1) -> None:
        self._seen += n
        self._progress.update(self._id, advance=n, description=f"{self._label} ({self._seen / 1e6:.1f} MB)")
