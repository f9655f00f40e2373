"""Where independent units of work run: ``local``, ``process`` or ``ray``.

A sweep's units (one language each) and an evaluation's units (one tokenizer on one
language) are plain values, and the work on one is a top-level function
``work(context, unit)``. ``context`` is what every unit of one run shares (an
evaluation's tokenizers): it is sent to each worker once, not with every unit. An
:class:`Executor` runs the function on every unit and yields ``(index, result)`` as units
finish; callers that need an order put the results back in it, so every executor gives
the same rows.

* ``local``: one unit after another, in this process.
* ``process``: a pool of ``jobs`` processes on this machine (``spawn``ed: the Rust thread
  pools of the tokenizers libraries do not survive ``fork``). A worker that dies ends the
  run with one error; what finished is kept by the caller (a sweep's unit files).
* ``ray``: each unit is a Ray task (the ``cluster`` extra). Without an address a local
  Ray runtime is started on this machine with its cores, and shut down afterwards; with
  one (``auto``, ``HOST:6379``, ``ray://HOST:10001``) the units go to that cluster, whose
  nodes must have the same tokkit version and the same data paths. A task whose worker
  dies (killed, out of memory) is retried by Ray (``max_retries``); a unit's result is
  taken once, so nothing is lost or counted twice.

Ctrl-C stops every executor promptly: waits poll the workers under
:func:`~tokkit.interrupts.deferred_interrupts`, and on an interrupt (or any error) the
workers are terminated and the Ray tasks cancelled before the ``KeyboardInterrupt``
goes on. Worker processes ignore SIGINT themselves, so the terminal's Ctrl-C, which
reaches the whole process group, leaves their stopping to this process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import signal
import socket
import uuid
from abc import ABC, abstractmethod
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any, Callable, Iterator, Sequence

from tokkit.checks import check_choice, check_number
from tokkit.corpora import CorpusError
from tokkit.errors import InvalidValue, TokkitError, first_line, require
from tokkit.interrupts import deferred_interrupts

#: seconds between looks at the workers while waiting (how soon Ctrl-C is seen)
POLL_SECONDS = 0.2

Work = Callable[[Any, Any], Any]


class Executor(ABC):
    """Runs ``work(context, unit)`` on units; a context manager that frees what it started.

    Every executor is made as ``Executor(jobs=..., address=...)`` and refuses what it
    cannot use: ``jobs``, how many units run at once, and ``address``, a Ray cluster's.
    """

    name: str
    #: whether units run in this process (so ``work`` may hold callbacks that cannot be pickled)
    in_process = False

    def __init__(self, jobs: int | None = None, address: str | None = None):
        if address is not None:
            raise InvalidValue("address", f"names a Ray cluster: it goes with the ray executor, not {self.name}")
        self.jobs = check_number("jobs", jobs, at_least=1, whole=True) if jobs is not None else None

    @abstractmethod
    def map(self, work: Work, units: Sequence[Any], context: Any = None) -> Iterator[tuple[int, Any]]:
        """``(index, work(context, units[index]))`` for every unit, as each finishes."""

    def close(self) -> None:
        """Free what this executor started (a Ray runtime)."""

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class LocalExecutor(Executor):
    """Every unit in this process, in order."""

    name = "local"
    in_process = True

    def __init__(self, jobs: int | None = None, address: str | None = None):
        super().__init__(jobs, address)
        if self.jobs not in (None, 1):
            raise InvalidValue("jobs", "is how many units run at once: the local executor runs one; choose process or ray")

    def map(self, work, units, context=None):
        for index, unit in enumerate(units):
            yield index, work(context, unit)


# -- process ---------------------------------------------------------------------------

_CONTEXT: Any = None  # a process-pool worker's context, set once when the worker starts


def _start_worker(context: bytes) -> None:
    global _CONTEXT
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _CONTEXT = pickle.loads(context)


def _work_in_worker(work: Work, unit: Any) -> Any:
    return work(_CONTEXT, unit)


class ProcessExecutor(Executor):
    """A pool of ``jobs`` worker processes on this machine (default: one per core)."""

    name = "process"

    def map(self, work, units, context=None):
        if not units:
            return
        pool = ProcessPoolExecutor(max_workers=min(self.jobs or os.cpu_count() or 1, len(units)), mp_context=get_context("spawn"),
                                   initializer=_start_worker, initargs=(_pickled(context),))
        try:
            with deferred_interrupts() as interrupts:
                with _sigint_blocked():  # submit starts the workers
                    index = {pool.submit(_work_in_worker, work, unit): i for i, unit in enumerate(units)}
                pending = set(index)
                while pending:
                    done, pending = wait(pending, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
                    for future in sorted(done, key=index.get):
                        yield index[future], _result(future)
                    interrupts.check()
        except BaseException:
            _stop(pool)
            raise
        pool.shutdown(wait=True)


@contextlib.contextmanager
def _sigint_blocked():
    """SIGINT held back from this thread while worker processes are started.

    A worker is spawned with the run's context written into a pipe it reads at start;
    ``multiprocessing`` keeps the pipe's reading end open in this process until the whole
    context is written, so a worker that Ctrl-C (sent to the terminal's whole process
    group) kills before it has read it all leaves this process blocked in that write
    forever. A signal mask, unlike a handler, is inherited across ``fork`` and ``exec``:
    workers started here begin with SIGINT blocked and never see it, and a press in the
    meantime is delivered to this process when the mask is put back.
    """
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no process groups to share Ctrl-C
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _pickled(context: Any) -> bytes:
    """The run's context, pickled to be sent to the workers once."""
    try:
        return pickle.dumps(context)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        raise TokkitError(f"what the units share cannot be sent to other processes ({first_line(exc)}); "
                          f"use the local executor") from None


def _result(future):
    try:
        return future.result()
    except BrokenProcessPool:
        raise TokkitError("a worker process died (killed, or out of memory?); what finished is kept, "
                          "and running the same command again resumes where it can") from None


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and terminate the workers now, without waiting for
    the units they run (``shutdown`` alone would let them finish)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # no public handle before 3.14
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)


# -- ray -------------------------------------------------------------------------------

_RAY_CONTEXTS: dict[str, Any] = {}  # a Ray worker's contexts, by run


def _work_in_ray(work: Work, key: str, context_ref: list, unit: Any) -> Any:
    """A Ray task: the run's context comes by reference (wrapped in a list so that Ray
    does not fetch it for every task) and is unpickled once per worker process."""
    if key not in _RAY_CONTEXTS:
        import ray

        _RAY_CONTEXTS.clear()  # one run at a time: free the last run's tokenizers
        _RAY_CONTEXTS[key] = pickle.loads(ray.get(context_ref[0]))
    return work(_RAY_CONTEXTS[key], unit)


class RayExecutor(Executor):
    """Every unit a Ray task, on a local Ray runtime or the cluster at ``address``."""

    name = "ray"

    def __init__(self, jobs: int | None = None, address: str | None = None, max_retries: int = 3):
        """Checks, before any work, that Ray is installed and that ``address`` answers;
        the runtime is started (or joined) by the first :meth:`map`. ``max_retries``: the
        tries Ray gives a unit whose worker died, after the first."""
        super().__init__(jobs)
        self.max_retries = check_number("max_retries", max_retries, at_least=0, whole=True)
        if jobs is not None and address is not None:
            raise InvalidValue("jobs", "sets the cores of a Ray runtime started here; the cluster at the address has its own")
        require("ray", "cluster")
        if address is not None:
            _check_answers(address)
        self.address = address
        self._started = False

    def start(self):
        """Start (or join) the Ray runtime now, and return the ``ray`` module; the first
        :meth:`map` does it otherwise."""
        import ray

        if ray.is_initialized():
            return ray  # the caller's own runtime (or ours, from an earlier map): keep it
        quiet = {"include_dashboard": False, "logging_level": logging.ERROR, "log_to_driver": False}
        if self.address is None:
            ray.init(num_cpus=self.jobs or os.cpu_count(), **quiet)
        else:
            try:
                ray.init(address=self.address, **quiet)
            except (ConnectionError, ValueError, RuntimeError) as exc:
                raise TokkitError(f"cannot connect to the Ray cluster at {self.address}: {first_line(exc)} (a cluster "
                                  f"with token authentication needs RAY_AUTH_MODE=token and its token here)") from None
        self._started = True
        return ray

    def map(self, work, units, context=None):
        if not units:
            return
        ray = self.start()
        task = ray.remote(_work_in_ray).options(max_retries=self.max_retries, retry_exceptions=False,
                                                 num_cpus=1, name=getattr(work, "__name__", "unit"))
        context_ref = ray.put(_pickled(context))
        key = uuid.uuid4().hex
        index = {task.remote(work, key, [context_ref], unit): i for i, unit in enumerate(units)}
        pending = list(index)
        try:
            with deferred_interrupts() as interrupts:
                while pending:
                    done, pending = ray.wait(pending, num_returns=len(pending), timeout=POLL_SECONDS)
                    for ref in sorted(done, key=index.get):
                        yield index[ref], _ray_result(ray, ref)
                    interrupts.check()
        except BaseException:
            for ref in pending:
                ray.cancel(ref, force=True)
            raise

    def close(self) -> None:
        if self._started:
            import ray

            ray.shutdown()
            self._started = False


def _ray_result(ray, ref):
    """A task's result; a user error raised in the task is raised here as itself."""
    from ray.exceptions import NodeDiedError, OutOfMemoryError, RayTaskError, WorkerCrashedError

    try:
        return ray.get(ref)
    except RayTaskError as exc:
        if isinstance(exc.cause, (TokkitError, CorpusError)):
            raise exc.cause from None
        raise
    except (WorkerCrashedError, OutOfMemoryError, NodeDiedError):
        raise TokkitError("a Ray worker died on every try of one unit (killed, or out of memory?); "
                          "what finished is kept, and running the same command again resumes where it can") from None


def _check_answers(address: str, timeout: float = 5.0) -> None:
    """Refuse an address where nothing answers, at once: Ray itself retries such an
    address for minutes. ``auto`` is Ray's to find (it fails fast when no cluster runs here)."""
    if address == "auto":
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise InvalidValue("address", f"must be auto, HOST:PORT or ray://HOST:PORT, not {address!r}")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as exc:
        raise TokkitError(f"no Ray cluster answers at {address} ({exc.strerror or exc}); start one with "
                          f"`ray start --head`, or leave out the address to run Ray on this machine") from None


#: the executors by name
EXECUTORS: dict[str, type[Executor]] = {e.name: e for e in (LocalExecutor, ProcessExecutor, RayExecutor)}


def get_executor(name: str | None, *, jobs: int | None = None, address: str | None = None) -> Executor:
    """The executor called ``name`` (:data:`EXECUTORS`; ``None``: ``local``, or ``process``
    when ``jobs`` is over 1); ``jobs``: units at once; ``address``: the Ray cluster."""
    if name is None:
        name = "process" if jobs is not None and jobs > 1 else "local"
    check_choice("executor", name, EXECUTORS)
    return EXECUTORS[name](jobs=jobs, address=address)


@contextlib.contextmanager
def executor_for(executor: str | Executor | None, *, jobs: int | None = None) -> Iterator[Executor]:
    """``executor`` itself (the caller's to close), or the one :func:`get_executor` makes
    of a name, closed afterwards."""
    if isinstance(executor, Executor):
        yield executor
        return
    with get_executor(executor, jobs=jobs) as made:
        yield made
