"""War model speed: 10^6 paths x 60 months of ukraine-2025 under credible-pressure, the fused
numba kernel (detente.war.kernel, prange over paths on every core) with its random numbers drawn
by numpy per block of paths. Parameters are set so that paths keep fighting (no early ends): the
figure is the full 60 months. Baseline, measured in the same run: the same kernel code run as
plain Python (the fallback without numba; identical numbers) on 2,000 paths, scaled per
path-month. ``ratio`` = baseline / compiled (the speed-up). The compile time (cached on disk
after the first run) is excluded by a warm-up call.
"""

from __future__ import annotations

import time

import numpy as np

PATHS = 1_000_000
MONTHS = 60
LOOP_PATHS = 2_000
# a long war: a slow front, and a foreseen shift of power that always blocks a deal (delta = 1)
LONG = {
    "sigma": 0.01,
    "beta": 0.0,
    "tau": 0.002,
    "battle_rate": 1.0,
    "cost": 0.0,
    "delta": 1.0,
    "mobil0": 0.999,
    "mobil_rate": 1e-4,
    "control0": 0.5,
    "elapsed": 0.0,
}


def run() -> list[dict]:
    """Rows {name, value, unit, baseline, ratio}."""
    from detente.scenario.io import load
    from detente.war.engine import simulate_paths

    sc = load("ukraine-2025")
    policy = "credible-pressure"
    simulate_paths(sc.war, policy, MONTHS, 1000, 0, params=LONG)  # compile / load the cache
    t0, c0 = time.perf_counter(), time.process_time()
    res = simulate_paths(sc.war, policy, MONTHS, PATHS, 0, params=LONG)
    fast_s = time.perf_counter() - t0
    fast_cpu = time.process_time() - c0  # all threads: the figure a loaded machine distorts least
    fought = float(np.where(res.end_month > 0, res.end_month, MONTHS).sum())
    t0, c0 = time.perf_counter(), time.process_time()
    loop = simulate_paths(sc.war, policy, MONTHS, LOOP_PATHS, 0, params=LONG, python=True)
    loop_s = time.perf_counter() - t0
    loop_cpu = time.process_time() - c0
    loop_months = float(np.where(loop.end_month > 0, loop.end_month, MONTHS).sum())
    same = bool(np.array_equal(loop.end_month, res.end_month[:LOOP_PATHS]))
    base = loop_s / loop_months * fought
    return [
        {
            "name": f"war {PATHS:,} paths x {MONTHS} months (wall; {fought / PATHS:.0f} months "
            f"fought per path; python == numba: {same})",
            "value": fast_s,
            "unit": "s",
            "baseline": base,
            "ratio": base / fast_s,
        },
        {
            "name": "war 10^6 x 60: CPU seconds (all threads)",
            "value": fast_cpu,
            "unit": "s",
            "baseline": loop_cpu / loop_months * fought,
            "ratio": loop_cpu / loop_months * fought / fast_cpu,
        },
        {
            "name": "war path-months per second",
            "value": fought / fast_s,
            "unit": "path-months/s",
            "baseline": loop_months / loop_s,
            "ratio": (fought / fast_s) / (loop_months / loop_s),
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
