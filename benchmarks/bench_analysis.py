"""Analysis speed on ukraine-2025 (6 actors x 3 issues, 42 uncertain inputs).

* Monte Carlo, 10,000 draws, one batch per chunk, for each bargaining model; baseline: a Python
  loop over draws calling the same model with B = 1 (timed on a few draws and scaled to 10,000:
  the per-draw cost is constant).
* The same Monte Carlo (SMP) on a local Dask cluster of 2 worker processes against one process,
  warm (second run) and with the cluster's start-up; on 2 cores the best case is about 2x.
* Sobol' sensitivity (N = 1024, 45,056 compromise runs) and the smallest-lever search (1,000
  draws) against a loop over design points / variants with B = 1, scaled.
``ratio`` = baseline / value (the speed-up).
"""

from __future__ import annotations

import time

DRAWS = 10_000


def _seconds(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def run() -> list[dict]:
    """Rows {name, value, unit, baseline, ratio}."""
    from detente import api
    from detente.analysis.distributed import runner
    from detente.analysis.montecarlo import monte_carlo
    from detente.analysis.uncertainty import inputs_from_values, param_table, unit_draws
    from detente.bargaining.arrays import to_arrays
    from detente.bargaining.registry import get_model, list_models

    sc = api.load("ukraine-2025")
    table = param_table(sc)
    base = to_arrays(sc)
    rows: list[dict] = []

    def loop_seconds(model: str, n: int, total: int) -> float:
        # A Python loop over draws doing the same work one draw at a time: transform the draw's
        # uniforms, build a B = 1 input, call the model; scaled to ``total`` draws.
        u = unit_draws(1, table.names, 0, n)
        spec = get_model(model)

        def loop() -> None:
            for i in range(n):
                spec(inputs_from_values(base, table, table.from_unit(u[i : i + 1])))

        return _seconds(loop) / n * total

    for spec in list_models():
        m = spec.name
        draws = DRAWS
        monte_carlo(sc, m, 16, seed=0)  # warm-up: imports, numba compilation or cache
        value = _seconds(lambda m=m, d=draws: monte_carlo(sc, m, d, seed=1))
        n_loop = 20 if spec.dynamic else 200
        baseline = loop_seconds(m, n_loop, draws)
        rows.append(
            {
                "name": f"Monte Carlo {m}, {draws:,} draws (batched) vs Python loop over draws "
                f"(B=1, {n_loop} draws, scaled)",
                "value": value,
                "unit": "s",
                "baseline": baseline,
                "ratio": baseline / value,
            }
        )

    serial = _seconds(lambda: monte_carlo(sc, "smp", DRAWS, seed=1))

    t0 = time.perf_counter()
    with runner("local", n_workers=2) as run:
        first = _seconds(lambda: monte_carlo(sc, "smp", DRAWS, seed=1, runner=run))
        started = time.perf_counter() - t0
        warm = _seconds(lambda: monte_carlo(sc, "smp", DRAWS, seed=1, runner=run))
    rows.append(
        {
            "name": f"Monte Carlo smp, {DRAWS:,} draws: local Dask cluster (2 worker processes, "
            "warm) vs one process",
            "value": warm,
            "unit": "s",
            "baseline": serial,
            "ratio": serial / warm,
        }
    )
    rows.append(
        {
            "name": f"Monte Carlo smp, {DRAWS:,} draws: local Dask cluster, start-up and first run "
            "(workers import detente) vs one process",
            "value": started,
            "unit": "s",
            "baseline": serial,
            "ratio": serial / started,
        }
    )
    del first

    from detente.analysis.levers import smallest_lever
    from detente.analysis.sensitivity import sensitivity

    res = None

    def sobol() -> None:
        nonlocal res
        res = sensitivity(sc, "compromise", method="sobol", n=1024, seed=0)

    value = _seconds(sobol)
    per_run = loop_seconds("compromise", 200, 1)
    batched = _seconds(lambda: monte_carlo(sc, "compromise", res.evaluations, seed=0))
    # Baseline: the same analysis with the model runs done one at a time (SALib's design and
    # analysis cost the same either way).
    baseline = value - batched + per_run * res.evaluations
    rows.append(
        {
            "name": f"Sobol' compromise N=1024 ({res.evaluations:,} runs batched, SALib analysis "
            "included) vs the same with a loop of B=1 runs (scaled)",
            "value": value,
            "unit": "s",
            "baseline": baseline,
            "ratio": baseline / value,
        }
    )
    lever = None

    def search() -> None:
        nonlocal lever
        lever = smallest_lever(sc, "USA", "territory<=60", draws=1000, seed=0)

    value = _seconds(search)
    baseline = per_run * lever.variants * 1000
    rows.append(
        {
            "name": f"smallest lever (compromise, {lever.variants} variants x 1,000 draws) vs loop "
            "of B=1 runs (scaled)",
            "value": value,
            "unit": "s",
            "baseline": baseline,
            "ratio": baseline / value,
        }
    )
    return rows


if __name__ == "__main__":
    for row in run():
        print(
            f"{row['name']}: {row['value']:.3g} {row['unit']} (baseline {row['baseline']:.3g}, "
            f"ratio {row['ratio']:.1f}x)"
        )
