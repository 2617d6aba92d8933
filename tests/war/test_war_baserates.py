"""Base rates re-derived from the shared data (oracles.md section 5); skipped without the data."""

from __future__ import annotations

from pathlib import Path

import pytest

from detente.scenario.errors import DetenteError
from detente.war.baserates import (
    COW_FILE,
    GSDB_FILE,
    UCDP_FILE,
    base_rates,
    cow_durations,
    find_data_dir,
    gsdb_success,
    ucdp_terminations,
)

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "war"


def _data(name: str) -> Path:
    path = DATA / name
    if not path.is_file():
        pytest.skip(f"{path} is absent: the shared war data is not beside this clone")
    return path


def test_cow_durations_match_the_published_figures() -> None:
    cow = cow_durations(_data(COW_FILE))
    # Exact counts and days: the figures are integers derived from the same data.
    assert cow.wars == 95 and (cow.first_year, cow.last_year) == (1823, 2003)
    assert cow.median_days == 162 and (cow.q25_days, cow.q75_days) == (58, 460)
    assert round(100 * cow.share_within_year) == 68
    assert cow.longer_than_3_5_years == 9
    assert cow.with_winner == 77
    assert len(cow.durations_days) == 95 and min(cow.durations_days) >= 0


def test_ucdp_inter_state_terminations() -> None:
    ucdp = ucdp_terminations(_data(UCDP_FILE))
    assert ucdp["episodes"] == 66
    shares = {k: round(100 * v) for k, v in ucdp["shares"].items() if v > 0}
    # published as whole percentages: peace agreement 21, ceasefire 23, victory 30, low activity 26
    assert shares == {"peace agreement": 21, "ceasefire": 23, "victory": 30, "low activity": 26}


def test_gsdb_sanctions_success() -> None:
    g = gsdb_success(_data(GSDB_FILE))
    assert g["cases"] == 1325 and (g["first_year"], g["last_year"]) == (1949, 2022)
    assert round(100 * g["total_success"]) == 45
    assert round(100 * g["total_or_partial"]) == 63
    assert g["russia_cases_since_2014"] > 0 and g["russia_all_ongoing"]


def test_find_data_dir_and_errors(tmp_path: Path) -> None:
    _data(COW_FILE)
    assert find_data_dir(DATA) == DATA
    with pytest.raises(DetenteError, match="missing"):
        find_data_dir(tmp_path)
    rates = base_rates(DATA)
    assert set(rates) == {"data", "cow", "ucdp", "gsdb"}
