"""An ensemble of the bargaining models, scored only out of sample.

The ensemble forecast of an item is a convex combination sum_m w_m f_m of the models' forecasts
(w_m >= 0, sum w_m = 1). The weights minimise the mean absolute error on the training cases, in
points of each issue's scale mapped to 0-100: a least-absolute-deviations fit on the simplex,
which is a linear programme (solved exactly by HiGHS through :func:`scipy.optimize.linprog`).

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
    eye = np.eye(n)
    a_ub = np.block([[f, -eye], [-f, -eye]])
    b_ub = np.concatenate([y, -y])
    a_eq = np.concatenate([np.ones(m), np.zeros(n)])[None, :]
    res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=[1.0],
                  bounds=[(0, None)] * (m + n), method="highs")
    if not res.success:  # pragma: no cover - the LP is always feasible and bounded
        return np.full(m, 1.0 / m)
    w = np.clip(res.x[:m], 0.0, None)
    return w / w.sum()


@dataclass
class EnsembleResult:
    """Leave-one-out forecasts of the ensemble and the weights of each fold."""

    models: list[str]
    case_ids: list[str]
    fold_weights: np.ndarray  # (cases, M): the weights used to forecast each case
    rows: pd.DataFrame  # the ensemble's held-out forecasts, in the backtest's row format

    @property
    def mean_weights(self) -> dict[str, float]:
        """Each model's weight averaged over the folds (descriptive, not a score)."""
        return {m: float(w) for m, w in zip(self.models, self.fold_weights.mean(axis=0),
                                             strict=True)}

    def to_json(self) -> dict[str, Any]:
        """Stable keys: method, models, mean_weights, folds[{case, weights{model: w}}]."""
        return {
            "method": "leave-one-out over cases; least absolute deviations on the simplex",
            "models": self.models,
            "mean_weights": self.mean_weights,
            "folds": [
                {"case": c, "weights": {m: float(w) for m, w in zip(self.models, ws, strict=True)}}
                for c, ws in zip(self.case_ids, self.fold_weights, strict=True)
            ],
        }


def loo_ensemble(
    rows: pd.DataFrame, case_ids: Sequence[str], name: str = "ensemble (LOO)",
    min_cases: int = MIN_CASES,
) -> EnsembleResult | None:
    """The leave-one-out ensemble over the models that forecast every item; None when there are
    fewer than ``min_cases`` cases or fewer than two such models."""
    if len(case_ids) < min_cases or rows.empty:
        return None
    wide = rows.pivot_table(index=["case", "issue"], columns="model", values="forecast",
                            aggfunc="first", dropna=False)
    complete = [m for m in dict.fromkeys(rows.model) if m in wide and wide[m].notna().all()]
    if len(complete) < 2:
        return None
    items = rows.drop_duplicates(["case", "issue"]).set_index(["case", "issue"]).loc[wide.index]
    low, high = items.low.to_numpy(), items.high.to_numpy()
    width = high - low
    f = 100.0 * (wide[complete].to_numpy() - low[:, None]) / width[:, None]
    y = 100.0 * (items.outcome.to_numpy() - low) / width
    item_case = np.array([c for c, _ in wide.index])
    folds = np.zeros((len(case_ids), len(complete)))
    pred = np.full(len(y), np.nan)
    for j, cid in enumerate(case_ids):
        test = item_case == cid
        if not test.any():
            continue
        w = fit_weights(f[~test], y[~test])
        folds[j] = w
        pred[test] = f[test] @ w
    forecast = low + pred / 100.0 * width
    err = np.abs(forecast - items.outcome.to_numpy())
    out = pd.DataFrame(
        {
            "case": item_case, "issue": [i for _, i in wide.index], "model": name,
            "forecast": forecast, "outcome": items.outcome.to_numpy(), "low": low,
            "high": high, "error": err, "scaled_error": 100.0 * err / width,
            "p05": np.nan, "p25": np.nan, "p75": np.nan, "p95": np.nan,
            "note": "held out: weights fitted on the other cases",
        }
    )
    return EnsembleResult(models=complete, case_ids=list(case_ids), fold_weights=folds, rows=out)
