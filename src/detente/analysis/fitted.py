"""detente's shipped DEU fit: what was fitted on the DEU III training file, with provenance.

``scripts/fit_deu_defaults.py`` writes ``detente/analysis/data/deu_fit.json`` from the training
file (99 proposals of DEU III, Arregui & Perarnaud 2021, CC BY 4.0; the other 42 are held out
and were never used): the chosen defaults of Nash, Kalai-Smorodinsky and EUM (with the grid and
the cross-validated MAE of the selection), the stacking ensemble's weights and every model's
error sample (outcome - forecast on the training issues), which are its predictive
distribution. ``detente backtest deu FILE --shipped`` scores a new DEU file with them.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

import numpy as np

from detente.analysis.benchmark import Fit
from detente.scenario.errors import DetenteError


@functools.lru_cache(maxsize=1)
def load() -> dict[str, Any]:
    """The shipped fit as plain data (provenance, models, ensemble, residuals)."""
    path = resources.files("detente") / "analysis" / "data" / "deu_fit.json"
    if not path.is_file():
        raise DetenteError("this installation has no shipped DEU fit (analysis/data/deu_fit.json)")
    return dict(json.loads(path.read_text("utf-8")))


def provenance() -> dict[str, Any]:
    """Where the shipped fit comes from: script, training file and its SHA-256, date, sizes."""
    return dict(load()["provenance"])


def shipped_fit() -> Fit:
    """The shipped ensemble weights and error samples as a :class:`Fit`."""
    data = load()
    residuals = {m: np.asarray(v, dtype=float) for m, v in data["residuals"].items()}
    return Fit(
        ensemble_models=list(data["ensemble"]["models"]),
        weights=np.asarray(data["ensemble"]["weights"], dtype=float),
        residuals=residuals,
        n_train=int(data["provenance"]["n_issues"]),
    )
