"""Progress display for long work: a thin, optional layer over ``rich.progress``.

Library functions take ``progress: Progress | None``; ``None`` means silent (tests, the
Python API by default). The CLI passes a live one that draws on stderr.

Each line shows what is done and how fast, in its own unit (``12.3/45.6 MB`` and
``3.1 MB/s`` for bytes, ``1,200/4,000 lines`` and ``85 lines/s`` otherwise), and the time
left where the total is known (``eta 0:01:23``), else the time spent. Work whose size is
unknown until it ends (a library training its merges with no callback) shows a moving
bar and the time spent; a line can be made ahead of its work and shown only when the work
starts (``start=False``, then :meth:`Task.start`), so it does not sit at zero meanwhile.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Iterator

from rich.console import Console
from rich.filesize import decimal, pick_unit_and_suffix
from rich.progress import BarColumn, ProgressColumn, SpinnerColumn, TextColumn
from rich.progress import Progress as RichProgress
from rich.progress import Task as RichTask
from rich.text import Text

#: the unit whose amounts are shown as sizes (kB, MB, GB)
BYTES = "bytes"


class Task:
    """One line on the display; a line made with ``start=False`` appears (below the lines
    made before its start) when :meth:`start` is called, or its first update."""

    def __init__(self, progress: RichProgress, description: str, total: float | None, unit: str, start: bool = True):
        self._progress = progress
        self._line = (description, total, unit)
        self._id = None
        if start:
            self.start()

    def start(self) -> None:
        """Show the line and start its clock (nothing if it is shown already)."""
        if self._id is None:
            description, total, unit = self._line
            self._id = self._progress.add_task(description, total=total, unit=unit)

    def advance(self, n: float = 1) -> None:
        self.start()
        self._progress.advance(self._id, n)

    def update(self, **kwargs) -> None:
        self.start()
        self._progress.update(self._id, **kwargs)

    def done(self) -> None:
        """Mark the work finished: the bar full at what was counted."""
        self.start()
        task = self._progress.tasks[self._id]
        self._progress.update(self._id, total=task.completed or 1, completed=task.completed or 1)


class Progress:
    """A live progress display on stderr; it disappears when the work is done, leaving
    the command's results (or its one error line) as the only output. Where stderr is no
    terminal (a pipe, a log file) it draws nothing: rich could not redraw it there, and
    its last frame would leave a blank line before the output or the error line."""

    def __init__(self, console: Console | None = None):
        console = console or Console(stderr=True)
        self._rich = RichProgress(
            SpinnerColumn(),
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            AmountColumn(),
            RateColumn(),
            TimeColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )

    def note(self, message: str) -> None:
        """A line that stays above the display: what a long job is about to do (what it
        samples, the memory it will hold)."""
        self._rich.console.print(message, highlight=False, soft_wrap=True)

    def add(self, description: str, total: float | None = None, unit: str = "items", start: bool = True) -> Task:
        """A new line counting ``unit`` (``"bytes"`` shows sizes); ``total`` when known.
        With ``start=False`` the line appears at :meth:`Task.start`."""
        return Task(self._rich, description, total, unit, start)

    @contextlib.contextmanager
    def live(self) -> Iterator["Progress"]:
        with self._rich:
            yield self


def _sizes(done: float, total: float | None) -> str:
    """``12.3/45.6 MB`` (both in the total's unit), or ``12.3 MB`` without a total."""
    if total is None:
        return decimal(int(done))
    unit, suffix = pick_unit_and_suffix(int(total), ["bytes", "kB", "MB", "GB", "TB"], 1000)
    return f"{done / unit:,.1f}/{total / unit:,.1f} {suffix}"


class AmountColumn(ProgressColumn):
    """What is done, of the total where it is known: ``12.3/45.6 MB``, ``1,200/4,000 lines``."""

    def render(self, task: RichTask) -> Text:
        unit = task.fields.get("unit", "items")
        if task.total is None and not task.completed:
            return Text("")
        if unit == BYTES:
            return Text(_sizes(task.completed, task.total), style="progress.download")
        shown = f"{task.completed:,.0f}" + ("" if task.total is None else f"/{task.total:,.0f}")
        return Text(f"{shown} {unit}", style="progress.download")


class RateColumn(ProgressColumn):
    """How fast the work goes, in its unit per second."""

    def render(self, task: RichTask) -> Text:
        speed = task.finished_speed or task.speed
        if not speed:
            return Text("")
        unit = task.fields.get("unit", "items")
        return Text(f"{decimal(int(speed))}/s" if unit == BYTES else f"{speed:,.1f} {unit}/s", style="progress.data.speed")


class TimeColumn(ProgressColumn):
    """The time left (``eta``) where the total and the rate are known, else the time spent."""

    def render(self, task: RichTask) -> Text:
        if task.total is not None and not task.finished and task.time_remaining is not None:
            return Text(f"eta {timedelta(seconds=int(task.time_remaining))}", style="progress.remaining")
        elapsed = task.finished_time if task.finished else task.elapsed
        return Text(str(timedelta(seconds=int(elapsed or 0))), style="progress.elapsed")
