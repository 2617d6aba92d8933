"""Where chunk tasks run: in this process, or on a Dask distributed cluster.

Monte Carlo chunks, sensitivity samples and lever sweeps are lists of independent chunk tasks,
each a module-level function over a picklable task. Every task carries its own seed material
(see :mod:`detente.analysis.uncertainty`: draws come in seeded blocks), and results are combined
in task order, so a run gives the same numbers in this process, on a local cluster or on a remote
one.

Why Dask rather than Ray: the evidence gathered on this kind of machine (``shared/DESIGN.md``,
"Distributed") is that Dask distributed installs in ~5 s (~70 MB) against Ray's ~285 MB, a local
cluster starts in under a second, and ``client.map``/``client.gather`` (or
``Client.get_executor()``, a standard ``concurrent.futures`` executor) is all the chunk model needs.
Dask also runs in-process (``processes=False``), which keeps the tests fast and leak-free.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

from detente.progress import progress_bar
from detente.scenario.errors import DetenteError

T = TypeVar("T")
R = TypeVar("R")


class Runner(Protocol):
    """Runs ``fn`` over ``tasks`` and returns the results in task order."""

    def map(self, fn: Callable[[T], R], tasks: Sequence[T], *, label: str = "") -> list[R]: ...


class SerialRunner:
    """Runs each task in this process, one after another."""

    def __init__(self, progress: bool = False) -> None:
        self.progress = progress

    def map(self, fn: Callable[[T], R], tasks: Sequence[T], *, label: str = "") -> list[R]:
        out: list[R] = []
        with progress_bar(self.progress, label, len(tasks)) as advance:
            for task in tasks:
                out.append(fn(task))
                advance()
        return out


class DaskRunner:
    """Runs tasks on a Dask distributed cluster through ``client``; gathers them in task order."""

    def __init__(self, client: Any, progress: bool = False) -> None:
        self.client = client
        self.progress = progress

    def map(self, fn: Callable[[T], R], tasks: Sequence[T], *, label: str = "") -> list[R]:
        from distributed import as_completed

        if not tasks:
            return []
        # pure=False: two tasks with equal arguments are still two tasks (no key collision).
        futures = self.client.map(fn, list(tasks), pure=False)
        with progress_bar(self.progress, label, len(tasks)) as advance:
            for _ in as_completed(futures):
                advance()
        return list(self.client.gather(futures))


@contextlib.contextmanager
def runner(
    cluster: str | None = None,
    *,
    progress: bool = False,
    n_workers: int | None = None,
    processes: bool = True,
    timeout: float = 10.0,
) -> Iterator[Runner]:
    """A runner for ``cluster``: None (this process), "local" (a LocalCluster started here and
    closed on exit) or a scheduler address such as ``tcp://10.0.0.5:8786`` (connection
    ``timeout`` in seconds)."""
    if cluster is None or cluster == "":
        yield SerialRunner(progress)
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - dask is a declared dependency
        raise DetenteError(
            "a Dask cluster needs the distributed package: pip install 'detente[cluster]'"
        ) from exc
    if cluster == "local":
        import dask

        # Dask's nannies export MALLOC_TRIM_THRESHOLD_=65536 to workers, which makes glibc map
        # and unmap every large temporary: the SMP's chunks then ran 2-3x slower in a worker than
        # in this process (measured: 1.2-2.0 s vs 0.5 s per 1,024-draw chunk). Without it,
        # workers keep glibc's default (dynamic) threshold.
        environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}) or {})
        environ.pop("MALLOC_TRIM_THRESHOLD_", None)
        with (
            dask.config.set({"distributed.nanny.pre-spawn-environ": environ}),
            LocalCluster(
                n_workers=n_workers,
                threads_per_worker=1,
                processes=processes,
                # Any free port for the scheduler's HTTP routes, no dashboard: two local
                # clusters (or the web app) never fight over port 8787.
                dashboard_address=":0",
                scheduler_kwargs={"dashboard": False},
            ) as lc,
            Client(lc) as client,
        ):
            yield DaskRunner(client, progress)
        return
    try:
        client = Client(cluster, timeout=f"{timeout}s")
    except OSError as exc:
        raise DetenteError(f"cannot reach the Dask scheduler at {cluster!r}: {exc}") from exc
    with client:
        yield DaskRunner(client, progress)
