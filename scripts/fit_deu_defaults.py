"""Fit detente's shipped DEU defaults on the DEU III *training* file, and record provenance.

    python scripts/fit_deu_defaults.py ../shared/data/bargaining/deu/deu3-train.csv

Chooses, on the training file only (never on held-out proposals):

* Nash's and Kalai-Smorodinsky's risk attitude r and breakdown cost kappa (Achen 2006): the grid
  point with the lowest MAE on the training issues; the same selection is also run inside a
  10-fold cross-validation by proposal so that its out-of-sample MAE can be reported honestly;
* EUM's default point forecast among the mirror-invariant candidates (``symmetric=True``; the
  settled forecast with Scholz's or the closest offer rule, several round counts), by training
  MAE; Scholz's reading is scored beside them for reference;
* the stacking ensemble's weights and every model's error sample (outcome - forecast) on the
  training issues: the predictive distributions ``detente backtest deu FILE --fit shipped`` uses.

Writes src/detente/analysis/data/deu_fit.json (with the training file's SHA-256, the date and
the settings) and prints the figures quoted in docs/backtest.md. The constants in
detente.bargaining.nash / eum must equal the chosen values; tests/analysis/test_fitted.py checks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from detente.analysis import benchmark as bm
from detente.analysis.deu import load_deu
from detente.bargaining.registry import get_model

OUT = Path(__file__).resolve().parents[1] / "src" / "detente" / "analysis" / "data" / "deu_fit.json"
RISKS = (1.0, 1.25, 1.5, 1.75, 2.0, 3.0)
COSTS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 20.0, 100.0, 1000.0)
EUM_CANDIDATES = [
    {"offer_rule": rule, "rounds": r, "forecast": "settled", "symmetric": True}
    for rule in ("scholz", "closest")
    for r in (8, 12, 16)
]


def _mae(f: np.ndarray, y: np.ndarray) -> float:
    return float(np.abs(f - y).mean())


def _grid(data, model: str) -> dict[tuple[float, float], np.ndarray]:
    spec = get_model(model)
    out = {}
    for r in RISKS:
        for c in COSTS:
            out[(r, c)] = np.array(
                [spec(bm.issue_input(it), risk=r, cost=c).forecast[0, 0] for it in data.issues]
            )
    return out


def _select(grid, y, mask) -> tuple[float, float]:
    return min(grid, key=lambda k: (_mae(grid[k][mask], y[mask]), k))


def main(path: str) -> None:
    data = load_deu(path)
    y = np.array([it.outcome for it in data.issues])
    fold = bm.fold_of_proposals([it.proposal for it in data.issues], 10, 0)
    which = np.array([fold[it.proposal] for it in data.issues])
    chosen: dict[str, object] = {}
    for model in ("nash", "kalai_smorodinsky"):
        grid = _grid(data, model)
        best = _select(grid, y, np.ones(len(y), bool))
        cv = np.empty(len(y))
        for k in sorted(set(which)):
            pick = _select(grid, y, which != k)
            cv[which == k] = grid[pick][which == k]
        chosen[model] = {
            "risk": best[0],
            "cost": best[1],
            "train_mae": _mae(grid[best], y),
            "cv_mae_with_selection_in_folds": _mae(cv, y),
            "grid_mae": {f"risk={r:g},cost={c:g}": _mae(v, y) for (r, c), v in grid.items()},
        }
        print(model, {k: v for k, v in chosen[model].items() if k != "grid_mae"})
    eum = get_model("eum")
    scores = []
    for cand in [{"offer_rule": "scholz", "rounds": 8, "forecast": "median", "symmetric": False}]:
        f = np.array([eum(bm.issue_input(it), **cand).forecast[0, 0] for it in data.issues])
        scores.append({**cand, "train_mae": _mae(f, y), "eligible": False})
    for cand in EUM_CANDIDATES:
        f = np.array([eum(bm.issue_input(it), **cand).forecast[0, 0] for it in data.issues])
        scores.append({**cand, "train_mae": _mae(f, y), "eligible": True})
    best_eum = min((s for s in scores if s["eligible"]), key=lambda s: s["train_mae"])
    chosen["eum"] = {"choice": best_eum, "candidates": scores}
    print("eum", best_eum)
    forecasts = bm.point_forecasts(data)
    fitted = bm.fit(forecasts, y)
    payload = {
        "provenance": {
            "script": "scripts/fit_deu_defaults.py",
            "training_file": Path(path).name,
            "sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest(),
            "n_issues": len(data.issues),
            "n_proposals": len(data.proposals),
            "weights": data.weights,
            "date": dt.date.today().isoformat(),
            "note": "fitted on the DEU III training file only (99 proposals; 42 held out)",
        },
        "models": chosen,
        "ensemble": {
            "models": fitted.ensemble_models,
            "weights": [float(w) for w in fitted.weights],
        },
        "residuals": {m: [round(float(v), 6) for v in r] for m, r in fitted.residuals.items()},
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(payload, indent=1) + "\n")
    print("wrote", OUT)
    print("ensemble", dict(zip(fitted.ensemble_models, np.round(fitted.weights, 3), strict=True)))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/bargaining/deu/deu3-train.csv")
