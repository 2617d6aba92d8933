"""What the DEU benchmark fits (detente.analysis.forecasters), and that the nested
cross-validation and ``--train`` keep every held-out outcome out of every fitted choice.

Oracles: brute force over the same grids on the training items alone (the choices), closed forms
(an exact linear relation for the median regression, an exactly snapped outcome for the ends
threshold), the per-issue models for the batched grid, and perturbation (changing held-out
outcomes must change no fitted value, while changing training outcomes does).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.analysis import benchmark as bm
from detente.analysis import deu
from detente.analysis import forecasters as fc
from detente.bargaining.registry import get_model

ROOT = Path(__file__).resolve().parents[2]
TAB = ROOT / "tests" / "fixtures" / "deu_tab_small.csv"


@pytest.fixture(scope="module")
def data() -> deu.DeuData:
    return deu.load_deu(TAB)


@pytest.fixture(scope="module")
def point(data: deu.DeuData) -> dict[str, np.ndarray]:
    return bm.point_forecasts(data)


@pytest.fixture(scope="module")
def grids(data: deu.DeuData) -> dict[str, dict[str, np.ndarray]]:
    return fc.grid_forecasts(data)


def test_batched_grid_equals_the_models_issue_by_issue(data: deu.DeuData, grids: dict) -> None:
    # Nash and Kalai-Smorodinsky run all issues in one padded batch; the oracle is the
    # registered model on each issue alone. Tolerance 1e-8: bisection to 1e-13 of the scale.
    for row in ("nash", "kalai_smorodinsky"):
        spec = get_model(row)
        for p in fc.GRIDS[row][::7]:
            alone = [spec(bm.issue_input(it), **p).forecast[0, 0] for it in data.issues]
            np.testing.assert_allclose(grids[row][fc.grid_key(p)], alone, atol=1e-8)
    assert set(grids["eum"]) == {fc.grid_key(p) for p in fc.EUM_CANDIDATES}


def test_choices_are_the_brute_force_best_on_the_training_items(
    data: deu.DeuData, point: dict, grids: dict
) -> None:
    y = np.array([it.outcome for it in data.issues])
    train = np.arange(len(y)) < 5
    core = fc.fit_core(
        {m: v[train] for m, v in point.items()},
        {r: {k: v[train] for k, v in g.items()} for r, g in grids.items()},
        y[train],
    )
    for row, g in grids.items():
        maes = {k: np.abs(v[train] - y[train]).mean() for k, v in g.items()}
        assert maes[core.choices[row]] == pytest.approx(min(maes.values()), abs=1e-12)
    comp = point["compromise"][train]
    best_t = min(fc.ENDS, key=lambda t: (np.abs(fc.ends(comp, t) - y[train]).mean(), t))
    assert core.ends_t == best_t
    w = np.array(core.stack_weights)
    assert (w >= 0).all() and w.sum() == pytest.approx(1.0, abs=1e-9)


def test_median_regression_recovers_an_exact_line() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 100, 40)
    coef = fc.lad(np.column_stack([np.ones(40), x]), -7.0 + 1.2 * x)
    # Tolerance 1e-6: the LP solver's optimality tolerance.
    np.testing.assert_allclose(coef, [-7.0, 1.2], atol=1e-6)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 29), st.integers(0, 10_000))
def test_ends_threshold_is_found_when_outcomes_are_snapped(t: int, seed: int) -> None:
    # Outcomes that are exactly the compromise moved to the ends within t of them (t on the
    # grid): the chosen threshold has zero training error, and it is not 0 when a forecast was
    # moved.
    rng = np.random.default_rng(seed)
    comp = rng.uniform(0, 100, 60)
    y = fc.ends(comp, t)
    core = fc.fit_core({"compromise": comp}, {}, y)
    assert core.ends_t is not None
    assert np.abs(fc.ends(comp, core.ends_t) - y).max() == 0.0
    assert core.ends_t > 0 or np.array_equal(y, comp)


def test_scaled_error_model_follows_the_spread() -> None:
    # Errors whose size grows with the spread: the fitted scale grows with it, and the
    # standardised errors have the same median size at both ends.
    rng = np.random.default_rng(5)
    spread = rng.uniform(2, 30, 400)
    feats = np.column_stack([spread, np.zeros(400)])
    e = spread * rng.laplace(size=400)
    coef = fc.scale_coef(feats, e)
    assert coef[1] > 0.3
    s = fc.scales(coef, feats)
    low, high = spread < 10, spread > 22
    ratio = np.median(np.abs(e / s)[low]) / np.median(np.abs(e / s)[high])
    assert 0.6 < ratio < 1.6


def _with_outcomes(data: deu.DeuData, which: set[str], shift: float) -> deu.DeuData:
    issues = [
        dataclasses.replace(it, outcome=(it.outcome + shift) % 100) if it.proposal in which else it
        for it in data.issues
    ]
    return dataclasses.replace(data, issues=issues)


def _same_fit(a: bm.Fit, b: bm.Fit) -> bool:
    return (
        a.core.to_dict() == b.core.to_dict()
        and a.ensemble_choice == b.ensemble_choice
        and a.scale == b.scale
        and all(np.array_equal(a.residuals[m], b.residuals[m]) for m in a.residuals)
    )


def test_nested_cv_keeps_each_folds_outcomes_out_of_its_fit(
    data: deu.DeuData, point: dict, grids: dict
) -> None:
    folds = 4  # one proposal per fold in the fixture
    fold = bm.fold_of_proposals([it.proposal for it in data.issues], folds, 0)
    base = bm.benchmark(data, folds=folds, reps=100, forecasts=point, grids=grids)
    for target in sorted(fold):
        changed = _with_outcomes(data, {target}, 41.0)
        res = bm.benchmark(changed, folds=folds, reps=100, forecasts=point, grids=grids)
        idx = data.proposals[target]
        k = fold[target]
        # The fold holding the target: its fit and every row's held-out forecast are unchanged.
        assert _same_fit(base.fits[k], res.fits[k])
        for m, f in base.forecasts.items():
            np.testing.assert_array_equal(f[idx], res.forecasts[m][idx], err_msg=m)
        # Every other fold trains on the target, and its fit moves (so the check can fail).
        assert any(not _same_fit(base.fits[j], res.fits[j]) for j in range(folds) if j != k)


def test_train_fit_never_sees_the_test_files_outcomes(
    data: deu.DeuData, point: dict, grids: dict
) -> None:
    test_b = _with_outcomes(data, set(data.proposals), 37.0)
    kw = {"reps": 100, "forecasts": point, "train_forecasts": point}
    kw |= {"grids": grids, "train_grids": grids}
    a = bm.benchmark(data, data, **kw)
    b = bm.benchmark(test_b, data, **kw)
    assert _same_fit(a.fits[0], b.fits[0])
    for m in a.forecasts:
        np.testing.assert_array_equal(a.forecasts[m], b.forecasts[m], err_msg=m)
        np.testing.assert_array_equal(a.lower[m][0.9], b.lower[m][0.9], err_msg=m)
    c = bm.benchmark(data, test_b, **kw)  # the training outcomes do reach the fit
    assert not _same_fit(a.fits[0], c.fits[0])


def test_ensemble_falls_back_on_compromise_when_nothing_beats_it() -> None:
    # Outcomes equal to the compromise forecast: every other candidate does worse inside the
    # training folds, so the inner cross-validation picks compromise.
    rng = np.random.default_rng(2)
    comp = rng.uniform(20, 80, 60)
    point = {"compromise": comp, "median": rng.uniform(0, 100, 60)}
    clusters = np.repeat([f"p{i}" for i in range(12)], 5)
    choice, scores = fc.select_candidate(point, {}, comp, clusters)
    assert choice == "compromise" and scores["compromise"] == 0.0


def test_shipped_fit_needs_the_models_it_was_fitted_with(data: deu.DeuData) -> None:
    from detente.analysis import fitted
    from detente.scenario.errors import DetenteError

    only = bm.select_models(["compromise"])
    with pytest.raises(DetenteError, match="missing: .*nash"):
        bm.benchmark(data, models=only, reps=100, fitted=fitted.shipped_fit())
