"""The claims check: seven claims, each against a counterfactual that changes one thing."""

from __future__ import annotations

import numpy as np
import pytest

from detente import api
from detente.analysis.claims import MIXES, TESTS, check_claims, mix_difference, wilson


def test_every_claim_compares_mixes_that_differ_in_exactly_one_thing() -> None:
    assert len(TESTS) == 7
    for cid, t in TESTS.items():
        if t.b is None:
            continue
        if t.b_params:  # the same mix, one parameter changed
            assert t.a == t.b and len(t.b_params) == 1, cid
            continue
        diff = mix_difference(t.a, t.b)
        assert len(diff) == 1, (cid, diff)


def test_mix_difference_sees_more_than_one_change() -> None:
    # the check itself can fail: the old 'credible-pressure' added aid as well as enforcement
    from detente.analysis.claims import _ev
    from detente.scenario.war_schema import PolicySpec

    MIXES["_both"] = PolicySpec(
        events=[*MIXES["credible-pressure"].events, _ev("aid", 1, "aid_step")]
    )
    try:
        assert len(mix_difference("_both", "status-quo")) == 2
        assert len(mix_difference("_both", "pressure")) >= 2
    finally:
        del MIXES["_both"]


def test_claims_report_shares_with_intervals() -> None:
    sc = api.load("ukraine-2025")
    res = check_claims(sc, draws=30, paths=40, seed=1)
    assert [r.id for r in res] == [c.id for c in sc.claims]
    for r in res:
        d = r.to_dict()
        assert d["draws"] > 0
        assert 0.0 <= d["share"] <= 1.0
        assert d["low"] <= d["share"] <= d["high"]
        if d["share"] == 1.0:
            assert d["note"]  # a claim that always holds says why


def test_a_claims_own_horizon_is_simulated() -> None:
    """A claim's ``months:`` in the scenario sets the horizon its test simulates (unless the run
    sets one for all), and a shorter horizon changes what the not-fast test sees."""
    sc = api.load("ukraine-2025")
    claims = [c.model_copy(update={"months": 13}) if c.id == "not-fast" else c for c in sc.claims]
    sc2 = sc.model_copy(update={"claims": claims})
    res = {r.id: r for r in check_claims(sc2, draws=12, paths=30, seed=3)}
    assert res["not-fast"].months == 13
    assert res["appeasement"].months == 60
    forced = {r.id: r for r in check_claims(sc2, draws=12, paths=30, seed=3, months=24)}
    assert {r.months for r in forced.values()} == {24}


def test_uneven_costs_follow_capabilities_not_a_typed_weight() -> None:
    sc = api.load("ukraine-2025")
    run = api.war(
        sc, policies=["status-quo"], draws=20, paths_per_draw=40, seed=2, set_=["elapsed=0"]
    )
    pp = run.policies["status-quo"]
    assert np.nanmean(pp.per_draw("cost_A")) < np.nanmean(pp.per_draw("cost_D"))
    swapped = api.war(
        sc,
        policies=["status-quo"],
        draws=20,
        paths_per_draw=40,
        seed=2,
        set_=["elapsed=0", "capability_A=0.00644", "capability_D=0.03485", "aid=0", "support_A=0"],
    )
    sp = swapped.policies["status-quo"]
    assert np.nanmean(sp.per_draw("cost_A")) > np.nanmean(sp.per_draw("cost_D"))


@pytest.mark.parametrize(("k", "n"), [(0, 10), (5, 10), (10, 10), (37, 80)])
def test_wilson_interval_contains_the_share(k: int, n: int) -> None:
    lo, hi = wilson(k, n)
    assert 0 <= lo <= k / n <= hi <= 1


def test_war_terms_on_the_territory_scale_and_the_flag() -> None:
    terms = api.war_terms("ukraine-2025", draws=20, paths_per_draw=40, seed=1)
    assert terms is not None and terms["issue"] == "territory"
    acc = terms["acceptable"]
    assert 0 <= acc["low"] <= 100 and 0 <= acc["high"] <= 100
    assert acc["range_exists"] == (acc["low"] <= acc["high"])
    # a forecast outside [low, high] is flagged; inside (when a range exists) it is not
    assert api.outside_terms(acc["high"] + 1.0, terms)
    assert api.outside_terms(acc["low"] - 1.0, terms)
    if acc["range_exists"]:
        assert not api.outside_terms((acc["low"] + acc["high"]) / 2, terms)
    assert not api.outside_terms(50.0, None)
