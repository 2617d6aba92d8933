"""SMP speed: detente's vectorised KTAB SMP vs a per-pair Python loop, and vs smpc's published time.

For dummyData-a040/a080/a160 (40/80/160 actors, one issue) it times one full deterministic run of
``smp`` (best of a few repeats for the small files). The baseline is the straightforward per-pair
loop of :mod:`tests.bargaining.smp_reference`: one turn is timed on the input state and
multiplied by the number of turns the run took (every turn costs the same O(N^3) work), so the
baseline is an extrapolation from one turn. ``ratio`` = baseline / value (the speed-up).
smpc's own times on a 2-core machine (oracles.md section 2: 6.9 s on a040, 61 s on a080, a160
not finished in 600 s, so 600 s is a lower bound) are given as second rows. A last row times a
Monte Carlo batch of 1000 draws in one call against a Python loop over the draws.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

KTAB = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "bargaining" / "ktab"
SMPC_SECONDS = {40: 6.9, 80: 61.0}


def _input(n: int):
    from detente.bargaining.inputs import make_input

    path = KTAB / f"dummyData-a{n:03d}.csv"
    if path.exists():
        from detente.bargaining.arrays import to_arrays
        from detente.scenario.ktab import load_ktab_csv

        return to_arrays(load_ktab_csv(path)), path.name
    # Without the shared data: a seeded random scenario of the same shape.
    rng = np.random.default_rng(n)
    pos = np.round(rng.uniform(0, 100, (n, 1)), 2)
    sal = np.round(rng.uniform(0.1, 0.99, (n, 1)), 2)
    cap = np.round(rng.uniform(0.5, 2.5, n), 2)
    return make_input(pos, sal, cap), f"random-a{n:03d}"


def _time(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def run() -> list[dict]:
    """Rows {name, value, unit, baseline, ratio} for 40, 80 and 160 actors."""
    from tests.bargaining.smp_reference import smp_turn_loop

    from detente.bargaining.registry import get_model

    smp = get_model("smp")
    rows: list[dict] = []
    for n in (40, 80, 160):
        inp, label = _input(n)
        smp(inp.take(slice(0, 1)), max_turns=1)  # warm-up (imports, allocator)
        result = smp(inp)
        turns = int(result.rounds[0])
        value = _time(lambda inp=inp: smp(inp), 3 if n <= 80 else 1)
        x = inp.normalised_positions()[0].tolist()
        sal = inp.saliences[0].tolist()
        cap = inp.capabilities[0].tolist()
        one_turn = _time(lambda x=x, sal=sal, cap=cap: smp_turn_loop(x, sal, cap), 1)
        baseline = one_turn * turns
        rows.append(
            {
                "name": f"smp {label} ({n} actors, {turns} turns) vs Python loop "
                f"(1 turn x {turns}, extrapolated)",
                "value": value,
                "unit": "s",
                "baseline": baseline,
                "ratio": baseline / value,
            }
        )
        smpc = SMPC_SECONDS.get(n, 600.0)
        rows.append(
            {
                "name": f"smp {label} vs KTAB smpc (published, 2 cores"
                + (")" if n in SMPC_SECONDS else "; did not finish in 600 s: a lower bound)"),
                "value": value,
                "unit": "s",
                "baseline": smpc,
                "ratio": smpc / value,
            }
        )
    rows.append(_batch_row(smp))
    rows.extend(_kernel_rows())
    return rows


def _kernel_rows() -> list[dict]:
    """The challenge kernel: branchless and parallel vs the former branchy one (bit-identical
    results, checked here too); and the numpy engine vs the compiled one on a Monte Carlo batch."""
    from detente.bargaining import engines

    if not engines.numba_available():
        return []
    from detente.bargaining import smp_kernels, smp_numba

    rng = np.random.default_rng(3)
    b, n = 256, 40
    d = rng.uniform(0, 1, (b, n, n))
    r_est = rng.uniform(-0.5, 1, (b, n, n))
    sigma = rng.uniform(0.1, 2, (b, n))
    s_tot = rng.uniform(0.2, 1, (b, n))
    args = (d, r_est, sigma, s_tot, 0, 1.0, True)
    old = smp_numba.challenges_branchy(*args)
    same = all(
        np.array_equal(x, y)
        for fn in (smp_numba.challenges, smp_numba.challenges_parallel)
        for x, y in zip(fn(*args), old, strict=True)
    )
    t_new = _time(lambda: smp_numba.challenges(*args), 5)
    t_par = _time(lambda: smp_numba.challenges_parallel(*args), 5)
    t_old = _time(lambda: smp_numba.challenges_branchy(*args), 5)
    t_np = _time(lambda: smp_kernels.challenges(*args), 1)
    import numba

    threads = numba.get_num_threads()
    return [
        {
            "name": f"smp challenge kernel ({b} draws x {n}^3): branchless vs branchy, one "
            f"thread each (bit-identical: {same})",
            "value": t_new,
            "unit": "s",
            "baseline": t_old,
            "ratio": t_old / t_new,
        },
        {
            "name": f"smp challenge kernel ({b} draws x {n}^3): branchless, prange over "
            f"{threads} threads vs branchy, one thread (bit-identical: {same})",
            "value": t_par,
            "unit": "s",
            "baseline": t_old,
            "ratio": t_old / t_par,
        },
        {
            "name": f"smp challenge kernel ({b} draws x {n}^3): compiled vs the numpy engine "
            "(same numbers)",
            "value": t_new,
            "unit": "s",
            "baseline": t_np,
            "ratio": t_np / t_new,
        },
    ]


def _batch_row(smp) -> dict:
    """A Monte Carlo batch (1000 perturbed draws of a 13-actor scenario) in one call vs a loop."""
    from detente.bargaining.inputs import make_input

    rng = np.random.default_rng(0)
    b, n, k = 1000, 13, 2
    pos = rng.uniform(0, 100, (n, k))
    sal = rng.uniform(0.1, 0.5, (n, k))
    cap = rng.uniform(10, 100, n)
    draws = np.clip(pos + rng.normal(0, 5, (b, n, k)), 0, 100)
    inp = make_input(draws, np.broadcast_to(sal, (b, n, k)), np.broadcast_to(cap, (b, n)))
    smp(inp.take(slice(0, 2)))
    value = _time(lambda: smp(inp), 1)
    loop = _time(lambda: [smp(inp.take(slice(i, i + 1))) for i in range(100)], 1) * b / 100
    return {
        "name": f"smp batch of {b} draws ({n} actors x {k} issues) vs a loop over draws "
        "(100 draws timed, scaled)",
        "value": value,
        "unit": "s",
        "baseline": loop,
        "ratio": loop / value,
    }


if __name__ == "__main__":
    for row in run():
        print(
            f"{row['name']}: {row['value']:.3f} {row['unit']} "
            f"(baseline {row['baseline']:.2f}, x{row['ratio']:.1f})"
        )
