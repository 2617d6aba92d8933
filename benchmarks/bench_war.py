"""War model speed: paths x months simulated per second, 10^6 paths x 60 months (ukraine-2025,
credible-pressure, the assumed parameter values), in memory chunks of detente.war.model.BLOCK
paths. Baseline: the per-path Python loop of detente.war.reference on 200 paths x 60 months
(its random numbers drawn beforehand, outside the timing), scaled per path-month.
``ratio`` = vectorised rate / loop rate (the speed-up).
"""

from __future__ import annotations

import time

import numpy as np

PATHS = 1_000_000
MONTHS = 60
LOOP_PATHS = 200


def run() -> list[dict]:
    """Rows {name, value, unit, baseline, ratio}."""
    from detente.scenario.io import load
    from detente.war import simulate
    from detente.war.params import merge_params
    from detente.war.policies import resolve_events
    from detente.war.reference import random_numbers, simulate_loop

    sc = load("ukraine-2025")
    policy = "credible-pressure"
    # Avoid early settlement making the run trivially short: paths keep fighting all 60 months.
    params = {"optimism_A": 0.004, "prior_sd_A": 0.0001, "prior_sd_D": 0.0001}

    P = merge_params(sc.war, params)
    events = resolve_events(sc.war, policy, MONTHS, P)
    normals, uniforms = random_numbers(np.random.SeedSequence(0), LOOP_PATHS, MONTHS, events)
    t0 = time.perf_counter()
    loop = simulate_loop(P, events, MONTHS, LOOP_PATHS, normals, uniforms)
    loop_s = time.perf_counter() - t0
    loop_months = sum(m if m > 0 else MONTHS for m in loop["talks_month"])
    loop_rate = loop_months / loop_s

    t0 = time.perf_counter()
    res = simulate(sc, policy, MONTHS, PATHS, seed=0, params=params)
    vec_s = time.perf_counter() - t0
    # path-months actually simulated (a path stops at talks or collapse)
    fought = np.where(res.end_month > 0, res.end_month, MONTHS).sum()
    vec_rate = float(fought) / vec_s
    return [
        {
            "name": f"war {PATHS:,} paths x {MONTHS} months (wall)",
            "value": vec_s,
            "unit": "s",
            "baseline": loop_s / loop_months * float(fought),
            "ratio": (loop_s / loop_months * float(fought)) / vec_s,
        },
        {
            "name": "war path-months per second",
            "value": vec_rate,
            "unit": "path-months/s",
            "baseline": loop_rate,
            "ratio": vec_rate / loop_rate,
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
