"""detente's shipped DEU fit: what was fitted on the DEU III training file, with provenance.

``scripts/fit_deu_defaults.py`` writes ``detente/analysis/data/deu_fit.json`` from the training
file (99 proposals of DEU III, Arregui & Perarnaud 2021, CC BY 4.0; the other 42 are held out
and were never used): the chosen defaults of Nash, Kalai-Smorodinsky and EUM (with the grid and
the cross-validated MAE of the selection), and the whole benchmark fit of
:func:`detente.analysis.benchmark.fit` on the training file: the tuned models' choices, the
post-processed compromise rows (``compromise_ends``' threshold, ``compromise_lad``'s
coefficients), the stacks' weights, the ensemble's chosen candidate and every row's error model
(standardised training errors and the scale's coefficients), which are its predictive
distribution. ``detente backtest deu FILE --shipped`` scores a new DEU file with them.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

import numpy as np

from detente.analysis.benchmark import Fit
from detente.analysis.forecasters import Core
from detente.scenario.errors import DetenteError


@functools.lru_cache(maxsize=1)
def load() -> dict[str, Any]:
    """The shipped fit as plain data (provenance, models, fit)."""
    path = resources.files("detente") / "analysis" / "data" / "deu_fit.json"
    if not path.is_file():
        raise DetenteError("this installation has no shipped DEU fit (analysis/data/deu_fit.json)")
    return dict(json.loads(path.read_text("utf-8")))


def provenance() -> dict[str, Any]:
    """Where the shipped fit comes from: script, training file and its SHA-256, date, sizes."""
    return dict(load()["provenance"])


def fit_payload(model_fit: Fit) -> dict[str, Any]:
    """A :class:`Fit` as plain JSON data (what :func:`fit_from_payload` reads back)."""
    return {
        "core": model_fit.core.to_dict(),
        "ensemble_choice": model_fit.ensemble_choice,
        "inner_cv_mae": dict(model_fit.inner_mae),
        "error_model": model_fit.error_model,
        "scale": dict(model_fit.scale),
        "n_train": model_fit.n_train,
        "residuals": {m: [round(float(v), 6) for v in r] for m, r in model_fit.residuals.items()},
    }


def fit_from_payload(d: dict[str, Any]) -> Fit:
    """The :class:`Fit` that :func:`fit_payload` wrote."""
    core = Core.from_dict(d["core"])
    return Fit(
        ensemble_models=list(core.all_models),
        weights=np.asarray(core.all_weights, dtype=float),
        residuals={m: np.asarray(v, dtype=float) for m, v in d["residuals"].items()},
        n_train=int(d["n_train"]),
        core=core,
        ensemble_choice=str(d["ensemble_choice"]),
        inner_mae={m: float(v) for m, v in d.get("inner_cv_mae", {}).items()},
        scale={m: (None if c is None else [float(x) for x in c]) for m, c in d["scale"].items()},
        error_model=str(d["error_model"]),
    )


def shipped_fit() -> Fit:
    """The shipped benchmark fit (choices, stacks, ensemble, error models) as a :class:`Fit`."""
    return fit_from_payload(load()["fit"])
