"""What the DEU benchmark fits on training data: tuned parameters, post-processed compromise
forecasts, stacking, the selected ensemble and issue-conditioned error models.

Everything here is fitted on *training* items only (their outcomes) and applied to new items
from their inputs alone; :mod:`detente.analysis.benchmark` calls it once per cross-validation
fold (nested: every choice is made inside the fold) or once on a ``--train`` file.

* **Tuned models** (:data:`GRIDS`): Nash's and Kalai-Smorodinsky's risk attitude r and breakdown
  cost kappa (Achen 2006, "Institutional realism and bargaining models", in Thomson, Stokman,
  Achen & Koenig (eds.), *The European Union Decides*), and EUM's mirror-invariant variant: the
  grid point with the lowest training MAE. The forecasts of every grid point are computed once
  from the inputs (they involve no outcome); only the *choice* is fitted.
* **compromise_ends**: the compromise forecast moved to the scale's end when it lies within t
  points of it (t on 0..30, chosen by training MAE). Under absolute error the optimal point
  forecast is the median of the predictive distribution (Gneiting 2011, "Making and evaluating
  point forecasts", JASA 106:746-762); DEU outcomes pile up at the scale's ends (35% of the
  training file's outcomes are 0 or 100), so near an end the conditional median is the end.
* **compromise_lad**: a median (least-absolute-deviations) regression of the outcome on the
  compromise forecast, y ~ a + b f (Koenker & Bassett 1978, Econometrica 46:33-50), clipped to
  the scale: a recalibration of the compromise model.
* **stack**: simplex weights (non-negative, summing to 1) minimising the absolute error over
  the literature's small set: compromise, Nash (its in-fold choice), the reference point, the
  Commission's position, the weighted median, Decide's exchange (Wolpert 1992; Breiman 1996).
  A missing reference point or Commission position takes the compromise forecast's value.
* **ensemble**: the candidate (compromise, ``stack``, the stack over *every* model,
  compromise_ends, compromise_lad) with the lowest MAE in an *inner* cross-validation by
  proposal on the training items, refitted on all of them. Compromise is a candidate, so the
  ensemble falls back on it when nothing beats it inside the training data.
* **Error models**: each row's predictive distribution is its forecast plus its training
  errors (``empirical``), or (``scaled``, the default) plus its standardised training errors
  e / s times the new issue's scale s = max(1, c0 + c1 spread + c2 distance), where spread is the
  capability x salience weighted standard deviation of the positions around the compromise
  forecast and distance is |reference - compromise| (0 without a reference point); c is a median
  regression of |e| on those features, fitted on the training items (a location-scale error
  model; cf. Gneiting & Raftery 2007, JASA 102:359-378 on calibration and sharpness).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from detente.analysis.deu import DeuData, DeuIssue
from detente.bargaining.inputs import BargainingInput
from detente.bargaining.registry import get_model

RISKS = (1.0, 1.25, 1.5, 1.75, 2.0, 3.0)
COSTS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 20.0, 100.0, 1000.0)
EUM_CANDIDATES: tuple[dict[str, Any], ...] = tuple(
    {"offer_rule": rule, "rounds": r, "forecast": "settled", "symmetric": True}
    for rule in ("scholz", "closest")
    for r in (8, 12, 16)
)
# Tuned row -> its grid of parameter sets (the row's registered model is the row's name).
GRIDS: dict[str, tuple[dict[str, Any], ...]] = {
    "nash": tuple({"risk": r, "cost": c} for r in RISKS for c in COSTS),
    "kalai_smorodinsky": tuple({"risk": r, "cost": c} for r in RISKS for c in COSTS),
    "eum": EUM_CANDIDATES,
}
ENDS = tuple(range(0, 31))  # compromise_ends' thresholds, in points of 0-100
STACK_SET = (
    "compromise",
    "nash",
    "baseline_reference",
    "baseline_commission",
    "median",
    "exchange_decide",
)
DERIVED = ("compromise_ends", "compromise_lad", "stack")
CANDIDATES = ("compromise", "stack", "stack_all", "compromise_ends", "compromise_lad")
INNER_FOLDS = 5
SCALE_FLOOR = 1.0


def grid_key(params: dict[str, Any]) -> str:
    """A parameter set as a stable key, e.g. ``risk=1.75,cost=1000``."""
    return ",".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items())


def _padded(issues: Sequence[DeuIssue]) -> BargainingInput:
    """Every issue as one batch element of a one-issue input, actors padded with capability 0
    (an actor without weight takes no part in the Nash and Kalai-Smorodinsky solutions)."""
    n = max(len(it.actors) for it in issues)
    b = len(issues)
    pos = np.zeros((b, n, 1))
    sal = np.zeros((b, n, 1))
    cap = np.zeros((b, n))
    ref = np.full((b, 1), np.nan)
    for j, it in enumerate(issues):
        k = len(it.actors)
        pos[j, :k, 0] = it.positions
        sal[j, :k, 0] = np.asarray(it.saliences) / 100.0
        cap[j, :k] = it.capabilities
        if it.reference is not None:
            ref[j, 0] = it.reference
    return BargainingInput(pos, sal, cap, np.zeros(1), np.full(1, 100.0), ref)


def grid_forecasts(
    data: DeuData, rows: Sequence[str] = tuple(GRIDS), keys: dict[str, str] | None = None
) -> dict[str, dict[str, np.ndarray]]:
    """Tuned row -> grid key -> (n_issues,) forecasts (inputs only; no outcome is read);
    ``keys`` (row -> key) restricts a row to that one grid point (e.g. a fit's choice)."""
    from detente.analysis.benchmark import issue_input

    out: dict[str, dict[str, np.ndarray]] = {}
    if not data.issues:
        return out
    for row in rows:
        spec = get_model(row)
        out[row] = {}
        grid = [p for p in GRIDS[row] if keys is None or grid_key(p) == keys.get(row)]
        if row in ("nash", "kalai_smorodinsky"):
            inp = _padded(data.issues)
            for p in grid:
                out[row][grid_key(p)] = np.asarray(spec(inp, **p).forecast[:, 0], dtype=float)
        else:  # one issue at a time: EUM's forecasts are sensitive to batching round-off
            for p in grid:
                out[row][grid_key(p)] = np.array(
                    [spec(issue_input(it), **p).forecast[0, 0] for it in data.issues]
                )
    return out


def issue_features(data: DeuData) -> np.ndarray:
    """(n, 2) per issue: the weighted spread of the positions around the compromise forecast,
    and |reference - compromise| (0 without a reference point), in points of 0-100."""
    out = np.zeros((len(data.issues), 2))
    for j, it in enumerate(data.issues):
        x = np.asarray(it.positions, dtype=float)
        w = np.asarray(it.capabilities) * np.asarray(it.saliences)
        w = w if w.sum() > 0 else np.ones_like(x)
        c = float((w * x).sum() / w.sum())
        out[j, 0] = float(np.sqrt((w * (x - c) ** 2).sum() / w.sum()))
        out[j, 1] = 0.0 if it.reference is None else abs(it.reference - c)
    return out


def lad(features: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-absolute-deviations coefficients (a linear programme, HiGHS): median regression."""
    from scipy import sparse
    from scipy.optimize import linprog

    f = np.asarray(features, dtype=float)
    n, m = f.shape
    c = np.concatenate([np.zeros(m), np.ones(n)])
    eye = sparse.identity(n, format="csr")
    a_ub = sparse.bmat([[sparse.csr_matrix(f), -eye], [sparse.csr_matrix(-f), -eye]], format="csr")
    res = linprog(
        c,
        A_ub=a_ub,
        b_ub=np.concatenate([y, -y]),
        bounds=[(None, None)] * m + [(0, None)] * n,
        method="highs",
    )
    if not res.success:  # pragma: no cover - the LP is always feasible and bounded
        return np.zeros(m)
    return np.asarray(res.x[:m])


def ends(f: np.ndarray, t: float) -> np.ndarray:
    """The forecast moved to 0 (100) where it lies below t (above 100 - t)."""
    return np.where(f < t, 0.0, np.where(f > 100.0 - t, 100.0, f))


def _mae(f: np.ndarray, y: np.ndarray) -> float:
    return float(np.abs(f - y).mean())


def _filled(rows: dict[str, np.ndarray], name: str) -> np.ndarray:
    v = rows[name]
    return np.where(np.isfinite(v), v, rows["compromise"])


@dataclass
class Core:
    """The fitted choices that turn inputs into forecasts (no error model)."""

    choices: dict[str, str] = field(default_factory=dict)  # tuned row -> grid key
    ends_t: float | None = None
    lad_coef: list[float] | None = None
    stack_models: list[str] = field(default_factory=list)
    stack_weights: list[float] = field(default_factory=list)
    all_models: list[str] = field(default_factory=list)
    all_weights: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "choices": dict(self.choices),
            "compromise_ends": {"threshold": self.ends_t},
            "compromise_lad": {"coef": self.lad_coef},
            "stack": dict(zip(self.stack_models, self.stack_weights, strict=True)),
            "stack_all": dict(zip(self.all_models, self.all_weights, strict=True)),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Core:
        return cls(
            choices=dict(d.get("choices", {})),
            ends_t=d.get("compromise_ends", {}).get("threshold"),
            lad_coef=d.get("compromise_lad", {}).get("coef"),
            stack_models=list(d.get("stack", {})),
            stack_weights=[float(v) for v in d.get("stack", {}).values()],
            all_models=list(d.get("stack_all", {})),
            all_weights=[float(v) for v in d.get("stack_all", {}).values()],
        )


def tuned_rows(point: dict[str, np.ndarray], grids: dict[str, dict[str, np.ndarray]]) -> list[str]:
    return [r for r in grids if r in point]


def fit_core(
    point: dict[str, np.ndarray], grids: dict[str, dict[str, np.ndarray]], y: np.ndarray
) -> Core:
    """Fit every choice on these training items (point forecasts, grid forecasts, outcomes)."""
    from detente.analysis.ensemble import fit_weights

    core = Core()
    for row in tuned_rows(point, grids):
        g = grids[row]
        core.choices[row] = min(g, key=lambda k: (_mae(g[k], y), list(g).index(k)))
    rows = apply_core(core, point, grids, derived=False)
    if "compromise" in rows:
        comp = rows["compromise"]
        core.ends_t = float(min(ENDS, key=lambda t: (_mae(ends(comp, t), y), t)))
        core.lad_coef = [float(v) for v in lad(np.column_stack([np.ones(len(y)), comp]), y)]
        core.stack_models = [m for m in STACK_SET if m in rows]
        if len(core.stack_models) > 1:
            f = np.column_stack([_filled(rows, m) for m in core.stack_models])
            core.stack_weights = [float(w) for w in fit_weights(f, y)]
        else:
            core.stack_weights = [1.0] * len(core.stack_models)
    core.all_models = [
        m
        for m, v in rows.items()
        if not m.startswith("baseline_") and m not in DERIVED and np.isfinite(v).all()
    ]
    if core.all_models:
        f = np.column_stack([rows[m] for m in core.all_models])
        core.all_weights = [float(w) for w in fit_weights(f, y)]
    return core


def apply_core(
    core: Core,
    point: dict[str, np.ndarray],
    grids: dict[str, dict[str, np.ndarray]],
    derived: bool = True,
) -> dict[str, np.ndarray]:
    """Every row's forecast of these items under the fitted choices (tuned rows at their choice;
    with ``derived``, also compromise_ends, compromise_lad, stack and stack_all)."""
    rows = {m: np.asarray(v, dtype=float) for m, v in point.items()}
    for row, key in core.choices.items():
        if row in rows and row in grids:
            rows[row] = grids[row][key]
    if not derived or "compromise" not in rows:
        return rows
    comp = rows["compromise"]
    if core.ends_t is not None:
        rows["compromise_ends"] = ends(comp, core.ends_t)
    if core.lad_coef is not None:
        a, b = core.lad_coef
        rows["compromise_lad"] = np.clip(a + b * comp, 0.0, 100.0)
    if core.stack_models:
        f = np.column_stack([_filled(rows, m) for m in core.stack_models])
        rows["stack"] = f @ np.asarray(core.stack_weights)
    if core.all_models:
        f = np.column_stack([rows[m] for m in core.all_models])
        rows["stack_all"] = f @ np.asarray(core.all_weights)
    return rows


def inner_folds(clusters: np.ndarray, k: int = INNER_FOLDS) -> np.ndarray:
    """Each item's inner fold: proposals in sorted order dealt round-robin (deterministic)."""
    names = sorted(set(clusters.tolist()))
    k = min(k, len(names))
    pos = {p: i % k for i, p in enumerate(names)}
    return np.array([pos[c] for c in clusters])


def select_candidate(
    point: dict[str, np.ndarray],
    grids: dict[str, dict[str, np.ndarray]],
    y: np.ndarray,
    clusters: np.ndarray,
) -> tuple[str, dict[str, float]]:
    """The ensemble's candidate with the lowest inner cross-validated MAE (by proposal) on
    these training items, and every candidate's inner MAE. Fewer than 3 proposals: compromise."""
    if len(set(clusters.tolist())) < 3 or "compromise" not in point:
        return "compromise", {}
    which = inner_folds(clusters)
    held: dict[str, np.ndarray] = {c: np.full(len(y), np.nan) for c in CANDIDATES}
    for k in sorted(set(which.tolist())):
        test = which == k
        core = fit_core(
            {m: v[~test] for m, v in point.items()},
            {r: {g: v[~test] for g, v in grid.items()} for r, grid in grids.items()},
            y[~test],
        )
        rows = apply_core(
            core,
            {m: v[test] for m, v in point.items()},
            {r: {g: v[test] for g, v in grid.items()} for r, grid in grids.items()},
        )
        for c in CANDIDATES:
            if c in rows:
                held[c][test] = rows[c]
    scores = {c: _mae(v, y) for c, v in held.items() if np.isfinite(v).all()}
    best = min(scores, key=lambda c: (scores[c], CANDIDATES.index(c)))
    return best, scores


def scale_coef(features: np.ndarray, errors: np.ndarray) -> list[float]:
    """Median regression of |error| on [1, spread, distance]: the error model's scale."""
    z = np.column_stack([np.ones(len(errors)), features])
    return [float(v) for v in lad(z, np.abs(errors))]


def scales(coef: Sequence[float] | None, features: np.ndarray) -> np.ndarray:
    """Each issue's error scale, at least :data:`SCALE_FLOOR` (1 everywhere without ``coef``)."""
    if coef is None:
        return np.ones(len(features))
    z = np.column_stack([np.ones(len(features)), features])
    return np.maximum(z @ np.asarray(coef), SCALE_FLOOR)
