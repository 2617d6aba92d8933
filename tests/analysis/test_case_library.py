"""The shipped backtest case library: every case loads, is scored against a cited outcome, and the
cases taken from the DEU III data set carry the data set's values and the Council's weights."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest

from detente.analysis import backtest as bt
from detente.analysis import deu

NAMES = bt.case_names()
DEU_NAMES = [n for n in NAMES if n.startswith("deu-")]

# DEU III (Arregui & Perarnaud 2021, doi:10.34810/data53), two rows as published: each actor's
# (position, salience) on 0-100, the reference point and the outcome. Typed here independently of
# the case files, so that a slip in either shows up as a mismatch.
DEU_ROWS = {
    ("deu-d99204-beef-labelling-2000", "i1"): {
        "actors": {
            "com": (81, 50),
            "ep": (86, 90),
            "at": (81, 50),
            "be": (81, 50),
            "dk": (81, 50),
            "fi": (100, 70),
            "fr": (100, 70),
            "de": (100, 60),
            "el": (52, 90),
            "ie": (81, 50),
            "it": (52, 90),
            "lu": (81, 50),
            "nl": (81, 50),
            "pt": (81, 50),
            "es": (81, 50),
            "se": (81, 50),
            "uk": (81, 50),
        },
        "rp": 0,
        "out": 86,
    },
    ("deu-d98323-tse-rules-2001", "i2"): {
        "actors": {
            "com": (100, 90),
            "ep": (100, 90),
            "at": (100, 90),
            "be": (33, 80),
            "dk": (33, 80),
            "fi": (100, 90),
            "fr": (33, 80),
            "de": (33, 80),
            "el": (33, 80),
            "ie": (33, 80),
            "it": (33, 80),
            "lu": (33, 80),
            "nl": (33, 80),
            "pt": (33, 80),
            "es": (33, 80),
            "se": (100, 90),
            "uk": (33, 80),
        },
        "rp": 0,
        "out": 93,
    },
}


@pytest.fixture(scope="module")
def cases() -> dict[str, bt.Case]:
    return {n: bt.load_case(n) for n in NAMES}


def test_library_has_several_cases() -> None:
    # The library grew from the one BDM case; the DEU cases sit beside it.
    assert "ec-car-emissions-1994" in NAMES
    assert len(NAMES) >= 4 and len(DEU_NAMES) >= 3


@pytest.mark.parametrize("name", NAMES)
def test_case_loads_with_cited_outcomes(cases: dict[str, bt.Case], name: str) -> None:
    case = cases[name]  # loading validates: ids, every actor on every issue, values on the scale
    sc = case.scenario
    assert case.id == name, "the file name is the case's meta.id"
    assert case.issues, "a case scores at least one issue"
    assert sc.meta.sources and all(s.title.strip() for s in sc.meta.sources)
    for issue_id in case.issues:
        est = sc.outcomes[issue_id]
        scale = sc.issue(issue_id).scale
        assert est.source and est.source.strip(), f"{name}: outcome of {issue_id} has no source"
        assert scale.low <= est.value <= scale.high
        assert scale.low_label.strip() and scale.high_label.strip()


def test_case_ids_are_unique(cases: dict[str, bt.Case]) -> None:
    ids = [c.id for c in cases.values()]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("name", DEU_NAMES)
def test_deu_case_cites_each_value_by_its_column(cases: dict[str, bt.Case], name: str) -> None:
    # Every DEU value names the DEU issue and the column it was read from (p<actor>, s<actor>,
    # rp, out), and the column belongs to the actor and issue it sits on.
    sc = cases[name].scenario
    isnr = {i.id: re.fullmatch(r"DEU III issue (d\d{5}i\d)", i.name).group(1) for i in sc.issues}
    for issue in sc.issues:
        if issue.reference is not None:
            assert issue.reference.source == f"DEU III {isnr[issue.id]} rp"
        assert sc.outcomes[issue.id].source.startswith(f"DEU III {isnr[issue.id]} out")
    for actor in sc.actors:
        assert actor.capability.source
        for issue in sc.issues:
            assert actor.positions[issue.id].source == f"DEU III {isnr[issue.id]} p{actor.id}"
            assert actor.saliences[issue.id].source == (
                f"DEU III {isnr[issue.id]} s{actor.id} / 100"
            )


@pytest.mark.parametrize("name", DEU_NAMES)
def test_deu_case_capabilities_are_the_council_weights(
    cases: dict[str, bt.Case], name: str
) -> None:
    # The rule of `detente backtest deu`: the Council's weights in force on the date of the final
    # act; the Commission and (under codecision) the Parliament as strong as the largest state.
    sc = cases[name].scenario
    rule, table = deu.council_weights(dt.date.fromisoformat(sc.meta.date))
    big = max(table.values())
    for actor in sc.actors:
        want = big if actor.id in deu.INSTITUTIONS else table[actor.id]
        assert actor.capability.value == want, (rule, actor.id)


@pytest.mark.parametrize("key", sorted(DEU_ROWS))
def test_deu_case_matches_the_published_row(cases: dict[str, bt.Case], key: tuple) -> None:
    name, issue = key
    row = DEU_ROWS[key]
    sc = cases[name].scenario
    got = {a.id: (a.positions[issue].value, a.saliences[issue].value) for a in sc.actors}
    assert set(got) == set(row["actors"])
    for code, (p, s) in row["actors"].items():
        # Salience: 0-100 in DEU, 0-1 in detente; 1e-12 covers the division's rounding only.
        assert got[code][0] == p and got[code][1] == pytest.approx(s / 100, abs=1e-12)
    assert sc.issue(issue).reference.value == row["rp"]
    assert sc.outcomes[issue].value == row["out"]


def test_compromise_on_a_deu_issue_matches_hand_computation(cases: dict[str, bt.Case]) -> None:
    # Beef labelling, issue 1: the capability- and salience-weighted mean of the positions,
    # with the 1995-2004 Council weights (Commission and Parliament 10), computed from the row.
    key = ("deu-d99204-beef-labelling-2000", "i1")
    caps = {c: deu.AMSTERDAM.get(c, 10) for c in DEU_ROWS[key]["actors"]}
    w = {c: caps[c] * s for c, (_, s) in DEU_ROWS[key]["actors"].items()}
    mean = sum(w[c] * DEU_ROWS[key]["actors"][c][0] for c in w) / sum(w.values())
    result = bt.run_backtest([cases[key[0]]], ["compromise"], ensemble=False)
    row = result.rows[result.rows.issue == "i1"].iloc[0]
    # Tolerance 1e-9: the same arithmetic in another order; only float rounding differs.
    assert row.forecast == pytest.approx(mean, abs=1e-9)
    assert row.error == pytest.approx(abs(mean - 86), abs=1e-9)


def test_backtest_scores_every_issue_of_the_library(cases: dict[str, bt.Case]) -> None:
    result = bt.run_backtest(list(cases.values()), ensemble=False)
    n_issues = sum(len(c.issues) for c in cases.values())
    multi = sum(len(c.issues) for c in cases.values() if len(c.scenario.issues) > 1)
    board = result.leaderboard.set_index("model")
    for model in ("compromise", "median", "nash", "eum", "smp"):
        assert board.loc[model, "n"] == n_issues
    # exchange needs two issues: it scores the multi-issue cases only.
    assert board.loc["exchange", "n"] == multi
    assert np.isfinite(board.mae).all()
