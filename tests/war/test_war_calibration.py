"""The war model's calibration on the COW wars before 1946: data, shipped draws, reproducibility."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detente.scenario.war_schema import STRUCTURAL
from detente.war.calibration import (
    COW_FILE,
    MEASUREMENT,
    NMC_FILE,
    PRIOR,
    SPLIT_YEAR,
    calibrate,
    calibrated_draws,
    cow_code,
    load_wars,
    shipped,
    split,
)

DATA = Path(__file__).resolve().parents[2] / "../shared/data/war"
needs_data = pytest.mark.skipif(
    not ((DATA / COW_FILE).is_file() and (DATA / NMC_FILE).is_file()),
    reason="../shared/data/war (COW wars and NMC) is absent",
)


def test_shipped_draws_have_provenance_and_lie_in_the_prior() -> None:
    cal = shipped()
    assert cal["names"] == [*STRUCTURAL, *MEASUREMENT]
    assert cal["data"]["train"]["last_year"] < SPLIT_YEAR
    assert "make calibrate" in cal["command"]
    assert set(calibrated_draws()) == set(STRUCTURAL)  # what a war run takes
    draws = calibrated_draws(measurement=True)
    assert len(draws["tau"]) >= 100
    for name, (lo, hi, _) in (PRIOR | MEASUREMENT).items():
        assert np.all((draws[name] >= lo) & (draws[name] <= hi)), name
    # the accepted draws keep their uncertainty: not one point
    assert np.std(draws["tau"]) > 0 and np.std(draws["beta"]) > 0


@needs_data
def test_cow_wars_with_capabilities_and_the_split() -> None:
    wars = load_wars(DATA)
    assert len(wars) == 95  # every COW inter-state war has CINC for both sides
    train, test = split(wars)
    assert train.start_year.max() < SPLIT_YEAR <= test.start_year.min()
    assert len(train) + len(test) == len(wars)
    i = wars.name.index("Franco-Spanish War")
    assert abs(wars.months[i] - 220 / 30.44) < 0.05  # 1823-04-07 to 1823-11-13
    assert wars.outcome[i] == "victory_attacker"  # France initiated and won
    assert np.all(wars.cinc_A > 0) and np.all(wars.cinc_D > 0)


@needs_data
def test_calibration_is_reproducible_and_uses_training_wars_only() -> None:
    a = calibrate(DATA, candidates=24, accept=4, reps=2, seed=5, chunk=12)
    b = calibrate(DATA, candidates=24, accept=4, reps=2, seed=5, chunk=24)
    assert a["draws"] == b["draws"]  # chunking never changes the draws
    assert a["data"]["train"]["last_year"] < SPLIT_YEAR
    assert a["accepted_distance"] == sorted(a["accepted_distance"])


def test_cow_coding_of_simulated_endings() -> None:
    """COW codes who won: a dictated peace (terms beyond ``decisive``) is a victory, a peace in
    between a compromise; collapses are victories, fading a stalemate, ongoing paths unknown."""
    from detente.war.kernel import A_WINS, D_WINS, FADED, NO_WAR, ONGOING, SETTLED

    outcome = np.array([SETTLED, SETTLED, SETTLED, A_WINS, D_WINS, FADED, ONGOING, NO_WAR])
    terms = np.array([0.9, 0.5, 0.1, np.nan, np.nan, 0.4, np.nan, np.nan])
    code = cow_code(outcome, terms, decisive=0.8)
    assert code.tolist() == [0, 2, 1, 0, 1, 3, -1, -1]
    # the threshold matters: at 0.95 the 0.9 peace is a compromise
    assert cow_code(outcome, terms, decisive=0.95)[0] == 2


@needs_data
def test_hindcast_states_the_baselines_beside_the_model() -> None:
    from detente.war.backtest import hindcast

    h = hindcast(draws=6, paths_per_draw=20, data_dir=DATA)
    base = h["baselines_p_still_at_war_sep_2025"]
    train, _ = split(load_wars(DATA))
    assert base["base_rate"] == pytest.approx(float(np.mean(train.months > 43)))
    assert 0.0 <= base["weibull"] <= 1.0
    assert 0.0 <= h["p_still_at_war_sep_2025"] <= 1.0
    # without the data, no baselines (the model alone, from the shipped calibration)
    assert hindcast(draws=2, paths_per_draw=10)["baselines_p_still_at_war_sep_2025"] == {}
