"""Ctrl-C that stops long work at a safe point instead of anywhere.

Python raises ``KeyboardInterrupt`` in the main thread wherever it happens to be. Inside
``concurrent.futures`` code that is not safe: tiktoken's batch encoder runs a
``ThreadPoolExecutor``, and an interrupt that lands while the main thread holds one of the
pool's locks leaves the worker threads waiting on that lock forever, so the pool's
shutdown (and the interpreter's exit, which joins the threads) never returns. Waiting on a
process pool's futures has the same hazard.

:func:`deferred_interrupts` turns Ctrl-C into a flag for the length of a block: the work
calls :meth:`Interrupts.check` between pieces (a chunk of text, a poll of the workers)
and the ``KeyboardInterrupt`` is raised there, where no lock is held. The handler it
replaces is put back when the block ends; a block inside another shares its flag. Only
Python's default handler is replaced, and only in the main thread (signals reach no
other): a program with its own SIGINT handler, or a worker thread, gets a block that
defers nothing.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Iterator


class Interrupts:
    """Whether Ctrl-C was pressed during a :func:`deferred_interrupts` block."""

    def __init__(self) -> None:
        self.pressed = False

    def _handle(self, signum, frame) -> None:
        self.pressed = True

    def check(self) -> None:
        """Raise ``KeyboardInterrupt`` if Ctrl-C was pressed since the block began."""
        if self.pressed:
            raise KeyboardInterrupt


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[Interrupts]:
    """A block in which Ctrl-C sets a flag that :meth:`Interrupts.check` raises on; a
    press that no check saw is raised when the block ends."""
    handler = signal.getsignal(signal.SIGINT)
    outer = getattr(handler, "__self__", None)
    if isinstance(outer, Interrupts):
        yield outer
        return
    interrupts = Interrupts()
    if threading.current_thread() is not threading.main_thread() or handler is not signal.default_int_handler:
        yield interrupts
        return
    signal.signal(signal.SIGINT, interrupts._handle)
    try:
        yield interrupts
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    interrupts.check()
