"""Interventions, what-ifs, sweeps and the smallest lever: the language, known answers (a
two-actor median, the linear compromise), invariants (a merger keeps the compromise), CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from detente import api
from detente.analysis.levers import (
    apply_interventions,
    parse_lever_axis,
    smallest_lever,
    sweep,
    whatif,
)
from detente.bargaining import get_model
from detente.bargaining.arrays import to_arrays
from detente.cli.main import _register_commands, app, main
from detente.scenario import io as scenario_io
from detente.scenario.errors import DetenteError
from detente.scenario.interventions_schema import (
    InterventionError,
    InterventionSpec,
    parse_intervention,
)
from tests.analysis.helpers import scenario

runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def _commands() -> None:
    if not app.registered_commands:
        _register_commands()


def compromise(sc) -> np.ndarray:
    return get_model("compromise")(to_arrays(sc)).forecast[0]


# ---- the language ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "fields"),
    [
        (
            "shift USA.position.sanctions -20",
            {"op": "shift", "target": "USA.position.sanctions", "value": -20.0},
        ),
        (
            "set CHN.salience.sanctions 0.2",
            {"op": "set", "target": "CHN.salience.sanctions", "value": 0.2},
        ),
        ("scale EU.capability 1.5", {"op": "scale", "target": "EU.capability", "value": 1.5}),
        ("remove IND", {"op": "remove", "actors": ("IND",)}),
        ("remove IND, CHN", {"op": "remove", "actors": ("IND", "CHN")}),
        ("merge USA,EU as WEST", {"op": "merge", "actors": ("USA", "EU"), "as_": "WEST"}),
        (
            "policy arm_ukraine intensity=2",
            {"op": "policy", "policy": "arm_ukraine", "params": {"intensity": 2.0}},
        ),
    ],
)
def test_language_reads_each_form(line: str, fields: dict) -> None:
    spec = parse_intervention(line)
    for key, value in fields.items():
        assert getattr(spec, key) == value
    assert spec.describe() == line


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ("shift USA.position 3", "name the issue"),
        ("shift USA.position", "NUMBER"),
        ("shift USA.mood.x 3", "ACTOR.position.ISSUE"),
        ("set USA.capability.x 3", "has no issue"),
        ("shift USA.position.x abc", "not a number"),
        ("merge USA as WEST", "two or more"),
        ("explode USA", "unknown operation"),
        ("", "empty"),
        ("scale USA.capability -1", "must be >= 0"),
    ],
)
def test_language_rejects_with_one_clear_line(line: str, match: str) -> None:
    with pytest.raises(InterventionError, match=match):
        parse_intervention(line)


def test_scenario_file_interventions_as_text_and_mapping() -> None:
    text = scenario_io.embedded_text("ukraine-2025") + (
        '\ninterventions:\n  - "shift USA.position.sanctions -20"\n'
        "  - {op: set, target: CHN.salience.sanctions, value: 0.2}\n"
    )
    sc = scenario_io.loads(text, "x.yaml")
    assert [i.op for i in sc.interventions] == ["shift", "set"]
    res = whatif(sc, models=["compromise"])
    manual = apply_interventions(
        sc, ["shift USA.position.sanctions -20", "set CHN.salience.sanctions 0.2"]
    ).scenario
    assert res.new_forecasts["compromise"][0, 2] == pytest.approx(compromise(manual)[2], abs=1e-12)
    bad = scenario_io.embedded_text("ukraine-2025") + '\ninterventions:\n  - "frobnicate X"\n'
    with pytest.raises(DetenteError, match="unknown operation"):
        scenario_io.loads(bad, "bad.yaml")


# ---- applying ----------------------------------------------------------------------------------


def test_shift_moves_value_and_range_and_stops_at_the_scale() -> None:
    sc = api.load("ukraine-2025")
    new = apply_interventions(sc, ["shift UKR.position.territory 15"]).scenario
    est = new.actor("UKR").positions["territory"]
    assert (est.value, est.low, est.high) == (25.0, 15.0, 45.0)
    new = apply_interventions(sc, ["shift UKR.position.territory -50"]).scenario
    est = new.actor("UKR").positions["territory"]
    assert (est.value, est.low) == (0.0, 0.0)  # stops at the scale's low end
    with pytest.raises(InterventionError, match="outside the allowed range"):
        apply_interventions(sc, ["set CHN.salience.sanctions 1.5"])
    with pytest.raises(InterventionError, match="no actor 'XYZ'"):
        apply_interventions(sc, ["remove XYZ"])
    with pytest.raises(InterventionError, match="no issue 'oil'"):
        apply_interventions(sc, ["shift USA.position.oil 3"])


def test_remove_and_add() -> None:
    sc = api.load("ukraine-2025")
    new = apply_interventions(sc, ["remove IND,CHN"]).scenario
    assert new.actor_ids == ("RUS", "UKR", "USA", "EU")
    new = apply_interventions(
        sc,
        [
            "add TUR capability=0.3 position.territory=60 position.security=50 "
            "position.sanctions=70 salience.territory=0.3 salience.security=0.3 "
            "salience.sanctions=0.4"
        ],
    ).scenario
    assert new.actor("TUR").capability.value == 0.3
    with pytest.raises(InterventionError, match="invalid scenario"):
        apply_interventions(sc, ["add TUR capability=0.3 position.territory=60"])


@settings(max_examples=30, deadline=None)
@given(
    caps=st.lists(st.floats(0.05, 5.0), min_size=3, max_size=5),
    data=st.data(),
)
def test_merge_keeps_the_compromise_forecast(caps, data) -> None:
    # Invariant: a coalition carries its members' total capability x salience and their
    # weighted mean position, so the weighted mean over all actors does not change.
    n = len(caps)
    pos = data.draw(st.lists(st.floats(0.0, 100.0), min_size=2 * n, max_size=2 * n))
    sal = data.draw(st.lists(st.floats(0.01, 1.0), min_size=2 * n, max_size=2 * n))
    sc = scenario(
        [
            {
                "id": f"A{i}",
                "cap": caps[i],
                "pos": {"x": pos[2 * i], "y": pos[2 * i + 1]},
                "sal": {"x": sal[2 * i], "y": sal[2 * i + 1]},
            }
            for i in range(n)
        ],
        issues=["x", "y"],
    )
    merged = apply_interventions(sc, ["merge A0,A2 as C"]).scenario
    assert merged.actor_ids[0] == "C" and len(merged.actors) == n - 1
    assert merged.actor("C").capability.value == pytest.approx(caps[0] + caps[2])
    # Tolerance: float round-off of two weighted means.
    np.testing.assert_allclose(compromise(merged), compromise(sc), atol=1e-9)


# ---- what-if -----------------------------------------------------------------------------------


def test_whatif_shift_on_compromise_is_exact_in_every_draw() -> None:
    # Known answer: shifting an actor's position by d moves the compromise by d * w / W in every
    # draw when capabilities and saliences are fixed (common random numbers make it exact).
    sc = scenario(
        [
            {"id": "A", "cap": 1.0, "pos": {"x": {"value": 30.0, "sd": 5.0}}},
            {"id": "B", "cap": 3.0, "pos": {"x": {"value": 60.0, "low": 50.0, "high": 70.0}}},
        ]
    )
    res = whatif(sc, ["shift B.position.x -8"], models=["compromise"], draws=2000, seed=9)
    diff = res.new_forecasts["compromise"][:, 0] - res.base_forecasts["compromise"][:, 0]
    # -8 moves B's range [50, 70] to [42, 62], inside the scale: no clipping. Round-off only.
    np.testing.assert_allclose(diff, -8.0 * 3.0 / 4.0, atol=1e-9)
    frame = res.to_frame()
    assert frame.loc[0, "change"] == pytest.approx(-6.0, abs=0.3)


def test_whatif_needs_interventions() -> None:
    with pytest.raises(DetenteError, match="no interventions"):
        whatif(api.load("ukraine-2025"), [])


# ---- sweeps ------------------------------------------------------------------------------------


def test_sweep_one_lever_matches_the_closed_form() -> None:
    sc = scenario(
        [
            {"id": "A", "cap": 1.0, "pos": {"x": 30.0}, "sal": {"x": 0.5}},
            {"id": "B", "cap": 2.0, "pos": {"x": 60.0}, "sal": {"x": 1.0}},
        ]
    )
    res = sweep(sc, ["A.position.x=0:100:11"], model="compromise")
    got = res.forecasts[:, 0, 0]
    # Closed form: (0.5 a + 2 * 60) / 2.5 for each set value a.
    want = (0.5 * np.linspace(0, 100, 11) + 120.0) / 2.5
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_sweep_two_levers_grid_shape_and_corners() -> None:
    sc = api.load("ukraine-2025")
    res = sweep(
        sc,
        ["USA.position.sanctions=0:100:3", "shift CHN.salience.sanctions=-0.2,0,0.2"],
        model="median",
        draws=50,
        seed=1,
        thresholds=["sanctions<=50"],
    )
    assert res.forecasts.shape == (3, 3, 50, 3)
    corner = apply_interventions(
        sc, ["set USA.position.sanctions 100", "shift CHN.salience.sanctions 0.2"]
    ).scenario
    from detente.analysis.levers import forecast_variants

    direct = forecast_variants([corner], sc, "median", draws=50, seed=1)[0]
    assert np.array_equal(res.forecasts[2, 2], direct)
    assert "P(sanctions<=50)" in res.to_frame().columns


def test_lever_axis_parse_errors() -> None:
    assert parse_lever_axis("scale EU.capability=0.5,1,2").values == (0.5, 1.0, 2.0)
    with pytest.raises(DetenteError, match="START:STOP:NUM"):
        parse_lever_axis("USA.position.sanctions")
    with pytest.raises(DetenteError, match="numbers"):
        parse_lever_axis("USA.position.sanctions=a:b:3")


# ---- the smallest lever ------------------------------------------------------------------------


def two_actor_median(b_position):
    # A (capability 1) at 20, B (capability 3) at 80: B holds the weighted median.
    return scenario(
        [
            {"id": "A", "cap": 1.0, "pos": {"x": 20.0}},
            {"id": "B", "cap": 3.0, "pos": {"x": b_position}},
        ]
    )


def test_smallest_lever_two_actor_median_exact() -> None:
    # Known answer: the median is B's position, so B reaches x <= 40 by shifting -40 (cost 0.4 of
    # the scale). Its other levers cost more: capability below A's (-2 of 4 in all: 0.5),
    # salience below 1/3 (-2/3). The search's resolution is (largest change) / 20^4: 80 / 20^4 =
    # 0.0005 for the position, 3 / 20^4 for the capability, 1 / 20^4 for the salience.
    res = smallest_lever(two_actor_median(80.0), "B", "x<=40", model="median", probability=1.0)
    assert res.best is not None and res.best["target"] == "B.position.x"
    assert -40.0 - 0.0005 <= res.best["change"] <= -40.0 + 1e-12
    assert res.best["cost"] == pytest.approx(0.4, abs=1e-5)
    others = {r["target"]: r for r in res.candidates}
    assert others["B.capability"]["change"] == pytest.approx(-2.0, abs=3 / 20**4)
    assert others["B.salience.x"]["change"] == pytest.approx(-2 / 3, abs=1 / 20**4)
    assert res.base_probability == 0.0


def test_smallest_lever_under_uncertainty_hits_the_quantile() -> None:
    # B's position uniform on [70, 90]: P(x_B + d <= 40) >= p first holds at d = 40 - q_p, with
    # q_0.5 = 80 and q_0.9 = 88. Tolerance: the sample quantile of n = 4000 draws of a width-20
    # uniform has sd 20 sqrt(p (1 - p) / n) <= 0.16; 0.7 is > 4 sd, plus the grid's 0.0016.
    sc = two_actor_median({"value": 80.0, "low": 70.0, "high": 90.0})
    for p, want in ((0.5, -40.0), (0.9, -48.0)):
        res = smallest_lever(sc, "B", "x<=40", model="median", probability=p, draws=4000, seed=2)
        assert res.best["target"] == "B.position.x"
        assert abs(res.best["change"] - want) < 0.7
        assert res.best["probability"] >= p


def test_smallest_lever_when_nothing_is_needed_or_nothing_works() -> None:
    res = smallest_lever(two_actor_median(30.0), "B", "x<=40", model="median")
    assert res.best["intervention"] == "none needed" and res.best["cost"] == 0.0
    # A alone at 20 cannot push the median below 10 by its own position or salience, but it can
    # by capability? No: the median then sits at A's position 20 > 10. Nothing works.
    res = smallest_lever(two_actor_median(80.0), "A", "x<=10", model="median")
    assert res.best is None and res.candidates == []


# ---- CLI ---------------------------------------------------------------------------------------


def test_cli_whatif_lever_sweep() -> None:
    res = runner.invoke(
        app,
        [
            "whatif",
            "--do",
            "shift USA.position.sanctions -20",
            "--do",
            "merge USA,EU as WEST",
            "-m",
            "compromise",
            "-m",
            "median",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "What if" in res.stdout and "sanctions" in res.stdout
    res = runner.invoke(
        app,
        [
            "whatif",
            "--do",
            "remove IND",
            "-m",
            "median",
            "--draws",
            "100",
            "-t",
            "territory<=60",
            "--json",
        ],
    )
    data = json.loads(res.stdout)
    assert data["draws"] == 100 and data["interventions"] == ["remove IND"]
    res = runner.invoke(
        app, ["lever", "--actor", "USA", "--target", "territory<=60", "--draws", "200", "--json"]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["best"]["target"].startswith("USA.") and data["best"]["probability"] >= 0.5
    res = runner.invoke(
        app, ["sweep", "--lever", "USA.position.sanctions=0:100:3", "--issue", "sanctions"]
    )
    assert res.exit_code == 0 and "USA.position.sanctions" in res.stdout


def test_cli_bad_intervention_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["whatif", "--do", "shift NOPE.position.territory 5"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "NOPE" in err[0]


def test_intervention_spec_round_trips_through_mapping() -> None:
    spec = parse_intervention("merge USA,EU as WEST")
    again = InterventionSpec.model_validate(spec.model_dump(by_alias=True))
    assert again == spec


def test_war_whatif_policy_uses_common_random_numbers() -> None:
    sc = api.load("ukraine-2025")
    # The status quo against itself: the same draws and paths, so exactly no change.
    same = whatif(sc, ["policy status-quo"], models=["war"], draws=300, seed=4).to_frame()
    assert list(same["model"]) == ["war"] * 3
    assert np.all(same["change"].fillna(0.0).to_numpy() == 0.0)
    other = whatif(sc, ["policy secondary-sanctions"], models=["war"], draws=300, seed=4)
    frame = other.to_frame()
    assert ((frame["base"] >= 0) & (frame["base"] <= 1)).all()
    assert frame.loc[0, "base"] == same.loc[0, "base"]  # the base run does not depend on it
    with pytest.raises(DetenteError, match="unknown policy mix"):
        whatif(sc, ["policy nosuch"], models=["war"], draws=10)


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=80)
    | st.from_regex(
        r"(set|shift|scale|remove|merge|add|policy) [A-Za-z.,= 0-9\-]{0,40}", fullmatch=True
    )
)
def test_any_text_is_read_or_rejected_with_an_intervention_error(text: str) -> None:
    # Invariant: user text never raises anything but the one-line InterventionError.
    try:
        spec = parse_intervention(text)
    except InterventionError as exc:
        assert "\n" not in str(exc)  # one line (the text is quoted with repr)
        return
    assert isinstance(spec, InterventionSpec) and spec.describe()


def test_structural_whatif_keeps_shared_draws() -> None:
    # C has no weight (capability 0): removing it cannot move the compromise. Draws are keyed by
    # input name, so A's and B's draws are the same with and without C: equal in every draw.
    sc = scenario(
        [
            {"id": "A", "cap": {"value": 1.0, "sd": 0.3}, "pos": {"x": {"value": 30.0, "sd": 5.0}}},
            {"id": "C", "cap": 0.0, "pos": {"x": {"value": 90.0, "low": 80.0, "high": 100.0}}},
            {"id": "B", "cap": 3.0, "pos": {"x": {"value": 60.0, "low": 50.0, "high": 70.0}}},
        ]
    )
    res = whatif(sc, ["remove C"], models=["compromise"], draws=1500, seed=6)
    np.testing.assert_allclose(
        res.new_forecasts["compromise"], res.base_forecasts["compromise"], atol=1e-9
    )  # round-off only
    merged = whatif(sc, ["merge A,B as AB"], models=["compromise"], draws=1500, seed=6)
    # The coalition's position carries its members' uncertainty (its own stream): it varies.
    assert merged.new_forecasts["compromise"][:, 0].std() > 1.0
