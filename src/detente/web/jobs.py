"""Model runs off the event loop: a bounded worker pool, and background jobs with progress and
cancel.

Every computation a request asks for runs in one of ``workers`` worker processes (threads with
``processes=False``), never on the event loop, so ``/health`` and page loads answer while models
run: a compiled kernel that holds the GIL for a quarter of a second stalls only its own process.
At most ``workers + queue`` computations are admitted at once; beyond that a request gets 503
with Retry-After (:class:`Overloaded`).

A *job* is a computation the page polls: it reports ``done/total`` through the ``progress``
callback the api functions call between steps, and a cancel takes effect at the next step (the
callback raises :class:`Cancelled`; the half-done work is dropped, nothing is stored).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import itertools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any


class Overloaded(Exception):
    """Every worker is busy and the queue is full."""

    retry_after = 5


class Cancelled(Exception):
    """The user cancelled the job."""


@dataclass
class Job:
    id: str
    kind: str
    state: str = "queued"  # queued, running, done, error, cancelled
    done: int = 0
    total: int = 1
    result: Any = None
    error: str | None = None
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event)
    context: dict[str, Any] = field(default_factory=dict)
    seen: bool = False  # whether the page has shown the finished result

    @property
    def fraction(self) -> float:
        return 0.0 if self.total <= 0 else min(1.0, self.done / self.total)

    @property
    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    def progress(self, done: int, total: int) -> None:
        if self.cancel_event.is_set():
            raise Cancelled()
        self.done, self.total = int(done), max(1, int(total))


# In a worker process: the shared progress block (3 integers a slot: done, total, cancel).
_SHARED: Any = None


def _init_worker(shared: Any, parent: int) -> None:
    """Worker process start: keep the shared block; exit when the server process is gone (so a
    killed server leaves no workers behind)."""
    import os

    global _SHARED
    _SHARED = shared
    # Model work yields the CPU to the server process: on a small machine the workers would
    # otherwise keep the event loop (pages, /health) waiting behind them.
    with contextlib.suppress(OSError):
        os.nice(10)

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def _child(fn: str, args: tuple, kwargs: dict, slot: int) -> Any:
    """Runs in a worker process: ``fn`` (a module-level function by dotted name) with a
    ``progress`` callback that writes to the job's slot and cancels when the slot says so."""
    module, name = fn.rsplit(".", 1)
    func = getattr(importlib.import_module(module), name)
    if slot >= 0 and _SHARED is not None:
        _SHARED[3 * slot + 1] = 1  # started: the job is running in a worker, no longer queued

    def progress(done: int, total: int) -> None:
        if slot < 0 or _SHARED is None:
            return
        if _SHARED[3 * slot + 2]:
            raise Cancelled()
        _SHARED[3 * slot], _SHARED[3 * slot + 1] = int(done), int(total)

    return func(*args, progress=progress, **kwargs)


def scenario_report(scenario: Any, progress: Any = None, **opts: Any) -> str:
    """In a worker: ``detente report``'s HTML for ``scenario`` (:func:`detente.api.build_report`;
    the report layer is re-exported lazily by :mod:`detente.api`, the web app's one door)."""
    from detente.api import build_report

    return str(build_report(scenario, **opts))


def run_report(run: Any, progress: Any = None, **opts: Any) -> str:
    """In a worker: the HTML report of a stored run (:func:`detente.api.report_for_run`)."""
    from detente.api import report_for_run

    return str(report_for_run(run, **opts))


def preload(progress: Any = None) -> None:
    """Import what model runs need (run in each worker process once)."""
    import detente.api.war  # noqa: F401
    import detente.api.workbench  # noqa: F401


class Pool:
    """A bounded pool of model workers (processes, or threads) and the jobs it runs."""

    def __init__(
        self, workers: int = 2, queue: int = 6, keep: int = 100, processes: bool = True
    ) -> None:
        self.workers, self.queue, self.keep = workers, queue, keep
        self.processes = processes
        # Threads wait on the worker processes (and relay progress); they do no model work.
        self.executor = ThreadPoolExecutor(
            max_workers=workers + queue, thread_name_prefix="detente-web"
        )
        self._procs: Executor | None = None
        self._shared: Any = None
        self._free_slots = list(range(workers + queue))
        self._start_lock = threading.Lock()
        self._lock = threading.Lock()
        self._active = 0
        self._ids = itertools.count(1)
        self.jobs: OrderedDict[str, Job] = OrderedDict()

    @property
    def active(self) -> int:
        return self._active

    def _admit(self) -> None:
        with self._lock:
            if self._active >= self.workers + self.queue:
                raise Overloaded()
            self._active += 1

    def _release(self) -> None:
        with self._lock:
            self._active -= 1

    def _workers(self) -> Executor:
        with self._start_lock:
            if self._procs is None:
                import multiprocessing
                import os
                from concurrent.futures import ProcessPoolExecutor

                # spawn: a fresh interpreter (forking a process with threads is unsafe).
                ctx = multiprocessing.get_context("spawn")
                self._shared = ctx.RawArray("q", 3 * (self.workers + self.queue))
                self._procs = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=ctx,
                    initializer=_init_worker,
                    initargs=(self._shared, os.getpid()),
                )
            return self._procs

    def warm_up(self) -> None:
        """Start the worker processes now and import the models there (in the background), so
        the first request does not wait for a fresh interpreter."""
        if not self.processes:
            return
        procs = self._workers()
        for _ in range(self.workers):
            procs.submit(_child, "detente.web.jobs.preload", (), {}, -1)

    def compute(self, job: Job | None, fn: str, *args: Any, **kwargs: Any) -> Any:
        """Call ``fn`` (dotted name of a module-level function taking ``progress``) in a worker
        process, relaying its progress to ``job`` and ``job``'s cancel to it; from a job's or
        :meth:`run`'s thread."""
        if not self.processes:
            module, name = fn.rsplit(".", 1)
            func = getattr(importlib.import_module(module), name)
            return func(*args, progress=job.progress if job else None, **kwargs)
        procs = self._workers()
        slot = -1
        if job is not None:
            with self._lock:
                slot = self._free_slots.pop() if self._free_slots else -1
        shared = self._shared
        if slot >= 0 and job is not None:
            # total 0: not started; the worker sets it when it takes the job.
            shared[3 * slot : 3 * slot + 3] = [0, 0, 0]
            job.state = "queued"  # until a worker process takes it
        try:
            future = procs.submit(_child, fn, args, kwargs, slot)
            while job is not None:
                try:
                    return future.result(timeout=0.2)
                except TimeoutError:
                    pass
                if slot >= 0:
                    if job.cancel_event.is_set():
                        shared[3 * slot + 2] = 1
                    total = int(shared[3 * slot + 1])
                    if total > 0:
                        job.state = "running"
                        job.done, job.total = int(shared[3 * slot]), total
            return future.result()
        finally:
            if slot >= 0:
                with self._lock:
                    self._free_slots.append(slot)

    async def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``fn`` in a worker thread and wait for it (the event loop stays free)."""
        self._admit()

        def call() -> Any:
            try:
                return fn(*args, **kwargs)
            finally:
                self._release()

        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, call)

    def submit(self, kind: str, fn: Callable[[Job], Any], **context: Any) -> Job:
        """Start ``fn(job)`` as a background job; the page polls :meth:`get`."""
        self._admit()
        job = Job(id=str(next(self._ids)), kind=kind, context=context)
        with self._lock:
            self.jobs[job.id] = job
            while len(self.jobs) > self.keep:
                self.jobs.popitem(last=False)

        def call() -> None:
            try:
                if job.cancel_event.is_set():
                    raise Cancelled()
                job.state = "running"
                job.result = fn(job)
                job.state = "cancelled" if job.cancel_event.is_set() else "done"
            except Cancelled:
                job.state = "cancelled"
            except Exception as exc:  # shown in the page as one line
                job.state = "error"
                job.error = _message(exc)
            finally:
                job.finished = time.monotonic()
                self._release()

        self.executor.submit(call)
        return job

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def cancel(self, job_id: str) -> Job | None:
        job = self.jobs.get(job_id)
        if job is not None and job.state in ("queued", "running"):
            job.cancel_event.set()
        return job

    def shutdown(self) -> None:
        for job in list(self.jobs.values()):
            job.cancel_event.set()
        self.executor.shutdown(wait=False, cancel_futures=True)
        if self._procs is not None:
            self._procs.shutdown(wait=False, cancel_futures=True)


def _message(exc: BaseException) -> str:
    from detente.api import DetenteError

    if isinstance(exc, DetenteError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return "the run needs more memory than this machine has; ask for fewer draws or paths"
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"the run failed: {type(exc).__name__}{': ' + text if text else ''}"
