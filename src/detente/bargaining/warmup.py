"""Compile the numba kernels into numba's on-disk cache, so that no user waits for compilation.

``python -m detente.bargaining.warmup`` runs each compiled kernel once on a tiny input (``make
setup`` starts it in the background after installing). Later processes load the machine code from
the cache (``cache=True``) in a fraction of a second. Without numba it does nothing.
"""

from __future__ import annotations

import time

import numpy as np

from detente.bargaining.engines import numba_available


def warm() -> dict[str, float]:
    """Run every compiled kernel once; returns seconds per model (empty without numba)."""
    if not numba_available():
        return {}
    from detente.bargaining.eum import eum
    from detente.bargaining.exchange import exchange
    from detente.bargaining.inputs import make_input
    from detente.bargaining.smp import smp

    rng = np.random.default_rng(0)
    b, n, k = 2, 5, 2
    inp = make_input(
        rng.uniform(0, 100, (b, n, k)), rng.uniform(0.1, 0.9, (b, n, k)), rng.uniform(1, 9, (b, n))
    )
    out = {}
    for name, fn, opts in (
        ("smp", smp, {"engine": "numba", "max_turns": 2}),
        ("eum", eum, {"engine": "numba", "rounds": 1}),
    ):
        t0 = time.perf_counter()
        fn(inp, **opts)
        out[name] = time.perf_counter() - t0
    # The parallel challenge kernel runs only on large work: compile it directly.
    from detente.bargaining import smp_numba

    t0 = time.perf_counter()
    d = rng.uniform(0, 1, (1, 3, 3))
    smp_numba.challenges_parallel(d, d, np.ones((1, 3)), np.ones((1, 3)), 0, 1.0, True)
    out["smp parallel"] = time.perf_counter() - t0
    from detente.bargaining import exchange as exchange_module

    saved = exchange_module._KERNEL
    exchange_module._KERNEL = "numba"
    try:
        t0 = time.perf_counter()
        exchange(inp, max_iterations=1)
        out["exchange"] = time.perf_counter() - t0
    finally:
        exchange_module._KERNEL = saved
    return out


if __name__ == "__main__":
    for model, seconds in warm().items():
        print(f"{model}: {seconds:.1f} s")
