"""Global sensitivity analysis with SALib: which uncertain input drives each forecast.

Methods (SALib 1.6):

* Sobol' (Sobol' 2001; Saltelli 2002, Saltelli et al. 2010): first-order (S1) and total (ST)
  indices, the share of the forecast's variance due to one input alone and to it with all its
  interactions. ``SALib.sample.sobol.sample`` (N (P + 2) rows, no second order) and
  ``SALib.analyze.sobol.analyze`` with bootstrap confidence intervals.
* Morris (Morris 1991; Campolongo, Cariboni & Saltelli 2007): elementary effects, mu* and sigma,
  a cheap screening with N trajectories (N (P + 1) rows).

The inputs are the scenario's uncertain positions, saliences and capabilities with the same
distributions Monte Carlo uses (:mod:`detente.analysis.uncertainty`): SALib samples the unit
hypercube and each column goes through its input's inverse CDF, so the indices are for the stated
distributions, not for uniform ranges. Morris levels are moved to the centres of their bins
(u -> (u (L - 1) + 1/2) / L) so that no level sits on a distribution's infinite tail.

The war model's inputs are its uncertain parameters (``scenario.war``) and the output is
P(talks within T months); see :func:`war_sensitivity`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from detente.analysis.distributed import Runner, SerialRunner
from detente.analysis.montecarlo import EvalTask, evaluate
from detente.analysis.uncertainty import base_input, param_table, resolve_seed
from detente.bargaining.registry import get_model
from detente.results import Result
from detente.scenario.errors import DetenteError
from detente.scenario.schema import Scenario

if TYPE_CHECKING:
    from matplotlib.figure import Figure

METHODS = ("sobol", "morris")
MORRIS_LEVELS = 4
# Model evaluations per chunk task.
_ROWS_PER_TASK = 16_384


@dataclass
class SensitivityResult(Result):
    """Indices per output (an issue's forecast, or P(talks within T months)).

    ``outputs`` maps an output's name to a frame with one row per input: ``name`` and, for
    Sobol', ``S1``, ``S1_conf``, ``ST``, ``ST_conf``; for Morris, ``mu_star``, ``mu_star_conf``,
    ``mu``, ``sigma``. Rows are sorted by ST (Sobol') or mu* (Morris), largest first.
    """

    method: str
    model: str
    n: int
    seed: int
    evaluations: int
    names: tuple[str, ...]
    outputs: dict[str, pd.DataFrame] = field(default_factory=dict)
    variance: dict[str, float] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row per output and input: output, name and the indices."""
        frames = [f.assign(output=name) for name, f in self.outputs.items()]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def plot(self, ax: Any = None) -> Figure:
        """Each output's indices (ST or mu*) as horizontal bars, largest first."""
        from matplotlib.figure import Figure

        col = "ST" if self.method == "sobol" else "mu_star"
        fig = Figure(figsize=(6, 1 + 2.5 * max(1, len(self.outputs))))
        axes = fig.subplots(max(1, len(self.outputs)), 1, squeeze=False)[:, 0]
        for axk, (name, frame) in zip(axes, self.outputs.items(), strict=False):
            top = frame.head(12)
            axk.barh(list(top["name"])[::-1], list(top[col])[::-1])
            axk.set_title(f"{name}: {col}", fontsize=9, loc="left")
        fig.tight_layout()
        return fig

    def to_dict(self) -> dict[str, Any]:
        """Stable keys: method, model, n, seed, evaluations, inputs, outputs{name: {variance,
        indices: [{name, S1, S1_conf, ST, ST_conf} or {name, mu_star, mu_star_conf, mu,
        sigma}]}}."""
        return {
            "method": self.method,
            "model": self.model,
            "n": self.n,
            "seed": self.seed,
            "evaluations": self.evaluations,
            "inputs": list(self.names),
            "outputs": {
                name: {
                    "variance": self.variance.get(name),
                    "indices": [
                        {
                            k: (None if isinstance(v, float) and not np.isfinite(v) else v)
                            for k, v in row.items()
                        }
                        for row in frame.to_dict(orient="records")
                    ],
                }
                for name, frame in self.outputs.items()
            },
        }


def default_n(model: str, method: str) -> int:
    """Base sample size: Sobol' N = 1024 (256 for dynamic models, 64 for the war model),
    Morris 64 trajectories (16 for dynamic models and the war model)."""
    dynamic = model != "war" and get_model(model).dynamic
    if model == "war":
        return 64 if method == "sobol" else 16
    if method == "sobol":
        return 256 if dynamic else 1024
    return 16 if dynamic else 64


BY = ("input", "actor", "kind")


def _problem(names: tuple[str, ...], groups: list[str] | None = None) -> dict[str, Any]:
    problem: dict[str, Any] = {
        "num_vars": len(names),
        "names": list(names),
        "bounds": [[0.0, 1.0]] * len(names),
    }
    if groups is not None:
        problem["groups"] = list(groups)
    return problem


def group_of(name: str, by: str) -> str:
    """The group of an input for ``by``: the input itself, its actor (``USA``) or its kind
    (``position``, ``salience``, ``capability``, or a war parameter's own name)."""
    parts = name.split(".")
    if by == "input" or len(parts) < 2:
        return name
    return parts[0] if by == "actor" else parts[1]


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def design(
    method: str, names: tuple[str, ...], n: int, seed: int, groups: list[str] | None = None
) -> np.ndarray:
    """The SALib sample on the unit hypercube, (rows, P)."""
    problem = _problem(names, groups)
    if method == "sobol":
        return saltelli_units(len(names), n, seed, groups)
    from SALib.sample import morris as morris_sample

    x = morris_sample.sample(problem, n, num_levels=MORRIS_LEVELS, seed=seed)
    return x


def saltelli_units(d: int, n: int, seed: int, groups: list[str] | None = None) -> np.ndarray:
    """SALib's ``sobol.sample(problem, n, calc_second_order=False, seed=seed)`` on the unit
    hypercube, built with array operations (SALib fills it with a Python loop over n x d x d
    cells, about a second at n = 1024, d = 42). Rows per base point i: A_i, then A_i with column
    j taken from B_i for each j, then B_i; A and B are the two halves of a scrambled Sobol'
    sequence in 2d dimensions. With ``groups`` (one name per column), one row per group takes all
    of the group's columns from B_i. Equal to SALib's matrix (tests/analysis/test_sensitivity.py).
    """
    import warnings

    from scipy.stats import qmc

    with warnings.catch_warnings():
        # scipy warns when n is not a power of 2 (balance properties); SALib passes it on too.
        warnings.simplefilter("ignore", UserWarning)
        base = qmc.Sobol(d=2 * d, scramble=True, seed=seed).random(n)
    a, b = base[:, :d], base[:, d:]
    names = _unique(groups) if groups is not None else None
    g = d if names is None else len(names)
    out = np.repeat(a[:, None, :], g + 2, axis=1)
    cols = np.arange(d)
    rows = cols if groups is None or names is None else np.array([names.index(x) for x in groups])
    out[:, 1 + rows, cols] = b
    out[:, g + 1, :] = b
    return out.reshape(n * (g + 2), d)


def analyse(
    method: str,
    names: tuple[str, ...],
    x: np.ndarray,
    y: np.ndarray,
    seed: int,
    groups: list[str] | None = None,
) -> tuple[pd.DataFrame, float]:
    """The indices of one output ``y`` (rows,) as a frame, and the output's variance. With
    ``groups``, one row per group (the group's indices: its inputs varied together)."""
    problem = _problem(names, groups)
    var = float(np.var(y))
    names = tuple(_unique(groups)) if groups is not None else names
    if method == "sobol":
        from SALib.analyze import sobol as sobol_analyze

        if var <= 0.0:
            zeros = np.zeros(len(names))
            frame = pd.DataFrame(
                {"name": names, "S1": zeros, "S1_conf": zeros, "ST": zeros, "ST_conf": zeros}
            )
            return frame, var
        si = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
        frame = pd.DataFrame(
            {
                "name": names,
                "S1": si["S1"],
                "S1_conf": si["S1_conf"],
                "ST": si["ST"],
                "ST_conf": si["ST_conf"],
            }
        )
        return frame.sort_values("ST", ascending=False, kind="stable").reset_index(drop=True), var
    from SALib.analyze import morris as morris_analyze

    si = morris_analyze.analyze(problem, x, y, num_levels=MORRIS_LEVELS, seed=seed)
    mu = si["mu"] if groups is None else np.full(len(names), np.nan)  # not defined for groups
    frame = pd.DataFrame(
        {
            "name": names,
            "mu_star": np.asarray(si["mu_star"], dtype=float),
            "mu_star_conf": np.asarray(si["mu_star_conf"], dtype=float),
            "mu": np.asarray(mu, dtype=float),
            "sigma": np.asarray(si["sigma"], dtype=float),
        }
    )
    return frame.sort_values("mu_star", ascending=False, kind="stable").reset_index(drop=True), var


def _check(method: str, n: int | None, model: str) -> int:
    if method not in METHODS:
        raise DetenteError(f"unknown method {method!r}; the methods are: {', '.join(METHODS)}")
    n = default_n(model, method) if n is None else n
    if not isinstance(n, int) or n < 2:
        raise DetenteError(f"the base sample size n must be an integer >= 2; got {n!r}")
    return n


def _units_for_model(method: str, x: np.ndarray) -> np.ndarray:
    # Morris levels {0, 1/3, 2/3, 1} -> bin centres {1/8, 3/8, 5/8, 7/8}: no infinite tails.
    if method == "morris":
        return (x * (MORRIS_LEVELS - 1) + 0.5) / MORRIS_LEVELS
    return x


def sensitivity(
    scenario: Scenario,
    model: str = "compromise",
    *,
    method: str = "sobol",
    issue: str | None = None,
    n: int | None = None,
    seed: int | None = 0,
    params: dict[str, Any] | None = None,
    runner: Runner | None = None,
    months: int = 12,
    paths: int = 256,
    policy: str | None = None,
    by: str = "input",
) -> SensitivityResult:
    """Sobol' or Morris indices of each issue's forecast (or only ``issue``'s) with respect to
    every uncertain position, salience and capability; ``by="actor"`` (or ``"kind"``) gives one
    index per actor (per kind of input), its inputs varied together (SALib groups).
    ``model="war"``: see :func:`war_sensitivity` (P(talks within ``months``))."""
    if by not in BY:
        raise DetenteError(f"unknown grouping {by!r}; group by one of: {', '.join(BY)}")
    if model == "war":
        return war_sensitivity(
            scenario,
            method=method,
            n=n,
            seed=seed,
            runner=runner,
            months=months,
            paths=paths,
            policy=policy,
        )
    spec = get_model(model)
    spec.resolve(params)
    n = _check(method, n, model)
    if issue is not None and issue not in scenario.issue_ids:
        raise DetenteError(f"no issue {issue!r}; the issues are: {', '.join(scenario.issue_ids)}")
    table = param_table(scenario)
    if table.size == 0:
        raise DetenteError(
            "the scenario states no uncertainty (no sd or low/high on any position, salience or "
            "capability): there is nothing to attribute the forecast's variance to"
        )
    entropy = resolve_seed(seed)
    # SALib takes a 32-bit seed; derive it from the entropy so any seed works.
    salib_seed = int(np.random.SeedSequence(entropy).generate_state(1)[0])
    groups = None if by == "input" else [group_of(name, by) for name in table.names]
    if groups is not None and len(set(groups)) < 2:
        raise DetenteError(f"grouping by {by} leaves one group: nothing to compare")
    from detente.analysis.budget import check_sensitivity

    check_sensitivity(scenario, model, n, len(table.names), method)
    x = design(method, table.names, n, salib_seed, groups)
    u = _units_for_model(method, x)
    base = base_input(scenario)
    tasks = [
        EvalTask(base, table, model, dict(params or {}), start=a, units=u[a : a + _ROWS_PER_TASK])
        for a in range(0, u.shape[0], _ROWS_PER_TASK)
    ]
    parts = (runner or SerialRunner()).map(
        evaluate, tasks, label=f"{method}: {u.shape[0]:,} runs of {model}"
    )
    y = np.concatenate(parts, axis=0)
    result = SensitivityResult(method, model, n, entropy, int(u.shape[0]), table.names)
    for k, iid in enumerate(scenario.issue_ids):
        if issue is not None and iid != issue:
            continue
        frame, var = analyse(method, table.names, x, y[:, k], salib_seed, groups)
        result.outputs[iid] = frame
        result.variance[iid] = var
    return result


# ---- the war model -----------------------------------------------------------------------------


def war_sensitivity(
    scenario: Scenario,
    *,
    method: str = "sobol",
    n: int | None = None,
    seed: int | None = 0,
    runner: Runner | None = None,
    months: int = 12,
    paths: int = 256,
    policy: str | None = None,
) -> SensitivityResult:
    """Sobol' or Morris indices of P(talks within ``months``) with respect to the war model's
    uncertain parameters (``scenario.war``); each design point is estimated from ``paths``
    simulated paths (common random numbers: every point uses the same path seed)."""
    from detente.analysis import warlink

    n = _check(method, n, "war")
    entropy = resolve_seed(seed)
    salib_seed = int(np.random.SeedSequence(entropy).generate_state(1)[0])
    table = warlink.war_table(scenario)
    if not table.names:
        raise DetenteError(
            "the scenario's war parameters state no uncertainty (no sd or low/high): there is "
            "nothing to attribute P(talks) to"
        )
    from detente.analysis.budget import check_sensitivity

    check_sensitivity(scenario, "war", n, len(table.names), method, paths, months)
    x = design(method, table.names, n, salib_seed)
    u = _units_for_model(method, x)
    rows_per_task = max(1, 262_144 // max(paths, 1))
    tasks = [
        warlink.WarTask(
            scenario, table, u[a : a + rows_per_task], months, paths, entropy, a, policy
        )
        for a in range(0, u.shape[0], rows_per_task)
    ]
    parts = (runner or SerialRunner()).map(
        warlink.p_talks, tasks, label=f"{method}: {u.shape[0]:,} war settings x {paths} paths"
    )
    y = np.concatenate(parts, axis=0)
    out = f"P(talks within {months} months)"
    result = SensitivityResult(method, "war", n, entropy, int(u.shape[0]) * paths, table.names)
    frame, var = analyse(method, table.names, x, y, salib_seed)
    result.outputs[out] = frame
    result.variance[out] = var
    return result
