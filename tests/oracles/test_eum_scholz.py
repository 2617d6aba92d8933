"""Oracle: Scholz, Calbert & Smith (2011), Table 2 - the expected utility model on BDM (1994).

The case is Bueno de Mesquita's (1994) EC decision on the year emission standards for
medium-sized cars take effect (positions in years 4-10). Table 2 of Scholz et al. lists the
median voter and the mean position for rounds 1-8 with Q = 1.0. The table is written out here so
the test runs without ../shared; a second test checks it against the shared CSV when present.

Round numbering: the published round 1 is the state AFTER the first round of offers (our
trajectory index 1), not the input. The input's median voter is 7.0 (Belgium, Ireland and Greece
at 7 hold the weighted median), far from the published 8.4; after one round of offers it is
8.416 (Belgium's compromise with France). The input mean, 7.39, happens to round to the
published 7.4 as well, so only the median tells the two readings apart (asserted below).

Which readings reproduce the table (asserted below: the alternatives miss it):
- prob_denominator="all" (Scholz's code, not the formula printed in the paper),
- offer_rule="scholz" (the compromise key of Scholz's code),
- compromise_sign="gain_exceeds_loss",
- risk_superscripts="actors", q = 1.0.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from detente.bargaining import get_model, make_input
from detente.bargaining.eum import SCHOLZ

# actor, capability, position (year), salience (0-100) - BDM (1994, p. 78) via Scholz et al.
EMISSIONS = [
    ("Netherlands", 0.08, 4, 80),
    ("Belgium", 0.08, 7, 40),
    ("Luxembourg", 0.03, 4, 20),
    ("Germany", 0.16, 4, 80),
    ("France", 0.16, 10, 60),
    ("Italy", 0.16, 10, 60),
    ("UK", 0.16, 10, 90),
    ("Ireland", 0.05, 7, 10),
    ("Denmark", 0.05, 4, 100),
    ("Greece", 0.08, 7, 70),
]
# Scholz et al. (2011), Table 2, rounds 1..8, Q = 1.0.
PUBLISHED_MEDIAN = np.array([8.4, 9.9, 9.9, 9.9, 9.9, 7.4, 8.8, 9.6])
PUBLISHED_MEAN = np.array([7.4, 7.5, 7.6, 7.3, 7.3, 7.4, 7.5, 7.6])

# Tolerances actually reached (worst round in brackets):
# - mean: 0.1, the brief's bound; reached 0.061 (round 1: 7.461 vs 7.4). The table prints one
#   decimal, so 0.05 is the most any exact replication could promise; Scholz's own code is not
#   public, and public re-implementations that follow it land within ~0.07 too.
# - median: 0.075 in rounds 1 and 3-8 (reached 0.072, round 6: 7.472 vs 7.4); round 2 is the
#   exception, 9.611 vs 9.9, so 0.3 there. Round 2's median is Belgium's position after its
#   second compromise with France; the published rows otherwise look truncated to one decimal
#   (9.962 -> 9.9, 9.671 -> 9.6, 7.472 -> 7.4), and 9.611 cannot truncate to 9.9, so this is a
#   genuine difference of one step that we could not resolve from the paper.
MEAN_TOL = 0.1
MEDIAN_TOL = np.array([0.075, 0.3, 0.075, 0.075, 0.075, 0.075, 0.075, 0.075])


def _input(rows=EMISSIONS):
    cap = [r[1] for r in rows]
    pos = [r[2] for r in rows]
    sal = [r[3] / 100.0 for r in rows]
    return make_input(pos, sal, cap, 4.0, 10.0, actor_ids=tuple(r[0] for r in rows))


def _run(**params):
    # Scholz et al.'s reading (offer rule, 8 rounds, final median), then the test's parameters.
    return get_model("eum")(_input(), **{**SCHOLZ, **params})


def test_mean_row_within_a_tenth_of_table_2() -> None:
    res = _run(q=1.0, rounds=8)
    mean = res.extras["mean"][0, 1:, 0]  # rounds 1..8 = trajectory indices 1..8
    err = np.abs(mean - PUBLISHED_MEAN)
    assert err.max() <= MEAN_TOL, (mean, err)
    # Regression guard on the value reached, so a change that drifts towards the bound shows.
    assert err.max() < 0.065, err


def test_median_row_matches_table_2_but_round_2() -> None:
    res = _run(q=1.0, rounds=8)
    med = res.extras["median_voter"][0, 1:, 0]
    err = np.abs(med - PUBLISHED_MEDIAN)
    assert np.all(err <= MEDIAN_TOL), (med, err)
    # The forecast is the final round's median voter.
    assert res.forecast[0, 0] == pytest.approx(med[-1], abs=0.0)


def test_published_round_1_is_after_the_first_offers() -> None:
    res = _run(q=1.0, rounds=8)
    med = res.extras["median_voter"][0, :, 0]
    assert med[0] == pytest.approx(7.0)  # the input state's median voter
    assert abs(med[0] - PUBLISHED_MEDIAN[0]) > 1.0  # so the table's round 1 is not the input
    assert abs(med[1] - PUBLISHED_MEDIAN[0]) < 0.05
    # BDM (1994) forecast 8.35 years from the first round; round 1 here is within 0.07 of it.
    assert abs(med[1] - 8.35) < 0.07


@pytest.mark.parametrize(
    "alternative",
    [
        {"prob_denominator": "pair"},
        {"compromise_sign": "loss_exceeds_gain"},
        {"offer_rule": "closest"},
    ],
)
def test_other_readings_of_the_paper_miss_table_2(alternative: dict) -> None:
    # Records that the ambiguities matter: each alternative reading misses a published row by
    # more than the tolerance the default reaches.
    res = _run(q=1.0, rounds=8, **alternative)
    mean_err = np.abs(res.extras["mean"][0, 1:, 0] - PUBLISHED_MEAN).max()
    med_err = np.abs(res.extras["median_voter"][0, 1:, 0] - PUBLISHED_MEDIAN) - MEDIAN_TOL
    assert mean_err > MEAN_TOL or med_err.max() > 0.0, (alternative, mean_err, med_err)


def test_engines_agree_on_the_case() -> None:
    a = _run(engine="numpy")
    b = _run(engine="numba")
    # Same operations in another order: rounding only.
    np.testing.assert_allclose(a.trajectory, b.trajectory, atol=1e-12)


def test_shared_csv_holds_the_same_case() -> None:
    path = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "bargaining" / "bdm"
    path = path / "ExampleActors.csv"
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared reference data is not beside this clone")
    with path.open(newline="") as fh:
        rows = [
            (r["Actor"], float(r["Capability"]), float(r["Position"]), float(r["Salience"]))
            for r in csv.DictReader(fh)
        ]
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        (a, float(c), float(p), float(s)) for a, c, p, s in EMISSIONS
    ]
    res = get_model("eum")(_input(rows), **SCHOLZ)
    err = np.abs(res.extras["mean"][0, 1:, 0] - PUBLISHED_MEAN)
    assert err.max() <= MEAN_TOL
