"""Which engine runs a model's hot loops: numpy (always there) or numba (the ``fast`` extra).

The two give the same numbers (the numpy engines sum in the kernels' order; tests check it), so
the choice is only about speed: compiled loops pay off on large batches, but importing numba
costs about half a second and compiling (or loading from numba's cache) more. ``auto`` uses numba
when it is installed and the work is large enough, numpy otherwise: a single forecast of a small
scenario never waits for numba. ``DETENTE_ENGINE=numpy|numba|auto`` overrides the choice.
"""

from __future__ import annotations

import functools
import importlib.util
import os

from detente.scenario.errors import DetenteError

ENGINES = ("auto", "numpy", "numba")
ENV_VAR = "DETENTE_ENGINE"


@functools.cache
def numba_available() -> bool:
    """Is numba installed (without importing it)?"""
    try:
        return importlib.util.find_spec("numba") is not None
    except (ImportError, ValueError):
        return False


def use_numba(engine: str, work: float, threshold: float, model: str) -> bool:
    """Run ``model``'s compiled loops? ``engine`` "numba" (numba is required), "numpy", or
    "auto": numba when installed and ``work`` (the model's estimate of elementary operations)
    reaches ``threshold``. The environment variable DETENTE_ENGINE overrides "auto"."""
    if engine == "auto":
        engine = os.environ.get(ENV_VAR, "auto").strip().lower() or "auto"
        if engine not in ENGINES:
            raise DetenteError(f"{ENV_VAR}={engine!r}: use one of {', '.join(ENGINES)}")
    if engine == "numpy":
        return False
    if engine == "numba":
        if not numba_available():
            raise DetenteError(
                f"{model}: engine 'numba' needs the numba package: pip install 'detente[fast]'"
            )
        return True
    return numba_available() and work >= threshold
