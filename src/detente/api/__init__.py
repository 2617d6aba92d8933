"""The service layer: the one door to detente for the CLI, the web app and Python users.

One typed function per user task, explicit keywords, a :class:`detente.results.Result` back:

=================  ====================================================================
``load``           a scenario file (YAML, CSV, KTAB CSV/XML) or an embedded name
``forecast``       each model's forecast (``draws=``: with Monte Carlo)  -> Forecast
``monte_carlo``    each model's forecast distribution  -> {model: MonteCarloResult}
``whatif``         before/after interventions  -> WhatIf
``sweep``          a grid of one or two levers  -> Sweep
``lever``          an actor's smallest lever for a target  -> LeverResult
``sensitivity``    Sobol'/Morris indices  -> SensitivityResult
``war``/``claims`` the war-termination model (:mod:`detente.api.war`)
``backtest``       out-of-sample scores (:mod:`detente.api.backtest`)
``report``         the HTML report (:mod:`detente.report.service`, loaded lazily)
``ledger``         the sealed forecast ledger (:mod:`detente.api.ledger`)
``discover``       scenario discovery, PRIM and CART (:mod:`detente.api.discover`)
``power``          Shapley-Shubik and Banzhaf voting power (:mod:`detente.api.power`)
``record_run``     store a run; ``list_runs``, ``get_run``, ``compare_runs``, ``export_run``
=================  ====================================================================

Names load on first use (module ``__getattr__``): ``import detente.api`` imports nothing heavy.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from detente.analysis.backtest import BacktestResult, load_cases, run_backtest
    from detente.analysis.budget import limits, parse_duration, parse_size
    from detente.api.analysis import lever, monte_carlo, sensitivity, sweep, whatif
    from detente.api.backtest import backtest
    from detente.api.forecasting import (
        Forecast,
        as_scenario,
        default_models,
        forecast,
        import_ktab,
        load,
        model_defaults,
        model_spec,
        models,
        run_models,
        save,
        scenario_hash,
        scenarios,
        to_input,
        to_yaml,
    )
    from detente.api.runs import (
        ENV_VAR,
        EXPORT_FORMATS,
        Run,
        RunStore,
        StoreError,
        compare_runs,
        export_run,
        forecast_frame,
        forecast_table,
        get_run,
        list_runs,
        open_store,
        record_run,
        resolve_path,
        result_tables,
        run_store,
    )
    from detente.bargaining.registry import ParameterError
    from detente.extras import MissingExtra, require_extra
    from detente.results import Result
    from detente.scenario.errors import NO_VALUE, DetenteError, ScenarioError
    from detente.scenario.io import atomic_write_text
    from detente.scenario.schema import Scenario

_FORECAST = "detente.api.forecasting"
_ANALYSIS = "detente.api.analysis"
_RUNS = "detente.api.runs"

# name -> module that defines it. Other helpers' services register here: war/claims in
# detente.api.war, backtest in detente.api.backtest, report in detente.api.report.
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(
        [
            "Forecast",
            "as_scenario",
            "default_models",
            "forecast",
            "import_ktab",
            "import_decide",
            "load",
            "model_defaults",
            "model_spec",
            "models",
            "run_models",
            "save",
            "scenario_hash",
            "scenarios",
            "to_input",
            "to_yaml",
        ],
        _FORECAST,
    ),
    **dict.fromkeys(["monte_carlo", "whatif", "sweep", "lever", "sensitivity"], _ANALYSIS),
    **dict.fromkeys(
        [
            "ENV_VAR",
            "EXPORT_FORMATS",
            "Run",
            "RunStore",
            "StoreError",
            "compare_runs",
            "export_run",
            "forecast_frame",
            "forecast_table",
            "get_run",
            "list_runs",
            "open_store",
            "record_run",
            "resolve_path",
            "result_tables",
            "run_store",
        ],
        _RUNS,
    ),
    **dict.fromkeys(
        ["war", "claims", "outside_terms", "war_backtest", "war_base_rates", "war_terms"],
        "detente.api.war",
    ),
    "backtest": "detente.api.backtest",
    **dict.fromkeys(["load_cases", "run_backtest", "BacktestResult"], "detente.analysis.backtest"),
    # The report layer sits above the api; its entry point is re-exported lazily, so that views
    # still go through this one door while no module of the api imports the report statically.
    "report": "detente.report.service",
    "make_report": "detente.report.service",
    **dict.fromkeys(["build_report", "report_for_run"], "detente.report.html"),
    **dict.fromkeys(
        ["embedded_scenario_text", "scenario_schema", "scenario_template"], "detente.api.docs"
    ),
    # the CLI's --max-memory / --max-time limits (detente.analysis.budget)
    **dict.fromkeys(["limits", "parse_duration", "parse_size"], "detente.analysis.budget"),
    "Result": "detente.results",
    "MissingExtra": "detente.extras",
    "require_extra": "detente.extras",
    "ParameterError": "detente.bargaining.registry",
    "DetenteError": "detente.scenario.errors",
    "ScenarioError": "detente.scenario.errors",
    "NO_VALUE": "detente.scenario.errors",
    "atomic_write_text": "detente.scenario.io",
    "Scenario": "detente.scenario.schema",
}

__all__ = sorted(_EXPORTS)


class _ApiModule(types.ModuleType):
    """``detente.api`` itself: a service module named like its function (``detente.api.war``
    holds ``war``) binds the function, not the module, when it is imported."""

    def __setattr__(self, name: str, value: Any) -> None:
        if (
            isinstance(value, types.ModuleType)
            and value.__name__ == f"{__name__}.{name}"
            and _EXPORTS.get(name) == value.__name__
            and hasattr(value, name)
        ):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _ApiModule


# Service modules reached as namespaces (``api.ledger.add(...)``), loaded on first use too.
_NAMESPACES = ("ledger", "discover", "power", "docs")


def __getattr__(name: str) -> Any:
    if name in _NAMESPACES:
        return importlib.import_module(f"{__name__}.{name}")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'detente.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS) | set(_NAMESPACES))
