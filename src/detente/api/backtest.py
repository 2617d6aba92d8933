"""Backtest services: the case library and the DEU benchmark, as Result objects.

``backtest(...)`` scores models on cases with known outcomes (the shipped library or scenario
files with ``outcomes``); ``backtest(deu=PATH, train=TRAIN)`` runs the DEU benchmark
(:mod:`detente.analysis.benchmark`): every model and baseline on every scoreable DEU III issue,
with MAE, RMSE, CRPS, interval coverage and proposal-clustered intervals of each model's
difference from the compromise model, fitted on ``train`` only (or cross-validated by proposal).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from detente.results import Result
from detente.scenario.errors import DetenteError


def backtest(
    cases: Sequence[str] | None = None,
    *,
    deu: str | None = None,
    train: str | None = None,
    weights: str = "council",
    models: Sequence[str] | None = None,
    params: dict[str, dict[str, Any]] | None = None,
    draws: int = 0,
    seed: int | None = None,
    position_sd: float = 0.0,
    ensemble: bool = True,
    folds: int = 10,
    reps: int = 2000,
    shipped: bool = False,
    error_model: str = "scaled",
) -> Result:
    """Score models on past negotiations.

    With ``deu``: the DEU benchmark of that file (a ``BenchmarkResult``), trained on ``train``
    when given (else cross-validated by proposal over ``folds`` folds; ``seed`` seeds the folds
    and the bootstrap, ``reps`` its resamples), or with the fit shipped with detente
    (``shipped``: fitted on the DEU III training file); ``models`` restricts the model rows
    (baselines and the ensemble are always scored). Every choice (the tuned models' parameters,
    the stacks, the ensemble's candidate, the error models: ``error_model`` "scaled" or
    "empirical") is made on the training data only: inside each fold when cross-validating.
    Otherwise the named cases (default: the shipped library) through
    :func:`detente.analysis.backtest.run_backtest` (a ``BacktestResult``).
    """
    if deu is not None:
        from detente.analysis import benchmark as bm
        from detente.analysis.deu import load_deu

        if cases:
            raise DetenteError("give either case files or a DEU file, not both")
        if draws or position_sd:
            raise DetenteError(
                "--draws/--position-sd do not apply to the DEU benchmark: each model's "
                "predictive distribution is its error distribution on the training data"
            )
        chosen = bm.select_models(models, params)
        data = load_deu(deu, weights=weights)
        if shipped and train is not None:
            raise DetenteError("give --train or --shipped, not both")
        fitted = None
        if shipped:
            from detente.analysis.fitted import shipped_fit

            fitted = shipped_fit()
        train_data = None if train is None else load_deu(train, weights=weights)
        if train_data is not None and not train_data.issues:
            raise DetenteError(f"{train}: no training issue with an outcome")
        return bm.benchmark(
            data,
            train_data,
            folds=folds,
            seed=0 if seed is None else seed,
            reps=reps,
            models=chosen,
            fitted=fitted,
            error_model=error_model,
        )
    if train is not None:
        raise DetenteError(
            "--train applies to the DEU benchmark: detente backtest deu TEST --train TRAIN"
        )
    from detente.analysis import backtest as bt

    return bt.run_backtest(
        bt.load_cases(cases or None),
        models or None,
        params,
        draws=draws,
        seed=seed,
        position_sd=position_sd,
        ensemble=ensemble,
    )
