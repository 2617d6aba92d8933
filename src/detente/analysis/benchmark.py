"""The DEU benchmark: every model on every scoreable issue, with proper scores and intervals.

For a DEU III file (:mod:`detente.analysis.deu`) every bargaining model forecasts every issue
with a recorded outcome: the one-issue models issue by issue (the actors placed on it), the
exchange model once per *proposal* (a proposal's issues are one negotiation; an actor without a
position on one of them takes part there with salience 0, i.e. without a vote). Three naive
baselines sit in the same table: the reference point (no change; only where the file has one),
the Commission's position, and the unweighted mean of the positions. Rows fitted on training
data only sit beside them (:mod:`detente.analysis.forecasters`): ``compromise_ends``,
``compromise_lad``, the stacks ``stack`` and ``stack_all`` (simplex weights minimising absolute
error; Wolpert 1992, Breiman 1996) and the ``ensemble``.

Scores (errors in points of the 0-100 scale):

* ``mae``, ``rmse`` of the point forecasts;
* ``crps`` and ``coverage_50`` / ``coverage_90`` from each model's *predictive distribution*: DEU
  values carry no uncertainty of their own, so each model's forecast f gets the distribution of
  its own errors on the training data, f + s e_j (j over training issues; e_j standardised and s
  the issue's scale under the default ``error_model="scaled"``, s = 1 and raw errors under
  ``"empirical"``), clipped to the scale (outcomes at the scale's ends are common, so the ends
  get point masses). CRPS is computed by ``scoringrules.crps_ensemble`` (Gneiting & Raftery
  2007, JASA 102:359-378);
  coverage is the share of outcomes inside the central 50% / 90% interval of those samples;
* ``diff_vs_compromise``: the mean paired difference of absolute errors, model minus compromise,
  with a 95% percentile bootstrap interval that resamples whole proposals (issues of one proposal
  are not independent): ``{mae, low, high}``; an interval below zero means the model beats the
  compromise model with confidence.

Training and scoring (nested): with a separate training file (``train=``) everything fitted
(:mod:`detente.analysis.forecasters`: the tuned models' parameters, ``compromise_ends`` and
``compromise_lad``, the stacks, the ensemble's candidate, the error models) is fitted on it and
the scored file only supplies inputs and outcomes. Without one, the scored file is
cross-validated by proposal: proposals are split into ``folds`` folds (a seeded permutation),
and each fold is scored with everything fitted on the others, the ensemble's candidate by an
inner cross-validation inside them, so that no reported figure comes from a choice that saw the
issue it scores.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from detente.analysis import forecasters as fc
from detente.analysis.deu import DeuData, DeuIssue
from detente.analysis.forecasters import Core
from detente.bargaining.inputs import BargainingInput, make_input
from detente.bargaining.registry import get_model
from detente.results import Result
from detente.scenario.errors import DetenteError

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

BENCHMARK = "compromise"
ENSEMBLE = "ensemble"
# (row name, registered model, parameters); exchange is scored per proposal.
MODELS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("median", "median", {}),
    ("compromise", "compromise", {}),
    ("nash", "nash", {}),
    ("kalai_smorodinsky", "kalai_smorodinsky", {}),
    ("procedural", "procedural", {}),
    ("eum", "eum", {}),
    ("smp", "smp", {}),
    ("exchange", "exchange", {}),
    ("exchange_decide", "exchange", {"variant": "decide"}),
)
BASELINES = ("baseline_reference", "baseline_commission", "baseline_mean")
PER_PROPOSAL = frozenset({"exchange"})
BOOTSTRAP = 2000
LEVELS = (0.5, 0.9)


def issue_input(issue: DeuIssue) -> BargainingInput:
    """One DEU issue as a one-issue bargaining input (saliences on 0-1)."""
    return make_input(
        list(issue.positions),
        [s / 100.0 for s in issue.saliences],
        list(issue.capabilities),
        0.0,
        100.0,
        issue.reference,
        actor_ids=issue.actors,
        issue_ids=(issue.number,),
    )


def proposal_input(issues: Sequence[DeuIssue]) -> BargainingInput:
    """A proposal's issues as one multi-issue input. An actor without a position on an issue
    takes part there with salience 0 (no vote: it neither moves the expected outcome nor gains
    from it), placed at the capability x salience weighted mean of the placed actors."""
    actors: list[str] = []
    caps: dict[str, float] = {}
    for it in issues:
        for a, c in zip(it.actors, it.capabilities, strict=True):
            if a not in caps:
                actors.append(a)
                caps[a] = c
            caps[a] = max(caps[a], c)
    n, k = len(actors), len(issues)
    pos = np.zeros((n, k))
    sal = np.zeros((n, k))
    ref = np.full(k, np.nan)
    for j, it in enumerate(issues):
        w = np.array(it.capabilities) * np.array(it.saliences)
        x = np.array(it.positions)
        centre = float((w * x).sum() / w.sum()) if w.sum() > 0 else float(x.mean())
        pos[:, j] = centre
        for a, p, s in zip(it.actors, it.positions, it.saliences, strict=True):
            i = actors.index(a)
            pos[i, j], sal[i, j] = p, s / 100.0
        if it.reference is not None:
            ref[j] = it.reference
    return make_input(
        pos,
        sal,
        [caps[a] for a in actors],
        0.0,
        100.0,
        ref,
        actor_ids=tuple(actors),
        issue_ids=tuple(it.number for it in issues),
    )


def point_forecasts(
    data: DeuData, models: Sequence[tuple[str, str, dict[str, Any]]] = MODELS
) -> dict[str, np.ndarray]:
    """Row name -> (n_issues,) forecasts of every model and baseline (NaN where none)."""
    issues = data.issues
    out: dict[str, np.ndarray] = {}
    for row, model, params in models:
        spec = get_model(model)
        f = np.full(len(issues), np.nan)
        if model in PER_PROPOSAL:
            for idx in data.proposals.values():
                res = spec(proposal_input([issues[j] for j in idx]), **params)
                f[idx] = res.forecast[0]
        else:
            for j, it in enumerate(issues):
                f[j] = spec(issue_input(it), **params).forecast[0, 0]
        out[row] = f
    out["baseline_reference"] = np.array(
        [np.nan if it.reference is None else it.reference for it in issues]
    )
    out["baseline_commission"] = np.array(
        [it.positions[it.actors.index("com")] if "com" in it.actors else np.nan for it in issues]
    )
    out["baseline_mean"] = np.array([float(np.mean(it.positions)) for it in issues])
    return out


@dataclass
class Fit:
    """What is fitted on training data (:mod:`detente.analysis.forecasters`): the tuned models'
    choices, the post-processed compromise rows, the stacks, the ensemble's chosen candidate,
    and every row's error model (standardised training errors and the scale's coefficients)."""

    ensemble_models: list[str]
    weights: np.ndarray
    residuals: dict[str, np.ndarray]
    n_train: int
    core: Core = field(default_factory=Core)
    ensemble_choice: str = "stack_all"
    inner_mae: dict[str, float] = field(default_factory=dict)
    scale: dict[str, list[float] | None] = field(default_factory=dict)
    error_model: str = "empirical"

    def to_dict(self) -> dict[str, Any]:
        """Weights, choices and a summary of each error model (its quantiles)."""
        return {
            "n_train": self.n_train,
            "ensemble_weights": {
                m: float(w) for m, w in zip(self.ensemble_models, self.weights, strict=True)
            },
            "ensemble_choice": self.ensemble_choice,
            "inner_cv_mae": dict(self.inner_mae),
            **self.core.to_dict(),
            "error_model": self.error_model,
            "error_scale": {m: c for m, c in self.scale.items() if c is not None},
            "error_quantiles": {
                m: [float(q) for q in np.quantile(r, [0.05, 0.25, 0.5, 0.75, 0.95])]
                for m, r in self.residuals.items()
                if len(r)
            },
        }


def fit(
    forecasts: dict[str, np.ndarray],
    outcomes: np.ndarray,
    grids: dict[str, dict[str, np.ndarray]] | None = None,
    clusters: np.ndarray | None = None,
    features: np.ndarray | None = None,
    error_model: str = "scaled",
) -> Fit:
    """Fit everything on training items: the tuned models' choices and the derived rows
    (:func:`detente.analysis.forecasters.fit_core`), the ensemble's candidate by an inner
    cross-validation by proposal (``clusters``), and every row's error model (``features``:
    :func:`detente.analysis.forecasters.issue_features`; ``error_model`` "scaled" or
    "empirical")."""
    y = np.asarray(outcomes, dtype=float)
    grids = grids or {}
    if not any(
        not m.startswith("baseline_") and np.isfinite(f).all() for m, f in forecasts.items()
    ):
        raise DetenteError("no model forecasts every training issue; nothing to fit")
    if error_model not in ("scaled", "empirical"):
        raise DetenteError(f"error model {error_model!r}: use 'scaled' or 'empirical'")
    core = fc.fit_core(forecasts, grids, y)
    groups = clusters if clusters is not None else np.arange(len(y)).astype(str)
    choice, inner = fc.select_candidate(forecasts, grids, y, np.asarray(groups))
    rows = fc.apply_core(core, forecasts, grids)
    rows[ENSEMBLE] = rows[choice]
    feats = features if features is not None else np.zeros((len(y), 2))
    residuals: dict[str, np.ndarray] = {}
    scale: dict[str, list[float] | None] = {}
    for m, v in rows.items():
        ok = np.isfinite(v)
        e = (y - v)[ok]
        coef = fc.scale_coef(feats[ok], e) if error_model == "scaled" and ok.sum() > 3 else None
        scale[m] = coef
        residuals[m] = e / fc.scales(coef, feats[ok])
    return Fit(
        ensemble_models=list(core.all_models),
        weights=np.asarray(core.all_weights, dtype=float),
        residuals=residuals,
        n_train=len(y),
        core=core,
        ensemble_choice=choice,
        inner_mae=inner,
        scale=scale,
        error_model=error_model,
    )


def apply_fit(
    model_fit: Fit,
    forecasts: dict[str, np.ndarray],
    grids: dict[str, dict[str, np.ndarray]] | None = None,
) -> dict[str, np.ndarray]:
    """Every row's forecast of new items under the fit (tuned rows at their fitted choice,
    the derived rows, and the ensemble: its chosen candidate)."""
    rows = fc.apply_core(model_fit.core, forecasts, grids or {})
    rows[ENSEMBLE] = rows[model_fit.ensemble_choice]
    return rows


def predictive_samples(
    point: np.ndarray, residuals: np.ndarray, scale: np.ndarray | None = None
) -> np.ndarray:
    """(n, R) samples of each item's predictive distribution: point + scale x residual (the
    standardised training errors; scale 1 for the empirical error model), on 0-100."""
    s = np.ones(len(point)) if scale is None else np.asarray(scale, dtype=float)
    return np.clip(point[:, None] + s[:, None] * residuals[None, :], 0.0, 100.0)


def fold_of_proposals(proposals: Sequence[str], folds: int, seed: int) -> dict[str, int]:
    """Each proposal's fold, from a seeded permutation (deterministic)."""
    names = sorted(set(proposals))
    order = np.random.default_rng(np.random.SeedSequence(seed)).permutation(len(names))
    k = max(2, min(folds, len(names)))
    return {names[i]: int(r % k) for r, i in enumerate(order)}


def clustered_interval(
    diff: np.ndarray, clusters: np.ndarray, reps: int, seed: int, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of mean(diff), resampling whole clusters with replacement."""
    labels, inverse = np.unique(clusters, return_inverse=True)
    sums = np.bincount(inverse, weights=diff, minlength=len(labels))
    counts = np.bincount(inverse, minlength=len(labels)).astype(float)
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    draws = rng.integers(0, len(labels), size=(reps, len(labels)))
    means = sums[draws].sum(axis=1) / counts[draws].sum(axis=1)
    a = (1.0 - level) / 2.0
    lo, hi = np.quantile(means, [a, 1.0 - a])
    return float(lo), float(hi)


@dataclass
class BenchmarkResult(Result):
    """Per-issue forecasts and errors of every row, and the leaderboard with intervals."""

    path: str
    mode: str  # "cross-validated by proposal (K folds)" or "trained on FILE"
    issues: list[DeuIssue]
    outcomes: np.ndarray
    forecasts: dict[str, np.ndarray]  # held-out where fitted (the ensemble)
    lower: dict[str, dict[float, np.ndarray]]
    upper: dict[str, dict[float, np.ndarray]]
    crps: dict[str, np.ndarray]
    fits: list[Fit] = field(default_factory=list)
    seed: int = 0
    reps: int = BOOTSTRAP
    board: dict[str, dict[str, Any]] = field(default_factory=dict)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    rules: dict[str, int] = field(default_factory=dict)

    @property
    def n_proposals(self) -> int:
        return len({it.proposal for it in self.issues})

    def score(self) -> None:
        """Fill ``board``: every row's scores and its difference from compromise."""
        y = self.outcomes
        clusters = np.array([it.proposal for it in self.issues])
        bench = np.abs(self.forecasts[BENCHMARK] - y)
        board: dict[str, dict[str, Any]] = {}
        for k, (name, f) in enumerate(self.forecasts.items()):
            ok = np.isfinite(f)
            err = np.abs(f - y)[ok]
            entry: dict[str, Any] = {
                "n": int(ok.sum()),
                "mae": float(err.mean()) if ok.any() else None,
                "rmse": float(np.sqrt((err**2).mean())) if ok.any() else None,
                "crps": float(np.mean(self.crps[name][ok])) if ok.any() else None,
                "coverage_50": _cover(self, name, 0.5, ok),
                "coverage_90": _cover(self, name, 0.9, ok),
            }
            if name == BENCHMARK or not ok.any():
                entry["diff_vs_compromise"] = {"mae": 0.0 if name == BENCHMARK else None}
                entry["diff_vs_compromise"] |= {"low": None, "high": None}
            else:
                d = np.abs(f - y)[ok] - bench[ok]
                lo, hi = clustered_interval(d, clusters[ok], self.reps, self.seed + 1000 + k)
                entry["diff_vs_compromise"] = {"mae": float(d.mean()), "low": lo, "high": hi}
            board[name] = entry
        self.board = dict(sorted(board.items(), key=lambda kv: _key(kv[1]["mae"])))

    def to_dict(self) -> dict[str, Any]:
        """``n_issues``, ``n_proposals``, ``mode``, ``models: {NAME: {n, mae, rmse, crps,
        coverage_50, coverage_90, diff_vs_compromise: {mae, low, high}}}`` (best MAE first;
        baselines under ``baseline_*``), ``fit`` (weights and error models; one per fold when
        cross-validated) and the bootstrap's settings."""
        return {
            "path": self.path,
            "n_issues": len(self.issues),
            "n_proposals": self.n_proposals,
            "mode": self.mode,
            "models": self.board,
            "fit": [f.to_dict() for f in self.fits],
            "bootstrap": {"reps": self.reps, "seed": self.seed, "cluster": "proposal"},
            "capabilities": self.rules,
            "skipped": [{"row": r, "reason": why} for r, why in self.skipped],
            "units": "points of the 0-100 scale",
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per issue and model: forecast, outcome, error, 50%/90% interval, CRPS."""
        import pandas as pd

        rows = []
        for name, f in self.forecasts.items():
            for j, it in enumerate(self.issues):
                rows.append(
                    {
                        "model": name,
                        "proposal": it.proposal,
                        "issue": it.number,
                        "forecast": f[j],
                        "outcome": self.outcomes[j],
                        "error": abs(f[j] - self.outcomes[j]),
                        "low_50": self.lower[name][0.5][j],
                        "high_50": self.upper[name][0.5][j],
                        "low_90": self.lower[name][0.9][j],
                        "high_90": self.upper[name][0.9][j],
                        "crps": self.crps[name][j],
                    }
                )
        return pd.DataFrame(rows)

    def plot(self, ax: Any = None) -> Figure:
        """Each model's MAE difference from compromise with its 95% clustered interval."""
        import matplotlib

        if ax is None:
            matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        names = [m for m, e in self.board.items() if e["diff_vs_compromise"]["mae"] is not None]
        names = names[::-1]
        if ax is None:
            fig, ax = plt.subplots(figsize=(7, 0.4 * len(names) + 1.5))
        else:
            fig = ax.figure
        for i, m in enumerate(names):
            d = self.board[m]["diff_vs_compromise"]
            lo = d["low"] if d["low"] is not None else d["mae"]
            hi = d["high"] if d["high"] is not None else d["mae"]
            colour = "tab:green" if hi < 0 else ("tab:red" if lo > 0 else "tab:grey")
            ax.errorbar(d["mae"], i, xerr=[[d["mae"] - lo], [hi - d["mae"]]], fmt="o", color=colour)
            ax.annotate(
                f"MAE {self.board[m]['mae']:.2f}",
                (hi, i),
                xytext=(4, -3),
                textcoords="offset points",
                fontsize=8,
            )
        ax.axvline(0.0, color="black", lw=0.8)
        ax.set_yticks(range(len(names)), names)
        ax.set_xlabel("MAE minus compromise's (points of 0-100), 95% interval by proposal")
        ax.set_title(f"DEU benchmark: {len(self.issues)} issues, {self.mode}", fontsize=9)
        fig.tight_layout()
        return fig


def _key(x: float | None) -> float:
    return math.inf if x is None else x


def _cover(res: BenchmarkResult, name: str, level: float, ok: np.ndarray) -> float | None:
    if not ok.any():
        return None
    y = res.outcomes[ok]
    lo, hi = res.lower[name][level][ok], res.upper[name][level][ok]
    return float(np.mean((lo <= y + 1e-9) & (y <= hi + 1e-9)))


def crps_samples(y: np.ndarray, samples: np.ndarray) -> np.ndarray:
    """CRPS of each row's sample (n, m) at y (n,): ``scoringrules.crps_ensemble`` when installed,
    else the same estimator in numpy, E|X - y| - E|X - X'| / 2 over the sample (Gneiting &
    Raftery 2007, eq. 21), by sorting: sum_ij |x_i - x_j| = 2 sum_k (2k - m + 1) x_(k)."""
    try:
        import scoringrules as sr
    except ImportError:
        m = samples.shape[1]
        xs = np.sort(samples, axis=1)
        k = np.arange(m)
        spread = 2.0 * ((2 * k - m + 1) * xs).sum(axis=1) / (m * m)
        return np.abs(samples - y[:, None]).mean(axis=1) - 0.5 * spread
    return np.asarray(sr.crps_ensemble(y, samples))


def _distribution(
    point: np.ndarray, residuals: np.ndarray, y: np.ndarray, scale: np.ndarray
) -> dict[str, Any]:
    ok = np.isfinite(point)
    n = len(point)
    crps = np.full(n, np.nan)
    lows = {lv: np.full(n, np.nan) for lv in LEVELS}
    highs = {lv: np.full(n, np.nan) for lv in LEVELS}
    if ok.any() and len(residuals):
        s = predictive_samples(point[ok], residuals, scale[ok])
        crps[ok] = crps_samples(y[ok], s)
        for lv in LEVELS:
            a = (1.0 - lv) / 2.0
            q = np.quantile(s, [a, 1.0 - a], axis=1)
            lows[lv][ok], highs[lv][ok] = q[0], q[1]
    return {"crps": crps, "low": lows, "high": highs}


def benchmark(
    data: DeuData,
    train: DeuData | None = None,
    *,
    folds: int = 10,
    seed: int = 0,
    reps: int = BOOTSTRAP,
    models: Sequence[tuple[str, str, dict[str, Any]]] = MODELS,
    forecasts: dict[str, np.ndarray] | None = None,
    train_forecasts: dict[str, np.ndarray] | None = None,
    fitted: Fit | None = None,
    grids: dict[str, dict[str, np.ndarray]] | None = None,
    train_grids: dict[str, dict[str, np.ndarray]] | None = None,
    error_model: str = "scaled",
    tune: bool = True,
) -> BenchmarkResult:
    """Score every model and baseline on ``data`` (see the module doc).

    ``train``: fit everything (tuned parameters, derived rows, stacks, the ensemble, error
    models) on this file only; ``fitted``: use this fit (e.g. the shipped one,
    :func:`detente.analysis.fitted.shipped_fit`); else cross-validate by proposal over
    ``folds`` folds, every choice made inside each fold (nested). ``forecasts`` /
    ``train_forecasts`` and ``grids`` / ``train_grids`` reuse point and grid forecasts already
    computed (:func:`point_forecasts`, :func:`detente.analysis.forecasters.grid_forecasts`).
    ``tune=False`` keeps the tuned models at their (shipped) defaults.
    """
    if not data.issues:
        raise DetenteError(f"{data.path}: no issue with an outcome and at least two actors")
    if error_model not in ("scaled", "empirical"):
        raise DetenteError(f"--error-model {error_model}: use 'scaled' or 'empirical'")
    point = forecasts if forecasts is not None else point_forecasts(data, models)
    tuned = tuned_rows(models) if tune else []
    tuned = [r for r in tuned if r in point]
    if fitted is not None:
        tuned = [r for r in tuned if r in fitted.core.choices]
    if grids is None:
        keys = fitted.core.choices if fitted is not None else None
        grids = fc.grid_forecasts(data, tuned, keys)
    grids = {r: g for r, g in grids.items() if r in tuned}
    feats = fc.issue_features(data)
    y = np.array([it.outcome for it in data.issues])
    clusters = np.array([it.proposal for it in data.issues])
    splits: list[tuple[np.ndarray, Fit]] = []
    if fitted is not None:
        needed = set(fitted.core.stack_models) | set(fitted.core.all_models)
        missing = sorted((set(point) - set(fitted.residuals)) | (needed - set(point)))
        if missing:
            raise DetenteError(
                "the given fit and the models scored differ (missing: "
                f"{', '.join(missing)}); score every model with it (no -m)"
            )
        splits = [(np.ones(len(y), bool), fitted)]
        mode = f"fit given ({fitted.n_train} training issues)"
    elif train is not None:
        tf = train_forecasts if train_forecasts is not None else point_forecasts(train, models)
        if train_grids is None:
            train_grids = fc.grid_forecasts(train, list(grids))
        tg = {r: g for r, g in train_grids.items() if r in grids}
        ty = np.array([it.outcome for it in train.issues])
        tc = np.array([it.proposal for it in train.issues])
        model_fit = fit(tf, ty, tg, tc, fc.issue_features(train), error_model)
        splits = [(np.ones(len(y), bool), model_fit)]
        mode = f"trained on {train.path}"
    else:
        fold = fold_of_proposals(list(clusters), folds, seed)
        which = np.array([fold[c] for c in clusters])
        for k in sorted(set(which.tolist())):
            test = which == k
            splits.append(
                (
                    test,
                    fit(
                        {m: v[~test] for m, v in point.items()},
                        y[~test],
                        {r: {g: v[~test] for g, v in grid.items()} for r, grid in grids.items()},
                        clusters[~test],
                        feats[~test],
                        error_model,
                    ),
                )
            )
        mode = f"cross-validated by proposal ({len(splits)} folds, every choice inside the fold)"
    held: dict[str, np.ndarray] = {}
    dist: dict[str, dict[str, Any]] = {}
    fits: list[Fit] = []
    for test, model_fit in splits:
        fits.append(model_fit)
        rows = apply_fit(
            model_fit,
            {m: v[test] for m, v in point.items()},
            {r: {g: v[test] for g, v in grid.items()} for r, grid in grids.items()},
        )
        for m, v in rows.items():
            if m not in held:
                held[m] = np.full(len(y), np.nan)
                dist[m] = {
                    "crps": np.full(len(y), np.nan),
                    "low": {lv: np.full(len(y), np.nan) for lv in LEVELS},
                    "high": {lv: np.full(len(y), np.nan) for lv in LEVELS},
                }
            held[m][test] = v
            if m not in model_fit.residuals:
                continue
            s = fc.scales(model_fit.scale.get(m), feats[test])
            part = _distribution(v, model_fit.residuals[m], y[test], s)
            dist[m]["crps"][test] = part["crps"]
            for lv in LEVELS:
                dist[m]["low"][lv][test] = part["low"][lv]
                dist[m]["high"][lv][test] = part["high"][lv]
    result = BenchmarkResult(
        path=data.path,
        mode=mode,
        issues=list(data.issues),
        outcomes=y,
        forecasts=held,
        lower={m: dist[m]["low"] for m in held},
        upper={m: dist[m]["high"] for m in held},
        crps={m: dist[m]["crps"] for m in held},
        fits=fits,
        seed=seed,
        reps=reps,
        skipped=list(data.skipped),
        rules=dict(data.rules),
    )
    result.score()
    return result


def tuned_rows(models: Sequence[tuple[str, str, dict[str, Any]]]) -> list[str]:
    """The rows tuned inside each fold: those with a grid
    (:data:`detente.analysis.forecasters.GRIDS`) and no parameter fixed by the user."""
    return [row for row, model, p in models if row == model and row in fc.GRIDS and not p]


def select_models(
    names: Sequence[str] | None, params: dict[str, dict[str, Any]] | None = None
) -> tuple[tuple[str, str, dict[str, Any]], ...]:
    """The benchmark's model rows, restricted to ``names`` (row or model names; compromise is
    always kept: it is the benchmark), with ``params`` (model -> parameters) applied."""
    from detente.bargaining.registry import ParameterError

    params = params or {}
    known_rows = {r for r, _, _ in MODELS} | {m for _, m, _ in MODELS}
    for name in list(names or []) + list(params):
        if name not in known_rows:
            raise ParameterError(
                f"Unknown benchmark model {name!r}; known: {', '.join(r for r, _, _ in MODELS)}."
            )
    wanted = set(names or []) | {BENCHMARK} if names else None
    out = []
    for row, model, p in MODELS:
        if wanted is not None and row not in wanted and model not in wanted:
            continue
        merged = (
            {**p, **params.get(model, {}), **params.get(row, {})}
            if row != model
            else {
                **p,
                **params.get(model, {}),
            }
        )
        get_model(model).resolve(merged)
        out.append((row, model, merged))
    return tuple(out)
