"""EUM speed: 50 actors x 1 issue x 10,000 draws x 20 rounds in one batched call.

The workload is a Monte Carlo batch of random scenarios (seeded): positions on 0-100,
saliences in [0, 1], capabilities in [0.1, 1]. ``value`` is draws (model evaluations) per
second; ``baseline`` the same for a per-draw loop; ``ratio`` = value / baseline (the speed-up).

Baselines:
- the straightforward per-draw Python loop, :func:`detente.bargaining.eum.reference_trajectory`
  (the paper's formulas as plain loops, as public re-implementations are written). It takes
  seconds per draw at 50 actors, so it is timed on a few draws for a few rounds and scaled to
  20 rounds (every round does the same O(N^3) work);
- a Python loop over the draws calling the array code one draw at a time (engine "numpy", B=1),
  timed on 50 draws: what batching alone buys.
The batched numpy engine is timed on 1,000 of the 10,000 draws (its cost is linear in draws).
"""

from __future__ import annotations

import time

import numpy as np

N_ACTORS, N_DRAWS, N_ROUNDS = 50, 10_000, 20


def _workload(draws: int, seed: int = 2011):
    from detente.bargaining.inputs import make_input

    rng = np.random.default_rng(seed)
    pos = rng.uniform(0.0, 100.0, (draws, N_ACTORS, 1))
    sal = rng.uniform(0.0, 1.0, (draws, N_ACTORS, 1))
    cap = rng.uniform(0.1, 1.0, (draws, N_ACTORS))
    return make_input(pos, sal, cap, 0.0, 100.0)


def _seconds(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def run() -> list[dict]:
    """Rows {name, value, unit, baseline, ratio} for the batched engines against per-draw loops."""
    from detente.bargaining.engines import numba_available as _numba_available
    from detente.bargaining.eum import eum, reference_trajectory

    inp = _workload(N_DRAWS)
    eum(inp.take(slice(0, 4)), rounds=2)  # warm-up: numba compilation or cache load, imports

    # Straightforward per-draw loop: 3 draws x 2 rounds, scaled to 20 rounds.
    loop_draws, loop_rounds = 3, 2
    sub = inp.take(slice(0, loop_draws))

    def plain_loop() -> None:
        for b in range(loop_draws):
            reference_trajectory(
                sub.positions[b, :, 0],
                sub.saliences[b, :, 0],
                sub.capabilities[b],
                rounds=loop_rounds,
            )

    per_draw = _seconds(plain_loop) / loop_draws * (N_ROUNDS / loop_rounds)
    loop_rate = 1.0 / per_draw

    # Python loop over draws calling the array code with B = 1.
    one_draws = 50

    def array_loop() -> None:
        for b in range(one_draws):
            eum(inp.take(slice(b, b + 1)), rounds=N_ROUNDS, engine="numpy")

    array_loop_rate = one_draws / _seconds(array_loop)

    rows: list[dict] = []
    engines = ["numba", "numpy"] if _numba_available() else ["numpy"]
    for engine in engines:
        draws = N_DRAWS if engine == "numba" else 1_000
        batch = inp if draws == N_DRAWS else inp.take(slice(0, draws))
        rate = draws / _seconds(lambda b=batch, e=engine: eum(b, rounds=N_ROUNDS, engine=e))
        label = f"eum {N_ACTORS} actors x {draws:,} draws x {N_ROUNDS} rounds, batched {engine}"
        rows.append(
            {
                "name": f"{label} vs per-draw Python loop ({loop_draws} draws x {loop_rounds} "
                f"rounds, scaled)",
                "value": rate,
                "unit": "draws/s",
                "baseline": loop_rate,
                "ratio": rate / loop_rate,
            }
        )
        rows.append(
            {
                "name": f"{label} vs Python loop over draws of the array code (B=1, {one_draws} "
                "draws)",
                "value": rate,
                "unit": "draws/s",
                "baseline": array_loop_rate,
                "ratio": rate / array_loop_rate,
            }
        )
    return rows


if __name__ == "__main__":
    for row in run():
        print(
            f"{row['name']}: {row['value']:.1f} {row['unit']} "
            f"(baseline {row['baseline']:.3g} {row['unit']}, ratio {row['ratio']:.1f}x)"
        )
