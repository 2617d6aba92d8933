"""The service layer: one door, explicit keywords, results that share one interface."""

from __future__ import annotations

import importlib
import inspect
import json

import numpy as np
import pytest

import detente
from detente import api
from detente.results import Result

OTHER_BRANCHES = {"war", "claims", "backtest", "report"}  # their modules land separately


def test_every_exported_name_resolves_lazily() -> None:
    for name in api.__all__:
        module = api._EXPORTS[name]
        if name in OTHER_BRANCHES and importlib.util.find_spec(module) is None:
            continue
        assert getattr(api, name) is not None, name
    assert callable(api.forecast)  # the function, not the module detente.api.forecasting
    assert detente.forecast is api.forecast


def test_services_take_explicit_keywords() -> None:
    for name in ("forecast", "monte_carlo", "whatif", "sweep", "lever", "sensitivity"):
        params = inspect.signature(getattr(api, name)).parameters.values()
        assert not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params), name
        kinds = [p.kind for p in params][1:]
        assert all(k is inspect.Parameter.KEYWORD_ONLY for k in kinds), name


def _check_result(res: Result) -> dict:
    assert isinstance(res, Result)
    data = res.to_dict()
    assert json.loads(res.to_json()) == json.loads(json.dumps(data, default=float))
    frame = res.to_frame()
    assert len(frame) > 0
    assert res._repr_html_().startswith("<b>")
    return data


def test_forecast_result_interface() -> None:
    fc = api.forecast("ukraine-2025", model=["compromise", "eum"])
    data = _check_result(fc)
    assert set(data["models"]) == {"compromise", "eum"}
    ds = fc.to_xarray()
    assert ds["forecast"].dims == ("model", "issue")
    np.testing.assert_allclose(
        ds["forecast"].sel(model="eum").values, fc.results["eum"].forecast[0]
    )
    assert fc.plot().axes


def test_analysis_results_share_the_interface() -> None:
    pytest.importorskip("scipy")
    mcs = api.monte_carlo("ukraine-2025", model="compromise", draws=64, seed=1)
    mc = mcs["compromise"]
    data = _check_result(mc)
    assert data["draws"] == 64 and data["seed"] == 1
    assert mc.to_xarray()["forecast"].shape == (64, len(mc.issue_ids))
    w = api.whatif(
        "ukraine-2025", interventions=["shift USA.position.sanctions -20"], model="compromise"
    )
    assert _check_result(w)["interventions"]
    sw = api.sweep(
        "ukraine-2025", levers=["USA.position.sanctions=0:100:3"], model="compromise", draws=4
    )
    assert len(_check_result(sw)["rows"]) == 3 * len(sw.issue_ids)
    assert sw.to_xarray()["forecast"].dims == ("USA.position.sanctions", "draw", "issue")
    lv = api.lever(
        "ukraine-2025", actor="USA", target="sanctions<=60", draws=32, grid=5, model="compromise"
    )
    assert "candidates" in lv.to_dict()
    assert mc.plot().axes and sw.plot().axes


def test_sensitivity_result_interface() -> None:
    pytest.importorskip("SALib")
    res = api.sensitivity("ukraine-2025", model="compromise", method="morris", n=4, seed=1)
    data = _check_result(res)
    assert data["method"] == "morris" and data["outputs"]
    assert set(res.to_frame()["output"]) == set(res.outputs)
    assert res.plot().axes


def test_record_run_is_the_one_way_to_store(tmp_path) -> None:
    fc = api.forecast("ukraine-2025", model="median")
    store = tmp_path / "runs.sqlite"
    rid = api.record_run("forecast", fc.scenario, fc, models=["median"], store=str(store))
    run = api.get_run(rid, store=str(store))
    assert run.result == json.loads(fc.to_json())
    assert run.scenario_sha256 == api.scenario_hash(fc.scenario)
    assert api.record_run("forecast", fc.scenario, fc, store="off") is None
