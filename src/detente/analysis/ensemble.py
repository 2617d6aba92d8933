"""An ensemble of the bargaining models, scored only out of sample.

The ensemble forecast of an item is a convex combination sum_m w_m f_m of the models' forecasts
(w_m >= 0, sum w_m = 1), in points of each issue's scale mapped to 0-100. The weights minimise
the squared error on the training cases (``loss="squared"``, the default: Breiman's stacked
regression with the weights constrained to the simplex, solved exactly over the models' active
sets; fast, since a fold only subtracts one case from the Gram matrix) or the absolute error
(``loss="absolute"``: a least-absolute-deviations fit, a linear programme solved by HiGHS through
:func:`scipy.optimize.linprog`; it matches the MAE the leaderboard reports but costs one LP per
fold).

Why leave-one-out: weights fitted on a case and scored on the same case flatter the ensemble (it
can only do as well as the best model in-sample). So the score reported for the ensemble is
always held out: case c is forecast with weights fitted on every other case (all issues of a case
are left out together, so that related issues cannot leak). Stacking forecasts with held-out
weights follows Wolpert (1992), "Stacked generalization", Neural Networks 5(2):241-259, and
Breiman (1996), "Stacked regressions", Machine Learning 24:49-64.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

MIN_CASES = 3  # leave-one-out needs at least two training cases per fold


def fit_weights(forecasts: np.ndarray, outcomes: np.ndarray) -> np.ndarray:
    """Simplex weights w (M,) minimising sum_j |forecasts[j] @ w - outcomes[j]|.

    forecasts: (n, M) each model's forecast per item; outcomes: (n,). The LP has variables
    (w, t) with t_j >= |F_j w - y_j|.
    """
    f = np.asarray(forecasts, dtype=float)
    y = np.asarray(outcomes, dtype=float)
    n, m = f.shape
    if m == 1:
        return np.ones(1)
    c = np.concatenate([np.zeros(m), np.ones(n)])
    # Sparse constraints: the t-blocks are identities, so HiGHS sees O(n M) non-zeros, not O(n^2).
    eye = sparse.identity(n, format="csr")
    a_ub = sparse.bmat([[sparse.csr_matrix(f), -eye], [sparse.csr_matrix(-f), -eye]], format="csr")
    b_ub = np.concatenate([y, -y])
    a_eq = np.concatenate([np.ones(m), np.zeros(n)])[None, :]
    res = linprog(
        c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=[1.0], bounds=[(0, None)] * (m + n), method="highs"
    )
    if not res.success:  # pragma: no cover - the LP is always feasible and bounded
        return np.full(m, 1.0 / m)
    w = np.clip(res.x[:m], 0.0, None)
    return w / w.sum()


def _simplex_lsq(gram: np.ndarray, cross: np.ndarray) -> np.ndarray:
    """argmin over the simplex of w' G w - 2 b' w (G = F'F, b = F'y), exactly.

    The minimum lies in the relative interior of some face {w_m = 0 for m outside S}; there it is
    the equality-constrained minimiser (a KKT linear system). Trying every support S (2^M - 1 of
    them; M is the handful of models) and keeping the best feasible one is exact.
    """
    m = len(cross)
    best, best_val = np.full(m, 1.0 / m), np.inf
    for mask in range(1, 2**m):
        idx = [j for j in range(m) if mask >> j & 1]
        k = len(idx)
        kkt = np.zeros((k + 1, k + 1))
        kkt[:k, :k] = gram[np.ix_(idx, idx)]
        kkt[:k, k] = kkt[k, :k] = 1.0
        rhs = np.concatenate([cross[idx], [1.0]])
        sol = np.linalg.lstsq(kkt, rhs, rcond=None)[0][:k]
        if (sol < -1e-12).any():
            continue
        w = np.zeros(m)
        w[idx] = np.clip(sol, 0.0, None)
        w /= w.sum()
        val = w @ gram @ w - 2.0 * cross @ w
        # Ties (equal up to rounding): the support found first wins, so results are stable.
        if best_val == np.inf or val < best_val - 1e-12 * max(1.0, abs(best_val)):
            best, best_val = w, val
    return best


def fit_weights_squared(forecasts: np.ndarray, outcomes: np.ndarray) -> np.ndarray:
    """Simplex weights w (M,) minimising sum_j (forecasts[j] @ w - outcomes[j])^2."""
    f = np.asarray(forecasts, dtype=float)
    y = np.asarray(outcomes, dtype=float)
    return _simplex_lsq(f.T @ f, f.T @ y)


@dataclass
class EnsembleResult:
    """Leave-one-out forecasts of the ensemble and the weights of each fold."""

    models: list[str]
    case_ids: list[str]
    loss: str
    fold_weights: np.ndarray  # (cases, M): the weights used to forecast each case
    rows: pd.DataFrame  # the ensemble's held-out forecasts, in the backtest's row format

    @property
    def mean_weights(self) -> dict[str, float]:
        """Each model's weight averaged over the folds (descriptive, not a score)."""
        return {
            m: float(w) for m, w in zip(self.models, self.fold_weights.mean(axis=0), strict=True)
        }

    def to_json(self) -> dict[str, Any]:
        """Stable keys: method, models, mean_weights, folds[{case, weights{model: w}}]."""
        return {
            "method": f"leave-one-out over cases; weights on the simplex minimising the "
            f"{self.loss} error of the training cases",
            "models": self.models,
            "mean_weights": self.mean_weights,
            "folds": [
                {"case": c, "weights": {m: float(w) for m, w in zip(self.models, ws, strict=True)}}
                for c, ws in zip(self.case_ids, self.fold_weights, strict=True)
            ],
        }


def loo_ensemble(
    rows: pd.DataFrame,
    case_ids: Sequence[str],
    name: str = "ensemble (LOO)",
    min_cases: int = MIN_CASES,
    loss: str = "squared",
) -> EnsembleResult | None:
    """The leave-one-out ensemble over the models that forecast every item; None when there are
    fewer than ``min_cases`` cases or fewer than two such models."""
    if len(case_ids) < min_cases or rows.empty:
        return None
    wide = rows.pivot_table(
        index=["case", "issue"], columns="model", values="forecast", aggfunc="first", dropna=False
    )
    # dropna=False builds every case x issue combination; keep only the issues that exist.
    real = pd.MultiIndex.from_frame(rows[["case", "issue"]].drop_duplicates())
    wide = wide.reindex(real)
    complete = [m for m in dict.fromkeys(rows.model) if m in wide and wide[m].notna().all()]
    if len(complete) < 2:
        return None
    items = rows.drop_duplicates(["case", "issue"]).set_index(["case", "issue"]).loc[wide.index]
    low, high = items.low.to_numpy(), items.high.to_numpy()
    width = high - low
    f = 100.0 * (wide[complete].to_numpy() - low[:, None]) / width[:, None]
    y = 100.0 * (items.outcome.to_numpy() - low) / width
    item_case = np.array([c for c, _ in wide.index])
    if loss not in ("squared", "absolute"):
        raise ValueError(f"loss must be 'squared' or 'absolute'; got {loss!r}")
    folds = np.zeros((len(case_ids), len(complete)))
    pred = np.full(len(y), np.nan)
    gram, cross = f.T @ f, f.T @ y
    for j, cid in enumerate(case_ids):
        test = item_case == cid
        if not test.any():
            continue
        if loss == "squared":
            # The fold's Gram matrix is the whole one minus the held-out case's items.
            w = _simplex_lsq(gram - f[test].T @ f[test], cross - f[test].T @ y[test])
        else:
            w = fit_weights(f[~test], y[~test])
        folds[j] = w
        pred[test] = f[test] @ w
    forecast = low + pred / 100.0 * width
    err = np.abs(forecast - items.outcome.to_numpy())
    out = pd.DataFrame(
        {
            "case": item_case,
            "issue": [i for _, i in wide.index],
            "model": name,
            "forecast": forecast,
            "outcome": items.outcome.to_numpy(),
            "low": low,
            "high": high,
            "error": err,
            "scaled_error": 100.0 * err / width,
            "p05": np.nan,
            "p25": np.nan,
            "p75": np.nan,
            "p95": np.nan,
            "note": "held out: weights fitted on the other cases",
        }
    )
    return EnsembleResult(
        models=complete, case_ids=list(case_ids), loss=loss, fold_weights=folds, rows=out
    )
