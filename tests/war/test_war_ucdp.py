"""The second duration check: UCDP/PRIO inter-state episodes (src/detente/war/ucdp.py) and their
scores beside the baselines (detente.war.backtest.ucdp_check)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detente.scenario.errors import DetenteError
from detente.war.calibration import COW_FILE, NMC_FILE, load_wars, split
from detente.war.ucdp import ACD_FILE, as_wars, cow_code, load_episodes

DATA = Path(__file__).resolve().parents[2] / "../shared/data/war"
needs_data = pytest.mark.skipif(
    not all((DATA / f).is_file() for f in (ACD_FILE, COW_FILE, NMC_FILE)),
    reason="../shared/data/war (UCDP/PRIO ACD, COW wars and NMC) is absent",
)

HEADER = (
    "conflict_id,year,gwno_a,gwno_a_2nd,gwno_b,gwno_b_2nd,incompatibility,intensity_level,"
    "type_of_conflict,start_date,start_prec,start_date2,start_prec2,ep_end,ep_end_date\n"
)
# 1: a war (intensity 2 in 2000) from 2000-01-01 to 2001-01-31, side A a comma list of helpers;
#    then a minor one-day episode in 2005. 2: Yemen (GW 678) from 2011, still going at the
#    data's end (censored), after the NMC's last year (2010). 3: Hyderabad (GW 751, no COW code).
#    9: intrastate, not an episode here.
ROWS = """\
1,2000,2,"20, 200",365,,territory,2,interstate,2000-01-01,1,2000-01-01,1,0,
1,2001,2,"20, 200",365,,territory,1,interstate,2000-01-01,1,2000-01-01,1,1,2001-01-31
1,2005,2,,365,,territory,1,interstate,2000-01-01,1,2005-06-01,1,1,2005-06-01
2,2011,678,,2,,government,1,interstate,2011-03-01,1,2011-03-01,1,0,
2,2012,678,,2,,government,1,interstate,2011-03-01,1,2011-03-01,1,0,
3,1948,751,,750,,territory,2,interstate,1948-09-13,2,1948-09-13,2,1,1948-09-18
9,2000,750,,,,government,2,intrastate,2000-01-01,1,2000-01-01,1,1,2000-05-01
"""
NMC = """\
ccode,year,cinc
2,2000,0.15
20,2000,0.01
200,2000,0.03
365,2000,0.06
2,2005,0.14
365,2005,0.05
2,2010,0.13
678,2010,0.5
679,2010,0.002
750,1948,0.05
"""


def _write(tmp_path: Path, rows: str = ROWS) -> Path:
    (tmp_path / ACD_FILE).write_text(HEADER + rows)
    (tmp_path / NMC_FILE).write_text(NMC)
    return tmp_path


def test_episode_builder_on_a_hand_made_file(tmp_path: Path) -> None:
    ep = load_episodes(_write(tmp_path)).set_index(["conflict_id", "start"])
    assert len(ep) == 4  # the intrastate conflict is not an episode here
    war = ep.loc[(1, "2000-01-01")]
    assert war["war"] and not war["censored"]
    assert war["months"] == pytest.approx(396 / 30.44)  # 2000-01-01 to 2001-01-31
    assert war["side_a"] == "2,20,200" and war["side_b"] == "365"
    assert war["cinc_a"] == pytest.approx(0.15 + 0.01 + 0.03)  # summed in the start year
    assert war["cinc_b"] == pytest.approx(0.06)
    minor = ep.loc[(1, "2005-06-01")]
    assert not minor["war"] and minor["months"] == pytest.approx(1 / 30.44)  # at least a day
    yemen = ep.loc[(2, "2011-03-01")]
    assert yemen["censored"] and yemen["end"] == "2012-12-31"  # counted to its last year's end
    assert yemen["cinc_year"] == 2010  # the episode starts after the NMC's last year
    assert yemen["cow_a"] == "679" and yemen["cinc_a"] == pytest.approx(0.002)  # GW 678 -> 679
    hyd = ep.loc[(3, "1948-09-13")]
    assert not hyd["has_cinc"] and hyd["no_cinc"] == "751" and np.isnan(hyd["cinc_a"])
    wars = as_wars(ep.reset_index()[ep.reset_index()["has_cinc"]])
    assert len(wars) == 3 and np.all(wars.cinc_A > 0) and np.all(wars.cinc_D > 0)


def test_gleditsch_ward_to_cow_codes() -> None:
    assert cow_code(678, 1985) == 678 and cow_code(678, 2015) == 679
    assert cow_code(260, 1985) == 260 and cow_code(260, 1995) == 255
    assert cow_code(340, 2010) == 345
    assert cow_code(2, 2000) == 2 and cow_code(816, 1979) == 816


def test_bad_date_is_one_clear_error(tmp_path: Path) -> None:
    rows = "1,2000,2,,365,,territory,2,interstate,2000-01-01,1,the 1st,1,1,2000-02-01\n"
    with pytest.raises(DetenteError, match=r"start_date2 = 'the 1st' is not a date"):
        load_episodes(_write(tmp_path, rows))


def test_missing_file_is_skipped_with_the_reason(tmp_path: Path) -> None:
    from detente.war.backtest import ucdp_check

    out = ucdp_check(tmp_path, train=None, reps=1, boot=10)  # type: ignore[arg-type]
    assert "ucdp_acd.csv is absent" in out["skipped"]


@needs_data
def test_real_episodes() -> None:
    ep = load_episodes(DATA)
    assert np.all(ep["months"] > 0)
    war = ep[ep["war"]]
    assert len(war) == 30  # inter-state episodes with a year of >= 1,000 battle deaths
    assert int(war["censored"].sum()) == 1  # Russia-Ukraine from 2022-02-24
    assert int((~war["has_cinc"]).sum()) == 1  # Hyderabad 1948 (GW 751, no COW state)
    iran_iraq = ep[(ep["conflict_id"] == 324) & (ep["start"] == "1980-09-23")].iloc[0]
    assert iran_iraq["end"] == "1988-08-20" and iran_iraq["war"]
    assert iran_iraq["months"] == pytest.approx(2888 / 30.44)


@needs_data
def test_ucdp_check_json_shape() -> None:
    pytest.importorskip("scoringrules", reason="the backtest needs the [war] extra")
    pytest.importorskip("lifelines", reason="the backtest needs the [war] extra")
    from detente.war.backtest import METHODS, ucdp_check

    train, _ = split(load_wars(DATA))
    out = ucdp_check(DATA, train, reps=1, boot=200)
    assert out["n_scored"] == out["n_episodes"] - out["n_censored"] - out["n_left_out"] == 28
    assert set(out["scores"]) == set(METHODS)
    for s in out["scores"].values():
        assert s["crps_low"] <= s["crps"] <= s["crps_high"]
    assert set(out["model_minus_baseline"]) == {"base_rate", "weibull"}
    for d in out["model_minus_baseline"].values():
        assert d["crps_diff_low"] <= d["crps_diff"] <= d["crps_diff_high"]
    assert 0 < out["n_overlap_cow_held_out"] <= out["n_scored"]
    assert out["minor"]["n_scored"] > 0 and out["precise_start_dates"]["n_scored"] > 0
    rows = out["per_episode"]
    assert len(rows) == out["n_scored"] + out["minor"]["n_scored"]
    # the base rate is the same predictive distribution for every episode: its CRPS is largest
    # for the durations furthest from the training wars' (1-day episodes), a check that the
    # observed ln months reach the score
    base = np.array([r["crps"]["base_rate"] for r in rows])
    months = np.array([r["months"] for r in rows])
    med = np.median(train.months)
    assert np.argmax(base) == np.argmax(np.abs(np.log(months) - np.log(med)))
