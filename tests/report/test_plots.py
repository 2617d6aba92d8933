"""Plots draw what the results say: marker positions and line data are read back from the
figures and compared with the result JSON (exact: the plot is given those very floats)."""

from __future__ import annotations

import numpy as np
import pytest

from detente import api
from detente.report import plots
from detente.scenario import io as scenario_io


@pytest.fixture(scope="module")
def forecast() -> api.Forecast:
    return api.forecast("ukraine-2025", model=["median", "compromise", "eum"])


def test_positions_figure_marks_each_forecast_and_actor(forecast: api.Forecast) -> None:
    fc = forecast.to_dict()
    sc = forecast.scenario
    fig = plots.positions_figure(fc, sc)
    assert len(fig.axes) == len(sc.issues)
    for ax, issue in zip(fig.axes, sc.issues, strict=True):
        points = np.concatenate([c.get_offsets() for c in ax.collections])
        xs = {float(x) for x in points[:, 0]}
        for actor in sc.actors:
            assert actor.positions[issue.id].value in xs
        for row in fc["forecasts"]:
            if row["issue"] == issue.id:
                assert row["forecast"] in xs
        # the axis spans the issue's scale, with its labels on the end ticks
        lo, hi = ax.get_xlim()
        assert lo < issue.scale.low and hi > issue.scale.high
        ticks = [t.get_text() for t in ax.get_xticklabels()]
        assert issue.scale.low_label[:20] in ticks[0] and issue.scale.high_label[:20] in ticks[-1]


def test_positions_figure_draws_monte_carlo_intervals(forecast: api.Forecast) -> None:
    mc = {
        "median": {
            "issues": {
                "territory": {
                    "median": 80.0,
                    "interval_50": [70.0, 90.0],
                    "interval_90": [60.0, 95.0],
                }
            }
        }
    }
    fig = plots.positions_figure(forecast.to_dict(), forecast.scenario, montecarlo=mc)
    xdata = [tuple(line.get_xdata()) for line in fig.axes[0].get_lines()]
    assert (60.0, 95.0) in xdata and (70.0, 90.0) in xdata


def test_trajectory_figure_plots_each_actor_round_by_round(forecast: api.Forecast) -> None:
    fc = forecast.to_dict()
    fig = plots.trajectory_figure(fc, "eum", forecast.scenario)
    traj = fc["models"]["eum"]["trajectory"]
    for ax, (issue, per_actor) in zip(fig.axes, traj.items(), strict=True):
        lines = ax.get_lines()
        assert [list(line.get_ydata()) for line in lines] == list(per_actor.values())
        assert issue in ("territory", "security", "sanctions")
    one_shot = plots.trajectory_figure(fc, "median")
    assert "one-shot" in one_shot.axes[0].texts[0].get_text()


def test_talks_figure_accepts_the_known_shapes() -> None:
    a = {
        "months": [1, 2, 3],
        "policies": [
            {
                "name": "x",
                "p_talks": [0.1, 0.2, 0.4],
                "low": [0.0, 0.1, 0.3],
                "high": [0.2, 0.3, 0.5],
            }
        ],
    }
    b = {
        "policies": {
            "x": {
                "months": [1, 2, 3],
                "p": {"mean": [0.1, 0.2, 0.4], "low": [0.0, 0.1, 0.3], "high": [0.2, 0.3, 0.5]},
            }
        }
    }
    c = {
        "policies": [
            {"policy": "x", "p": [0.1, 0.2, 0.4], "band": [[0.0, 0.2], [0.1, 0.3], [0.3, 0.5]]}
        ]
    }
    for data in (a, b, c):
        (curve,) = plots.talks_curves(data)
        assert curve["policy"] == "x" and curve["p"] == [0.1, 0.2, 0.4]
        assert curve["low"] == [0.0, 0.1, 0.3] and curve["high"] == [0.2, 0.3, 0.5]
        fig = plots.talks_figure(data)
        solid = [ln for ln in fig.axes[0].get_lines() if ln.get_linestyle() == "-"]
        assert [list(ln.get_ydata()) for ln in solid] == [[0.1, 0.2, 0.4]]
        assert fig.axes[0].get_ylim() == (0.0, 1.0)
    assert plots.talks_curves({"unrelated": 1}) == []


def test_sensitivity_and_whatif_bars() -> None:
    sens = {
        "outputs": {
            "territory": {
                "ST": {"a": 0.1, "b": 0.7, "c": 0.3},
                "ST_conf": {"a": 0.01, "b": 0.02, "c": 0.03},
            }
        }
    }
    fig = plots.sensitivity_figure(sens)
    widths = [p.get_width() for p in fig.axes[0].patches]
    assert widths == [0.1, 0.3, 0.7]  # largest on top: barh draws bottom-up
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["a", "c", "b"]
    wi = {
        "comparison": [{"model": "median", "issue": "territory", "baseline": 85.0, "variant": 70.0}]
    }
    fig = plots.whatif_figure(wi)
    assert sorted(p.get_width() for p in fig.axes[0].patches) == [70.0, 85.0]


def test_rendering_is_deterministic_and_typed(tmp_path, forecast: api.Forecast) -> None:
    fig = plots.positions_figure(forecast)
    assert plots.to_svg(fig) == plots.to_svg(fig)
    svg = plots.to_inline_svg(fig)
    assert svg.startswith("<svg") and "Russia" in svg  # text stays text (svg.fonttype none)
    assert plots.save(fig, tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plots.save(fig, tmp_path / "a.svg").read_text().lstrip().startswith("<?xml")
    from detente.scenario.errors import DetenteError

    with pytest.raises(DetenteError):
        plots.save(fig, tmp_path / "a.gif")


def test_user_text_is_drawn_literally() -> None:
    # Dollar signs would start matplotlib's mathtext (and "$x^$" would fail to parse).
    data = scenario_io.load("ukraine-2025").model_dump(mode="json")
    data["actors"][0]["name"] = "US$ bloc $x^$ <b>&"
    sc = scenario_io.from_data(data)
    svg = plots.to_svg(plots.positions_figure(api.forecast(sc, model="median"), sc))
    assert "US$ bloc $x^$ &lt;b&gt;&amp;" in svg


def test_plots_of_the_analysis_layers_json() -> None:
    # The shapes `detente sensitivity --json` and `detente whatif --json` print.
    sens_mod = pytest.importorskip("detente.analysis.sensitivity")
    levers_mod = pytest.importorskip("detente.analysis.levers")
    sc = scenario_io.load("ukraine-2025")
    sens = sens_mod.sensitivity(sc, "compromise", method="morris", n=4, seed=1).to_dict()
    groups = plots.sensitivity_bars(sens)
    assert [g["output"] for g in groups] == list(sens["outputs"])
    first = sens["outputs"]["territory"]["indices"]
    fig = plots.sensitivity_figure(sens, top=100)
    widths = sorted(p.get_width() for p in fig.axes[0].patches)
    assert widths == sorted(r["mu_star"] for r in first)
    wi = levers_mod.whatif(
        sc, ["shift RUS.positions.territory -20"], models=["compromise"]
    ).to_dict()
    rows = plots.whatif_rows(wi)
    assert [(r["baseline"], r["variant"]) for r in rows] == [
        (r["base"], r["whatif"]) for r in wi["rows"]
    ]
    bars = sorted(p.get_width() for p in plots.whatif_figure(wi).axes[0].patches)
    assert bars == sorted([r["base"] for r in wi["rows"]] + [r["whatif"] for r in wi["rows"]])


def test_plots_of_the_war_clis_json() -> None:
    # `detente war --json`: {"months": T, "policies": {name: {"p_talks_by_month": [...]}}}
    data = {
        "months": 3,
        "policies": {"status-quo": {"p_talks_by_month": [0.1, 0.3, 0.35], "summary": {}}},
    }
    (curve,) = plots.talks_curves(data)
    assert curve["months"] == [1, 2, 3] and curve["p"] == [0.1, 0.3, 0.35]
    assert curve["low"] is None
