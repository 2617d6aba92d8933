"""Same seed, same numbers: Monte Carlo chunks, sensitivity samples, sweeps and the lever search on
a local Dask cluster equal the single-process run exactly (bit for bit)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from detente import api
from detente.analysis.distributed import DaskRunner, SerialRunner, runner
from detente.analysis.levers import smallest_lever, sweep
from detente.analysis.montecarlo import monte_carlo
from detente.analysis.sensitivity import sensitivity
from detente.scenario.errors import DetenteError


@pytest.fixture(scope="module")
def cluster() -> Iterator[DaskRunner]:
    # In-process workers (threads): starts in well under a second; the context managers close
    # the cluster and client when the module's tests are done (no leaked processes or ports).
    with runner("local", n_workers=2, processes=False) as run:
        assert isinstance(run, DaskRunner)
        yield run


def test_monte_carlo_same_on_cluster(cluster: DaskRunner) -> None:
    sc = api.load("ukraine-2025")
    one = monte_carlo(sc, "compromise", 3000, seed=21)
    dist = monte_carlo(sc, "compromise", 3000, seed=21, chunk=700, runner=cluster)
    assert np.array_equal(one.forecasts, dist.forecasts)
    smp_one = monte_carlo(sc, "smp", 96, seed=4, chunk=96)
    smp_dist = monte_carlo(sc, "smp", 96, seed=4, chunk=32, runner=cluster)
    assert np.array_equal(smp_one.forecasts, smp_dist.forecasts)


def test_sensitivity_same_on_cluster(cluster: DaskRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    import detente.analysis.sensitivity as sens

    sc = api.load("ukraine-2025")
    one = sensitivity(sc, "median", method="sobol", n=128, seed=5)
    monkeypatch.setattr(sens, "_ROWS_PER_TASK", 1000)  # several chunk tasks on the cluster
    dist = sensitivity(sc, "median", method="sobol", n=128, seed=5, runner=cluster)
    for issue in sc.issue_ids:
        assert one.outputs[issue].equals(dist.outputs[issue])


def test_sweep_and_lever_same_on_cluster(cluster: DaskRunner) -> None:
    sc = api.load("ukraine-2025")
    axes = ["USA.position.sanctions=0:100:4", "CHN.salience.sanctions=0.2,0.8"]
    one = sweep(sc, axes, model="median", draws=64, seed=8)
    dist = sweep(sc, axes, model="median", draws=64, seed=8, runner=cluster)
    assert np.array_equal(one.forecasts, dist.forecasts)
    a = smallest_lever(sc, "USA", "territory<=60", draws=50, seed=1, refinements=1)
    b = smallest_lever(sc, "USA", "territory<=60", draws=50, seed=1, refinements=1, runner=cluster)
    assert a.best is not None
    assert a.to_dict() == b.to_dict()


def test_serial_runner_keeps_order_and_unreachable_scheduler_is_user_error() -> None:
    assert SerialRunner().map(lambda x: x * x, [3, 1, 2]) == [9, 1, 4]
    with pytest.raises(DetenteError, match="cannot reach"), runner("tcp://127.0.0.1:9", timeout=1):
        pass


def test_war_sensitivity_same_on_cluster(cluster: DaskRunner) -> None:
    sc = api.load("ukraine-2025")
    one = sensitivity(sc, "war", method="morris", n=4, paths=16, seed=2)
    dist = sensitivity(sc, "war", method="morris", n=4, paths=16, seed=2, runner=cluster)
    out = "P(talks within 12 months)"
    assert one.outputs[out].equals(dist.outputs[out])
