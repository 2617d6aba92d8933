"""War-model parameters: the default assumptions, overrides, and draws from their uncertainty."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from detente.scenario.errors import DetenteError
from detente.scenario.estimate import Estimate
from detente.scenario.war_schema import PARAMETERS, WarSpec

# Parameters never drawn from a scenario Estimate's uncertainty (the forecast point is a fact).
NOT_DRAWN = frozenset({"elapsed"})


def base_params(spec: WarSpec | None) -> dict[str, float]:
    """Every parameter at its assumed value (the scenario's Estimate, else the default)."""
    out = {name: info.default for name, info in PARAMETERS.items()}
    if spec is not None:
        for name in spec.parameters:
            if name not in PARAMETERS:  # a WarSpec built in code (the loader checks files)
                raise DetenteError(
                    f"war.parameters.{name}: is not a war parameter; the parameters are: "
                    + ", ".join(PARAMETERS)
                )
        out.update({name: est.value for name, est in spec.parameters.items()})
    return out


def merge_params(
    spec: WarSpec | None, overrides: Mapping[str, float | np.ndarray] | None
) -> dict[str, float | np.ndarray]:
    """The assumed values with ``overrides`` (floats or per-path arrays) on top, checked."""
    params: dict[str, float | np.ndarray] = dict(base_params(spec))
    for name, value in (overrides or {}).items():
        info = PARAMETERS.get(name)
        if info is None:
            raise DetenteError(
                f"unknown war parameter {name!r}; the parameters are: {', '.join(PARAMETERS)}"
            )
        arr = np.asarray(value, dtype=float)
        if arr.ndim > 1 or not np.all(np.isfinite(arr)):
            raise DetenteError(f"war parameter {name!r}: give a finite number or a 1-d array")
        if np.any(arr < info.low) or np.any(arr > info.high):
            raise DetenteError(
                f"war parameter {name!r} must lie within [{info.low:g}, {info.high:g}] ({info.doc})"
            )
        params[name] = float(arr) if arr.ndim == 0 else arr
    return params


def uncertain_names(spec: WarSpec | None) -> list[str]:
    """The parameters whose Estimates carry uncertainty (the ones draws vary)."""
    if spec is None:
        return []
    return [n for n, est in spec.parameters.items() if est.uncertain and n not in NOT_DRAWN]


def draw_estimate(est: Estimate, lo: float, hi: float, u: np.ndarray) -> np.ndarray:
    """Map uniforms ``u`` to draws of ``est``: sd -> normal truncated to [lo, hi] (and to
    [low, high] when given); low/high alone -> uniform (triangular when asked).

    Inverse-CDF sampling, so one uniform per draw (the same ``u`` gives the same draw: common
    random numbers across parameters sets that differ in one Estimate).
    """
    if est.low is not None:
        lo, hi = max(lo, est.low), min(hi, est.high if est.high is not None else hi)
    from scipy.special import ndtr, ndtri

    kind = est.distribution
    if kind == "none":
        return np.full(u.shape, est.value)
    if kind == "uniform":
        return lo + (hi - lo) * u
    if kind == "triangular":
        a, b, c = lo, hi, est.value
        f = (c - a) / (b - a) if b > a else 0.5
        left = a + np.sqrt(u * (b - a) * (c - a))
        right = b - np.sqrt((1 - u) * (b - a) * (b - c))
        return np.where(u < f, left, right)
    sd = float(est.sd or 0.0)
    a = ndtr((lo - est.value) / sd) if np.isfinite(lo) else 0.0
    b = ndtr((hi - est.value) / sd) if np.isfinite(hi) else 1.0
    p = np.clip(a + (b - a) * u, 1e-15, 1 - 1e-15)
    return np.clip(est.value + sd * ndtri(p), lo, hi)


def draw_params(
    spec: WarSpec | None, draws: int, seed: int | np.random.SeedSequence
) -> dict[str, np.ndarray]:
    """``draws`` values of every uncertain parameter (arrays of shape (draws,)).

    Each parameter has its own stream spawned from ``seed`` by its name's position in the
    catalogue, so adding uncertainty to one parameter does not change the others' draws.
    """
    if draws < 1:
        raise DetenteError("--draws must be at least 1")
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    names = list(PARAMETERS)
    out: dict[str, np.ndarray] = {}
    for name in uncertain_names(spec):
        assert spec is not None
        info = PARAMETERS[name]
        child = np.random.SeedSequence(ss.entropy, spawn_key=(*ss.spawn_key, names.index(name)))
        u = np.random.default_rng(child).random(draws)
        out[name] = draw_estimate(spec.parameters[name], info.low, info.high, u)
    return out
