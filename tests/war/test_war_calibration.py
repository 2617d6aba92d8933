"""The war model's calibration on the COW wars before 1946: data, shipped draws, reproducibility."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detente.scenario.war_schema import STRUCTURAL
from detente.war.calibration import (
    COW_FILE,
    NMC_FILE,
    PRIOR,
    SPLIT_YEAR,
    calibrate,
    calibrated_draws,
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
    assert cal["names"] == list(STRUCTURAL)
    assert cal["data"]["train"]["last_year"] < SPLIT_YEAR
    assert "make calibrate" in cal["command"]
    draws = calibrated_draws()
    assert len(draws["tau"]) >= 100
    for name, (lo, hi, _) in PRIOR.items():
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
