"""The forecast ledger as a service: add forecasts, resolve them, verify the chain, score them.

The file format and the hash chain are :mod:`detente.store.ledger`'s. Scores:

* probabilities: the Brier score (Brier 1950, *Monthly Weather Review* 78:1-3), ``(p - y)^2``,
  and the log score ``-ln p(y)`` (Good 1952), each averaged over resolved forecasts, beside the
  same scores of a baseline (by default the base rate: the share of resolved questions that
  resolved yes, a constant forecast known only in hindsight) and the Brier skill score
  ``1 - Brier / Brier(baseline)``; a reliability diagram bins the probabilities by tenths.
* quantities: the CRPS (Matheson & Winkler 1976; Gneiting & Raftery 2007, JASA 102:359-378) of a
  predictive distribution given as draws (``scoringrules.crps_ensemble``, the energy form
  ``E|X - y| - E|X - X'|/2``) or as quantiles (``scoringrules.crps_quantile``: the average over the
  stated levels of twice the pinball loss), and the absolute error of its median.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from detente.results import Result
from detente.store import ledger as store
from detente.store.ledger import LedgerError, VerifyReport

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

PathLike = str | os.PathLike[str] | None
_YES = {"1", "yes", "y", "true", "t"}
_NO = {"0", "no", "n", "false", "f"}


def _version() -> str:
    from detente import __version__

    return __version__


def _check_date(text: str, what: str) -> str:
    try:
        return _dt.date.fromisoformat(str(text)).isoformat()
    except ValueError:
        raise LedgerError(f"{what} {text!r}: write a date as YYYY-MM-DD") from None


def probability_forecast(p: float) -> dict[str, Any]:
    """A forecast of an event: P(yes) = ``p``."""
    if not (isinstance(p, int | float) and math.isfinite(p) and 0.0 <= p <= 1.0):
        raise LedgerError(f"probability {p!r}: must be a number in [0, 1]")
    return {"type": "probability", "p": float(p)}


def quantile_forecast(levels: list[float], values: list[float]) -> dict[str, Any]:
    """A predictive distribution of a quantity given by its quantiles (levels in (0, 1))."""
    lv = np.asarray(levels, dtype=float)
    vv = np.asarray(values, dtype=float)
    if lv.size == 0 or lv.shape != vv.shape:
        raise LedgerError("quantiles: give as many values as levels (at least one)")
    if not (np.all(np.isfinite(lv)) and np.all((lv > 0) & (lv < 1))):
        raise LedgerError(f"quantile levels {lv.tolist()}: each must lie strictly within (0, 1)")
    if not np.all(np.isfinite(vv)):
        raise LedgerError("quantile values must be finite numbers")
    order = np.argsort(lv)
    lv, vv = lv[order], vv[order]
    if np.any(np.diff(lv) <= 0) or np.any(np.diff(vv) < 0):
        raise LedgerError(
            "quantiles: the levels must differ and the values must not decrease as levels rise"
        )
    return {"type": "quantiles", "levels": lv.tolist(), "values": vv.tolist()}


def draws_forecast(values: Any) -> dict[str, Any]:
    """A predictive distribution of a quantity given by draws (a sample), at most 100,000."""
    vv = np.asarray(values, dtype=float).ravel()
    if vv.size == 0 or vv.size > 100_000 or not np.all(np.isfinite(vv)):
        raise LedgerError("draws: give 1 to 100000 finite numbers")
    return {"type": "draws", "values": vv.tolist()}


def add(
    question: str,
    forecast: dict[str, Any],
    *,
    resolves_by: str,
    criterion: str | None = None,
    model: str | None = None,
    scenario: Any = None,
    seed: int | None = None,
    extra: dict[str, Any] | None = None,
    ledger_file: PathLike = None,
) -> dict[str, Any]:
    """Record a forecast; returns the sealed entry (its ``seq`` is the forecast's id).

    ``forecast`` comes from :func:`probability_forecast`, :func:`quantile_forecast` or
    :func:`draws_forecast`; ``scenario`` (a Scenario) is recorded by id and SHA-256.
    """
    if not isinstance(question, str) or not question.strip():
        raise LedgerError("the question must be non-empty text")
    if len(question) > 2000 or (criterion is not None and len(criterion) > 4000):
        raise LedgerError("the question (2000) or criterion (4000 characters) is too long")
    if not isinstance(forecast, dict) or forecast.get("type") not in (
        "probability",
        "quantiles",
        "draws",
    ):
        raise LedgerError("forecast: a probability, quantiles or draws (see detente.api.ledger)")
    sc_info = None
    if scenario is not None:
        from detente.api import scenario_hash

        sc_info = {"id": scenario.meta.id, "title": scenario.meta.title}
        sc_info["sha256"] = scenario_hash(scenario)
    fields: dict[str, Any] = {
        "kind": "forecast",
        "question": question.strip(),
        "criterion": criterion,
        "resolves_by": _check_date(resolves_by, "resolution date"),
        "forecast": forecast,
        "model": model,
        "scenario": sc_info,
        "seed": seed,
        "detente_version": _version(),
    }
    if extra:
        fields["extra"] = extra
    return store.append(fields, ledger_file)


def parse_outcome(entry: dict[str, Any], value: str | float | bool) -> float:
    """An outcome for a forecast entry: 1/0 (yes/no) for a probability, a number otherwise."""
    ftype = entry["forecast"]["type"]
    if ftype == "probability":
        if isinstance(value, bool):
            return float(value)
        text = str(value).strip().lower()
        if text in _YES:
            return 1.0
        if text in _NO:
            return 0.0
        raise LedgerError(
            f"forecast {entry['seq']} is a probability: resolve it with yes/no (1/0), not {value!r}"
        )
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise LedgerError(
            f"forecast {entry['seq']} is a quantity: resolve it with a number, not {value!r}"
        ) from None
    if not math.isfinite(out):
        raise LedgerError(f"outcome {value!r}: must be a finite number")
    return out


def resolve(
    forecast_id: int,
    value: str | float | bool,
    *,
    note: str | None = None,
    ledger_file: PathLike = None,
) -> dict[str, Any]:
    """Record the outcome of forecast ``forecast_id`` as a new entry (nothing is edited)."""
    entries = store.read(ledger_file)
    target = next(
        (e for e in entries if e.get("seq") == forecast_id and e.get("kind") == "forecast"), None
    )
    if target is None:
        raise LedgerError(f"ledger: no forecast with id {forecast_id}")
    done = [
        e for e in entries if e.get("kind") == "resolution" and e.get("forecast") == forecast_id
    ]
    if done:
        raise LedgerError(
            f"forecast {forecast_id} was already resolved (entry {done[0]['seq']}); "
            "a ledger records one outcome per forecast"
        )
    outcome = parse_outcome(target, value)
    fields: dict[str, Any] = {"kind": "resolution", "forecast": forecast_id, "outcome": outcome}
    if note:
        fields["note"] = note[:2000]
    return store.append(fields, ledger_file)


def _require(ledger_file: PathLike) -> None:
    p = store.ledger_path(ledger_file)
    if not p.exists():
        raise LedgerError(
            f"{p}: no such ledger (add a forecast first, or choose one with --ledger-file or "
            f"${store.ENV_VAR})"
        )


def verify(ledger_file: PathLike = None) -> VerifyReport:
    """Check the hash chain (see :func:`detente.store.ledger.verify`)."""
    _require(ledger_file)
    return store.verify(ledger_file)


def entries(ledger_file: PathLike = None) -> list[dict[str, Any]]:
    """Every entry of a valid ledger."""
    _require(ledger_file)
    return store.read(ledger_file)


# ---- scoring -----------------------------------------------------------------------------------


def brier(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Brier score per forecast, ``(p - y)^2``."""
    return (np.asarray(p, float) - np.asarray(y, float)) ** 2


def log_score(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Log score per forecast, ``-ln p(outcome)`` (infinite for a certainty that failed)."""
    p = np.asarray(p, float)
    y = np.asarray(y, float)
    q = np.where(y == 1.0, p, 1.0 - p)
    with np.errstate(divide="ignore"):
        return -np.log(q)


def crps(forecast: dict[str, Any], outcome: float) -> float:
    """CRPS of a quantity forecast (draws or quantiles) against ``outcome``: scoringrules'
    ``crps_ensemble`` (energy form) or ``crps_quantile``; the same formulas in numpy
    (:func:`crps_numpy`) when scoringrules is not installed (the ``forecasting`` extra)."""
    try:
        import scoringrules as sr
    except ImportError:
        return crps_numpy(forecast, outcome)
    values = np.asarray(forecast["values"], dtype=float)
    if forecast["type"] == "draws":
        return float(sr.crps_ensemble(outcome, values, estimator="nrg"))
    return float(sr.crps_quantile(outcome, values, np.asarray(forecast["levels"], dtype=float)))


def crps_numpy(forecast: dict[str, Any], outcome: float) -> float:
    """Draws: ``E|X - y| - E|X - X'| / 2`` over the sample; quantiles: ``2/M sum_m
    pinball_{a_m}(q_m, y)`` (Gneiting & Raftery 2007)."""
    values = np.asarray(forecast["values"], dtype=float)
    if forecast["type"] == "draws":
        # E|X - X'| from the sorted sample in O(M log M): sum_i (2 i - M - 1) x_(i) * 2 / M^2.
        x = np.sort(values)
        m = x.size
        spread = 2.0 * float(np.sum((2 * np.arange(1, m + 1) - m - 1) * x)) / m**2
        return float(np.mean(np.abs(x - outcome)) - 0.5 * spread)
    levels = np.asarray(forecast["levels"], dtype=float)
    pinball = np.where(outcome >= values, levels, levels - 1.0) * (outcome - values)
    return float(2.0 * np.mean(pinball))


def _median(forecast: dict[str, Any]) -> float:
    values = np.asarray(forecast["values"], dtype=float)
    if forecast["type"] == "draws":
        return float(np.median(values))
    return float(np.interp(0.5, forecast["levels"], values))


@dataclass
class LedgerScore(Result):
    """The scored record: one row per resolved forecast, averages and a baseline."""

    ledger: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    baseline: str = "base-rate"
    baseline_p: float | None = None
    unresolved: int = 0

    def _prob(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["type"] == "probability"]

    def summary(self) -> dict[str, Any]:
        """Mean Brier, log score and baseline for probabilities; mean CRPS for quantities."""
        prob = self._prob()
        qty = [r for r in self.rows if r["type"] != "probability"]
        out: dict[str, Any] = {"probability": None, "quantity": None}
        if prob:
            p = np.array([r["p"] for r in prob])
            y = np.array([r["outcome"] for r in prob])
            b = float(self.baseline_p) if self.baseline_p is not None else float(np.mean(y))
            base_brier = float(np.mean(brier(np.full_like(p, b), y)))
            mean_brier = float(np.mean(brier(p, y)))
            out["probability"] = {
                "n": len(prob),
                "brier": mean_brier,
                "log": float(np.mean(log_score(p, y))),
                "base_rate": float(np.mean(y)),
                "baseline": self.baseline,
                "baseline_p": b,
                "baseline_brier": base_brier,
                "baseline_log": float(np.mean(log_score(np.full_like(p, b), y))),
                "brier_skill": None if base_brier == 0 else 1.0 - mean_brier / base_brier,
            }
        if qty:
            out["quantity"] = {
                "n": len(qty),
                "crps": float(np.mean([r["crps"] for r in qty])),
                "mae": float(np.mean([r["abs_error"] for r in qty])),
            }
        return out

    def reliability(self, bins: int = 10) -> list[dict[str, Any]]:
        """Per bin of forecast probability (tenths): count, mean forecast, observed frequency."""
        prob = self._prob()
        p = np.array([r["p"] for r in prob], dtype=float)
        y = np.array([r["outcome"] for r in prob], dtype=float)
        idx = np.minimum((p * bins).astype(int), bins - 1)
        out = []
        for b in range(bins):
            m = idx == b
            out.append(
                {
                    "bin": [b / bins, (b + 1) / bins],
                    "n": int(m.sum()),
                    "mean_forecast": float(p[m].mean()) if m.any() else None,
                    "observed": float(y[m].mean()) if m.any() else None,
                }
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "ledger": self.ledger,
            "resolved": len(self.rows),
            "unresolved": self.unresolved,
            "summary": self.summary(),
            "reliability": self.reliability(),
            "forecasts": self.rows,
        }

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.rows)

    def plot(self, ax: Any = None) -> Figure:
        """Reliability diagram: observed frequency against forecast probability per bin (dot size
        = number of forecasts), with the diagonal of perfect calibration and the base rate."""
        import matplotlib

        if ax is None:
            matplotlib.use("Agg", force=False)
            import matplotlib.pyplot as plt

            fig, ax = plt.subplots(figsize=(5, 5))
        else:
            fig = ax.figure
        ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--", label="perfect calibration")
        rel = [r for r in self.reliability() if r["n"]]
        if rel:
            ax.plot(
                [r["mean_forecast"] for r in rel],
                [r["observed"] for r in rel],
                color="C0",
                marker="o",
                label="forecasts",
            )
            for r in rel:
                ax.annotate(str(r["n"]), (r["mean_forecast"], r["observed"]), fontsize=8)
        s = self.summary()["probability"]
        if s:
            ax.axhline(s["base_rate"], color="C1", lw=1, label=f"base rate {s['base_rate']:.2f}")
            ax.set_title(
                f"Reliability: Brier {s['brier']:.3f} (baseline {s['baseline_brier']:.3f})"
            )
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("forecast probability")
        ax.set_ylabel("observed frequency")
        ax.legend(loc="upper left", fontsize=8)
        return fig


def score(ledger_file: PathLike = None, *, baseline: str | float = "base-rate") -> LedgerScore:
    """Score every resolved forecast of the ledger.

    ``baseline``: ``"base-rate"`` (the share of resolved probability questions that resolved yes)
    or a fixed probability, e.g. ``0.5``.
    """
    b_p: float | None = None
    name = "base-rate"
    if baseline != "base-rate":
        try:
            b_p = float(baseline)
        except (TypeError, ValueError):
            raise LedgerError(
                f"--baseline {baseline!r}: write base-rate or a probability in [0, 1]"
            ) from None
        if not 0.0 <= b_p <= 1.0:
            raise LedgerError(f"--baseline {baseline!r}: a probability must lie in [0, 1]")
        name = f"constant {b_p:g}"
    _require(ledger_file)
    all_entries = store.read(ledger_file)
    outcomes = {e["forecast"]: e["outcome"] for e in all_entries if e.get("kind") == "resolution"}
    rows: list[dict[str, Any]] = []
    unresolved = 0
    for e in all_entries:
        if e.get("kind") != "forecast":
            continue
        if e["seq"] not in outcomes:
            unresolved += 1
            continue
        y = float(outcomes[e["seq"]])
        fc = e["forecast"]
        row: dict[str, Any] = {
            "id": e["seq"],
            "question": e["question"],
            "time": e["time"],
            "type": fc["type"],
            "outcome": y,
        }
        if fc["type"] == "probability":
            p = float(fc["p"])
            row.update(
                p=p,
                brier=float(brier(np.array([p]), np.array([y]))[0]),
                log=float(log_score(np.array([p]), np.array([y]))[0]),
            )
        else:
            med = _median(fc)
            row.update(median=med, crps=crps(fc, y), abs_error=abs(med - y))
        rows.append(row)
    return LedgerScore(str(store.ledger_path(ledger_file)), rows, name, b_p, unresolved)


# ---- straight from a war run -------------------------------------------------------------------


def month_of(date: str, start: str) -> int:
    """The war model's month (1 = the month of ``start``) that contains ``date``."""
    d = _dt.date.fromisoformat(_check_date(date, "date"))
    s = _dt.date.fromisoformat(_check_date(start, "scenario date"))
    return (d.year - s.year) * 12 + (d.month - s.month) + 1


def add_from_war(
    result: Any,
    question: str,
    by_date: str,
    *,
    scenario: Any = None,
    start: str | None = None,
    criterion: str | None = None,
    ledger_file: PathLike = None,
) -> dict[str, Any]:
    """Record P(talks start by ``by_date``) from a war run (a :class:`detente.war.WarResult`).

    Month 1 of the run is the month of ``start`` (default: the scenario's ``meta.date``); the
    probability is the share of paths with talks by the end of the month that contains
    ``by_date``. The entry records the policy mix, months, paths and seed of the run.
    """
    if start is None:
        start = getattr(getattr(scenario, "meta", None), "date", None)
    if not start:
        raise LedgerError(
            "--ledger: the scenario states no meta.date, so the war run's month 1 is unknown"
        )
    month = month_of(by_date, start)
    if not 1 <= month <= int(result.months):
        raise LedgerError(
            f"--ledger: {by_date} is month {month} of a run of {result.months} months from "
            f"{start}; give a date within the run (or more --months)"
        )
    p = float(result.p_talks_by()[month - 1])
    return add(
        question,
        probability_forecast(p),
        resolves_by=by_date,
        criterion=criterion or f"talks between the sides start by {by_date}",
        model=f"war:{result.policy}",
        scenario=scenario,
        seed=result.seed,
        extra={"month": month, "months": int(result.months), "paths": int(result.paths)},
        ledger_file=ledger_file,
    )


QUANTILE_LEVELS = tuple(round(0.05 * i, 2) for i in range(1, 20))


def add_from_montecarlo(
    result: Any,
    issue: str,
    question: str,
    by_date: str,
    *,
    scenario: Any = None,
    criterion: str | None = None,
    ledger_file: PathLike = None,
) -> dict[str, Any]:
    """Record a Monte Carlo forecast of one issue (a
    :class:`~detente.analysis.montecarlo.MonteCarloResult`) as its quantiles at levels 0.05,
    0.10, ..., 0.95 (scored by CRPS once resolved)."""
    if issue not in result.issue_ids:
        raise LedgerError(
            f"issue {issue!r} is not among the forecast's issues: {', '.join(result.issue_ids)}"
        )
    values = np.quantile(result.forecasts[:, result.issue_ids.index(issue)], QUANTILE_LEVELS)
    return add(
        question,
        quantile_forecast(list(QUANTILE_LEVELS), values.tolist()),
        resolves_by=by_date,
        criterion=criterion or f"the outcome of issue {issue} on its scale",
        model=result.model,
        scenario=scenario,
        seed=result.seed,
        extra={"issue": issue, "draws": int(result.draws)},
        ledger_file=ledger_file,
    )


def question_date(question: str) -> str | None:
    """The first YYYY-MM-DD date in a question's text (e.g. "Talks by 2026-06-30?"), if any."""
    import re

    m = re.search(r"\b(\d{4}-\d{2}-\d{2})\b", question)
    return m.group(1) if m else None
