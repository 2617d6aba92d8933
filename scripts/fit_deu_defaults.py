"""Fit detente's shipped DEU defaults on the DEU III *training* file, and record provenance.

    python scripts/fit_deu_defaults.py ../shared/data/bargaining/deu/deu3-train.csv

Everything is chosen on the training file only (never on held-out proposals):

* Nash's and Kalai-Smorodinsky's risk attitude r and breakdown cost kappa (Achen 2006) and EUM's
  mirror-invariant variant: the grid point (``detente.analysis.forecasters.GRIDS``) with the
  lowest MAE on the training issues; these become the models' defaults. Scholz et al.'s reading
  of EUM is scored beside its candidates for reference;
* the whole benchmark fit (``detente.analysis.benchmark.fit``) on the training issues: the tuned
  choices, compromise_ends' threshold, compromise_lad's coefficients, the stacks' weights, the
  ensemble's candidate (by an inner cross-validation by proposal) and every row's error model;
  ``detente backtest deu FILE --shipped`` scores a new file with it;
* the nested cross-validation by proposal of the same procedure (10 folds, seed 0; every choice
  made inside each fold): every row's cross-validated MAE and its difference from compromise,
  the figures quoted in docs/backtest.md.

Writes src/detente/analysis/data/deu_fit.json (with the training file's SHA-256, the date and
the settings). The constants in detente.bargaining.nash / kalai_smorodinsky / eum must equal
the chosen values; tests/analysis/test_benchmark.py checks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from detente.analysis import benchmark as bm
from detente.analysis import forecasters as fc
from detente.analysis.deu import load_deu
from detente.analysis.fitted import fit_payload
from detente.bargaining.registry import get_model

OUT = Path(__file__).resolve().parents[1] / "src" / "detente" / "analysis" / "data" / "deu_fit.json"


def _mae(f: np.ndarray, y: np.ndarray) -> float:
    return float(np.abs(f - y).mean())


def main(path: str) -> None:
    data = load_deu(path)
    y = np.array([it.outcome for it in data.issues])
    clusters = np.array([it.proposal for it in data.issues])
    point = bm.point_forecasts(data)
    grids = fc.grid_forecasts(data)
    full = bm.fit(point, y, grids, clusters, fc.issue_features(data))
    cv = bm.benchmark(data, forecasts=point, grids=grids, reps=2000)
    chosen: dict[str, object] = {}
    for model in ("nash", "kalai_smorodinsky"):
        key = full.core.choices[model]
        params = dict(fc.GRIDS[model][[fc.grid_key(p) for p in fc.GRIDS[model]].index(key)])
        chosen[model] = {
            **params,
            "train_mae": _mae(grids[model][key], y),
            "cv_mae_with_selection_in_folds": cv.board[model]["mae"],
            "grid_mae": {k: _mae(v, y) for k, v in grids[model].items()},
        }
        print(model, {k: v for k, v in chosen[model].items() if k != "grid_mae"})
    eum = get_model("eum")
    scholz = {"offer_rule": "scholz", "rounds": 8, "forecast": "median", "symmetric": False}
    f = np.array([eum(bm.issue_input(it), **scholz).forecast[0, 0] for it in data.issues])
    scores = [{**scholz, "train_mae": _mae(f, y), "eligible": False}]
    for cand in fc.EUM_CANDIDATES:
        scores.append({**cand, "train_mae": _mae(grids["eum"][fc.grid_key(cand)], y)})
        scores[-1]["eligible"] = True
    best_eum = next(
        s
        for s, c in zip(scores[1:], fc.EUM_CANDIDATES, strict=True)
        if fc.grid_key(c) == full.core.choices["eum"]
    )
    chosen["eum"] = {
        "choice": best_eum,
        "cv_mae_with_selection_in_folds": cv.board["eum"]["mae"],
        "candidates": scores,
    }
    print("eum", best_eum)
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
        "fit": fit_payload(full),
        "nested_cv": {
            "mode": cv.mode,
            "bootstrap": {"reps": cv.reps, "seed": cv.seed, "cluster": "proposal"},
            "models": cv.board,
        },
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(payload, indent=1) + "\n")
    print("wrote", OUT)
    print("ensemble choice", full.ensemble_choice, full.inner_mae)
    print("core", full.core.to_dict())
    for m, e in cv.board.items():
        d = e["diff_vs_compromise"]
        lo = "" if d["low"] is None else f"[{d['low']:+.2f}, {d['high']:+.2f}]"
        print(
            f"| `{m}` | {e['n']} | {e['mae']:.2f} | {e['rmse']:.2f} | {e['crps']:.2f} | "
            f"{e['coverage_50']:.0%} | {e['coverage_90']:.0%} | {d['mae']:+.2f} | {lo} |"
        )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/bargaining/deu/deu3-train.csv")
