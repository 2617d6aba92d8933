"""Backtests: score every bargaining model on past negotiations whose outcome is known.

A *case* is a scenario with ``outcomes`` (the known result of each scored issue, on the issue's
scale). The case library ships in ``detente/scenarios/cases/*.yaml``; a user's own case files and
the DEU III data (:mod:`detente.analysis.deu`) give more. For every model and every scored issue
(an *item*) the harness records the forecast and the absolute error, and per model reports:

* ``mae``: the mean absolute error, in points of a 0-100 scale (the error divided by the width of
  the issue's scale, x 100), so that cases on different scales (years, 0-100) can be pooled;
* ``median_error``: the median of the same errors;
* ``beats_compromise``: the share of items where the model's error is smaller than the compromise
  model's (a tie counts one half), the benchmark the EU literature found hard to beat (Achen 2006,
  in Thomson, Stokman, Achen & Koenig, *The European Union Decides*, Cambridge UP);
* ``cover50`` / ``cover90``: with Monte Carlo (``draws > 0``), the share of items whose outcome
  lies inside the model's central 50% / 90% forecast interval. Well-calibrated intervals cover
  about 50% and 90%; intervals from inputs without any stated uncertainty are points and cover
  (almost) nothing, so ``position_sd`` can add a stated measurement error to every position.

An ensemble of the models (:mod:`detente.analysis.ensemble`) is reported only through
leave-one-out scores: each case is forecast with weights fitted on the other cases.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from detente.bargaining.arrays import to_arrays
from detente.bargaining.registry import ParameterError, get_model, list_models
from detente.results import Result
from detente.scenario import io as scenario_io
from detente.scenario.errors import NO_VALUE, DetenteError, ScenarioError
from detente.scenario.schema import Scenario

BENCHMARK = "compromise"
ENSEMBLE = "ensemble (LOO)"


@dataclass(frozen=True)
class Case:
    """A past negotiation with a known outcome on at least one issue."""

    id: str
    title: str
    scenario: Scenario
    origin: str

    @property
    def issues(self) -> tuple[str, ...]:
        """The scored issues: those with a known outcome, in the scenario's order."""
        known = self.scenario.outcomes or {}
        return tuple(i for i in self.scenario.issue_ids if i in known)

    def outcome(self, issue: str) -> float:
        return float((self.scenario.outcomes or {})[issue].value)


# --- the case library ----------------------------------------------------------------------


def _library_root() -> Any:
    return resources.files("detente") / "scenarios" / "cases"


def case_names() -> list[str]:
    """Names of the cases shipped with detente."""
    root = _library_root()
    if not root.is_dir():
        return []
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))


def case_from_scenario(scenario: Scenario, origin: str) -> Case:
    """A Case from a scenario that has outcomes; a ScenarioError when it has none."""
    if not scenario.outcomes:
        raise ScenarioError(
            origin,
            "outcomes",
            NO_VALUE,
            "is missing: a backtest case needs the known outcome of at least one issue "
            "(outcomes: {ISSUE: VALUE})",
        )
    cid = scenario.meta.id or Path(origin).stem
    return Case(id=cid, title=scenario.meta.title, scenario=scenario, origin=origin)


def load_case(source: str) -> Case:
    """A shipped case by name, or a scenario file with ``outcomes`` by path."""
    if source in case_names() and not Path(source).exists():
        text = (_library_root() / f"{source}.yaml").read_text("utf-8")
        sc = scenario_io.loads(text, name=f"{source} (case library)")
        return case_from_scenario(sc, f"library:{source}")
    if not Path(source).exists():
        raise ScenarioError(
            source,
            "",
            NO_VALUE,
            "no such file, and no shipped case of that name "
            f"(cases: {', '.join(case_names()) or 'none'})",
        )
    return case_from_scenario(scenario_io.load(source), source)


def load_cases(sources: Sequence[str] | None = None) -> list[Case]:
    """The named cases (names or paths), or the whole library when none are named."""
    names = list(sources) if sources else case_names()
    cases = [load_case(s) for s in names]
    seen: dict[str, str] = {}
    for c in cases:
        if c.id in seen:
            raise DetenteError(f"two cases have the id {c.id!r}: {seen[c.id]} and {c.origin}")
        seen[c.id] = c.origin
    return cases


# --- scoring ---------------------------------------------------------------------------------


def with_position_sd(scenario: Scenario, sd_share: float) -> Scenario:
    """A copy in which every position stated without uncertainty gets a normal error of
    ``sd_share`` x the width of its issue's scale (e.g. 0.05: 5 points on 0-100)."""
    if sd_share <= 0:
        return scenario
    data = scenario.model_dump(mode="json", exclude_none=True)
    widths = {i.id: i.scale.high - i.scale.low for i in scenario.issues}
    for actor in data["actors"]:
        for issue_id, est in actor["positions"].items():
            if not est.get("sd") and est.get("low") is None:
                est["sd"] = sd_share * widths[issue_id]
    return Scenario.model_validate(data)


def _case_seed(seed: int, index: int) -> int:
    # Each case draws from its own stream, spawned from the run's seed: reproducible, independent.
    return int(np.random.SeedSequence(seed, spawn_key=(index,)).generate_state(1)[0])


def _applicable(model: str, case: Case) -> str | None:
    spec = get_model(model)
    if not spec.multi_issue and len(case.scenario.issues) < 2:
        return f"{model} needs at least two issues; the case has one"
    return None


@dataclass
class BacktestResult(Result):
    """Per-item scores and the leaderboard of a backtest."""

    models: list[str]
    rows: pd.DataFrame
    leaderboard: pd.DataFrame
    cases: list[Case]
    draws: int = 0
    seed: int | None = None
    position_sd: float = 0.0
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    ensemble: Any = None
    notes: list[str] = field(default_factory=list)

    def to_json_dict(self) -> dict[str, Any]:
        """Stable keys: models, draws, seed, position_sd, params, leaderboard[{model, n, mae,
        median_error, beats_compromise, cover50, cover90, not_applicable}], cases[{id, title,
        origin, issues[{issue, outcome, low, high, forecasts{model: {forecast, error,
        scaled_error, interval_50, interval_90, note}}}]}], ensemble, notes."""
        cases = []
        for case in self.cases:
            issues = []
            for issue in case.issues:
                scale = case.scenario.issue(issue).scale
                sub = self.rows[(self.rows.case == case.id) & (self.rows.issue == issue)]
                forecasts = {}
                for r in sub.itertuples():
                    forecasts[r.model] = {
                        "forecast": _num(r.forecast),
                        "error": _num(r.error),
                        "scaled_error": _num(r.scaled_error),
                        "interval_50": [_num(r.p25), _num(r.p75)] if self.draws else None,
                        "interval_90": [_num(r.p05), _num(r.p95)] if self.draws else None,
                        "note": r.note or None,
                    }
                issues.append(
                    {
                        "issue": issue,
                        "outcome": case.outcome(issue),
                        "low": scale.low,
                        "high": scale.high,
                        "forecasts": forecasts,
                    }
                )
            cases.append(
                {"id": case.id, "title": case.title, "origin": case.origin, "issues": issues}
            )
        return {
            "models": self.models,
            "draws": self.draws,
            "seed": self.seed,
            "position_sd": self.position_sd,
            "params": self.params,
            "leaderboard": [
                {k: _num(v) if isinstance(v, float) else v for k, v in row.items()}
                for row in self.leaderboard.to_dict(orient="records")
            ],
            "cases": cases,
            "ensemble": None if self.ensemble is None else self.ensemble.to_json(),
            "notes": self.notes,
        }

    def to_dict(self) -> dict[str, Any]:
        """The same as :meth:`to_json` (plain JSON values)."""
        return self.to_json_dict()

    def to_frame(self) -> pd.DataFrame:
        """One row per case, issue and model (the ensemble's held-out rows included)."""
        if self.ensemble is None:
            return self.rows
        return pd.concat([self.rows, self.ensemble.rows], ignore_index=True)


def _num(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else x


def default_models() -> list[str]:
    """Every registered model."""
    return [m.name for m in list_models()]


def run_backtest(
    cases: Sequence[Case],
    models: Sequence[str] | None = None,
    params: dict[str, dict[str, Any]] | None = None,
    *,
    draws: int = 0,
    seed: int | None = None,
    position_sd: float = 0.0,
    ensemble: bool = True,
    runner: Any = None,
) -> BacktestResult:
    """Score each model on each case; Monte Carlo intervals when ``draws > 0``.

    ``position_sd`` (a share of each scale's width, used with ``draws``) adds a normal error to
    every position that states no uncertainty of its own. The ensemble, when ``ensemble`` and
    there are at least three cases, is scored by leave-one-out over cases.
    """
    if not cases:
        raise DetenteError("no cases to backtest")
    names = list(models) if models else default_models()
    params = {k: dict(v) for k, v in (params or {}).items()}
    for name in names:
        get_model(name).resolve(params.get(name))  # unknown models/parameters fail before work
    unknown = sorted(set(params) - set(names))
    if unknown:
        raise ParameterError(
            f"--param names model {unknown[0]!r}, which is not among the models run "
            f"({', '.join(names)})"
        )
    if draws < 0:
        raise DetenteError(f"the number of draws must be >= 0; got {draws}")
    if not 0 <= position_sd <= 1:
        raise DetenteError(
            f"position_sd is a share of the scale's width in [0, 1]; got {position_sd}"
        )
    if draws > 0:
        from detente.analysis.uncertainty import resolve_seed

        seed = resolve_seed(seed)
    notes: list[str] = []
    rows: list[dict[str, Any]] = []
    for index, case in enumerate(cases):
        scenario = with_position_sd(case.scenario, position_sd) if draws else case.scenario
        for name in names:
            rows.extend(
                _score_case(
                    case, scenario, index, name, params.get(name, {}), draws, seed, runner, notes
                )
            )
    frame = pd.DataFrame(rows, columns=_COLUMNS)
    result = BacktestResult(
        models=names,
        rows=frame,
        leaderboard=pd.DataFrame(),
        cases=list(cases),
        draws=draws,
        seed=seed,
        position_sd=position_sd,
        params=params,
        notes=notes,
    )
    if ensemble:
        from detente.analysis.ensemble import loo_ensemble

        result.ensemble = loo_ensemble(frame, [c.id for c in cases])
        if result.ensemble is not None:
            notes.append(
                f"{ENSEMBLE}: each case forecast by the weighted models, weights fitted on the "
                "other cases only (leave-one-out); no in-sample score is reported"
            )
    result.leaderboard = leaderboard(frame, result.ensemble)
    for name in names:
        if not np.isfinite(frame[frame.model == name].forecast).any():
            why = sorted(set(frame[frame.model == name].note)) or ["no scored item"]
            notes.append(f"{name}: not scored on any case ({why[0]})")
    return result


_COLUMNS = [
    "case",
    "issue",
    "model",
    "forecast",
    "outcome",
    "low",
    "high",
    "error",
    "scaled_error",
    "p05",
    "p25",
    "p75",
    "p95",
    "note",
]


def _score_case(
    case: Case,
    scenario: Scenario,
    index: int,
    name: str,
    model_params: dict[str, Any],
    draws: int,
    seed: int | None,
    runner: Any,
    notes: list[str],
) -> list[dict[str, Any]]:
    issue_ids = scenario.issue_ids
    nan = float("nan")
    forecast = np.full(len(issue_ids), nan)
    quant = np.full((4, len(issue_ids)), nan)
    note = _applicable(name, case) or ""
    if not note:
        try:
            forecast = get_model(name)(to_arrays(scenario), **model_params).forecast[0]
            if draws:
                quant = _mc_quantiles(
                    scenario, name, model_params, draws, _case_seed(int(seed or 0), index), runner
                )
        except (DetenteError, ParameterError, FloatingPointError, ValueError) as exc:
            # A model that cannot run on a case is recorded as such, not silently dropped.
            note = f"{name} failed: {exc}"
            notes.append(f"{case.id}: {note}")
    out = []
    for k, issue in enumerate(issue_ids):
        if issue not in (scenario.outcomes or {}):
            continue
        scale = scenario.issue(issue).scale
        y = case.outcome(issue)
        err = abs(float(forecast[k]) - y)
        out.append(
            {
                "case": case.id,
                "issue": issue,
                "model": name,
                "forecast": float(forecast[k]),
                "outcome": y,
                "low": scale.low,
                "high": scale.high,
                "error": err,
                "scaled_error": 100.0 * err / (scale.high - scale.low),
                "p05": quant[0, k],
                "p25": quant[1, k],
                "p75": quant[2, k],
                "p95": quant[3, k],
                "note": note,
            }
        )
    return out


def _mc_quantiles(
    scenario: Scenario, model: str, params: dict[str, Any], draws: int, seed: int, runner: Any
) -> np.ndarray:
    """(4, K): the 5%, 25%, 75% and 95% quantiles of the model's Monte Carlo forecasts."""
    try:
        from detente.analysis.montecarlo import monte_carlo
    except ImportError:  # pragma: no cover - the Monte Carlo module ships with detente
        raise DetenteError("Monte Carlo is not available in this installation") from None
    mc = monte_carlo(scenario, model, draws, seed=seed, params=params, runner=runner)
    return np.quantile(mc.forecasts, [0.05, 0.25, 0.75, 0.95], axis=0)


_BOARD_COLUMNS = [
    "model",
    "n",
    "mae",
    "median_error",
    "beats_compromise",
    "cover50",
    "cover90",
    "not_applicable",
]


def leaderboard(rows: pd.DataFrame, ensemble: Any = None) -> pd.DataFrame:
    """One row per model (and the LOO ensemble), best mean absolute error first."""
    frame = rows
    if ensemble is not None:
        frame = pd.concat([rows, ensemble.rows], ignore_index=True)
    bench = frame[frame.model == BENCHMARK].set_index(["case", "issue"]).scaled_error
    out = []
    for model, sub in frame.groupby("model", sort=False):
        ok = sub[np.isfinite(sub.scaled_error)]
        entry: dict[str, Any] = {
            "model": model,
            "n": len(ok),
            "mae": float(ok.scaled_error.mean()) if len(ok) else float("nan"),
            "median_error": float(ok.scaled_error.median()) if len(ok) else float("nan"),
            "beats_compromise": float("nan"),
            "cover50": float("nan"),
            "cover90": float("nan"),
            "not_applicable": int(len(sub) - len(ok)),
        }
        if model != BENCHMARK and len(bench):
            mine = ok.set_index(["case", "issue"]).scaled_error
            both = pd.concat([mine, bench], axis=1, join="inner").dropna()
            if len(both):
                a, b = both.iloc[:, 0].to_numpy(), both.iloc[:, 1].to_numpy()
                # Errors equal to rounding count as ties: half a win each.
                tie = np.isclose(a, b, rtol=0, atol=1e-9)
                entry["beats_compromise"] = float(np.mean(np.where(tie, 0.5, a < b)))
        have = ok[np.isfinite(ok.p25)]
        if len(have):
            y = have.outcome.to_numpy()
            entry["cover50"] = float(np.mean((have.p25 <= y) & (y <= have.p75)))
            entry["cover90"] = float(np.mean((have.p05 <= y) & (y <= have.p95)))
        out.append(entry)
    board = pd.DataFrame(out, columns=_BOARD_COLUMNS)
    board = board[board.n > 0]
    if len(board):
        board = board.sort_values("mae", na_position="last", kind="stable").reset_index(drop=True)
    return board
