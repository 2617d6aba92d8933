"""Monte Carlo over input uncertainty: every model, the whole batch at once.

Each uncertain position, salience and capability of a scenario is drawn from its stated
distribution (see :mod:`detente.analysis.uncertainty` for the distributions and the seeding), the
draws form one :class:`~detente.bargaining.inputs.BargainingInput` with batch = draws, and the model
runs once per chunk of draws (a chunk bounds memory; chunks may run on a Dask cluster). Draw ``i``
is the same number whatever the chunking, so one process and a cluster agree exactly.

Reported per issue: the median forecast, the 50% and 90% central intervals, the mean, and
P(outcome past each threshold the user names), e.g. ``territory<=40``.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from detente.analysis.distributed import Runner, SerialRunner
from detente.analysis.uncertainty import (
    ParamTable,
    base_input,
    inputs_from_values,
    param_table,
    resolve_seed,
    unit_draws,
)
from detente.bargaining.inputs import BargainingInput
from detente.bargaining.registry import get_model
from detente.results import Result
from detente.scenario.errors import DetenteError
from detente.scenario.schema import Scenario

if TYPE_CHECKING:
    import xarray as xr
    from matplotlib.figure import Figure

# Draws per chunk task. Cheap one-shot models take big chunks; dynamic models (EUM, SMP) smaller
# ones, so that memory stays bounded and the progress bar moves.
STATIC_CHUNK = 16_384
DYNAMIC_CHUNK = 1_024
# ... and at most about this many floats per (B, N, K) array of a chunk (~128 MB), for large
# scenarios (thousands of actors or issues).
CHUNK_FLOATS = 16_000_000

_THRESHOLD = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9_.\-]*)\s*(<=|>=|<|>)\s*([-+0-9.eE]+)\s*$")


@dataclass(frozen=True)
class Threshold:
    """A condition on one issue's outcome, e.g. ``territory <= 40``."""

    issue: str
    op: str
    value: float

    def __str__(self) -> str:
        return f"{self.issue}{self.op}{self.value:g}"

    def test(self, x: np.ndarray) -> np.ndarray:
        """Elementwise: does ``x`` meet the condition?"""
        if self.op == "<=":
            return x <= self.value
        if self.op == "<":
            return x < self.value
        if self.op == ">=":
            return x >= self.value
        return x > self.value


def parse_threshold(text: str | Threshold, issue_ids: tuple[str, ...] = ()) -> Threshold:
    """``"territory<=40"`` -> Threshold("territory", "<=", 40.0); checks the issue exists."""
    if isinstance(text, Threshold):
        th = text
    else:
        m = _THRESHOLD.match(text)
        if not m:
            raise DetenteError(
                f"threshold {text!r}: write ISSUE<=VALUE (or <, >=, >), e.g. territory<=40"
            )
        try:
            value = float(m.group(3))
        except ValueError:
            raise DetenteError(f"threshold {text!r}: {m.group(3)!r} is not a number") from None
        th = Threshold(m.group(1), m.group(2), value)
    if issue_ids and th.issue not in issue_ids:
        raise DetenteError(
            f"threshold {str(th)!r} names an unknown issue {th.issue!r}; "
            f"the issues are: {', '.join(issue_ids)}"
        )
    return th


@dataclass(frozen=True)
class EvalTask:
    """One chunk of model evaluations: draws ``start:stop`` of the seeded stream, or the given
    unit-hypercube rows (a sensitivity design)."""

    base: BargainingInput
    table: ParamTable
    model: str
    params: dict[str, Any]
    entropy: int = 0
    start: int = 0
    stop: int = 0
    units: np.ndarray | None = None


def evaluate(task: EvalTask) -> np.ndarray:
    """The model's forecasts (rows, K) for one chunk."""
    units = (
        task.units
        if task.units is not None
        else task.table.correlate(unit_draws(task.entropy, task.table.names, task.start, task.stop))
    )
    inp = inputs_from_values(task.base, task.table, task.table.from_unit(units))
    # Each row's index in the whole run: a model's own random streams (SMP's stochastic
    # transitions) are seeded per draw, so the chunking never changes them.
    inp = dataclasses.replace(inp, draw_ids=np.arange(task.start, task.start + inp.batch))
    return get_model(task.model)(inp, **task.params).forecast


def chunk_size(model: str, n_actors: int = 1, n_issues: int = 1) -> int:
    """The default draws per chunk for ``model`` on a scenario of this size."""
    size = DYNAMIC_CHUNK if get_model(model).dynamic else STATIC_CHUNK
    return max(1, min(size, CHUNK_FLOATS // max(1, n_actors * n_issues)))


def chunk_ranges(n: int, size: int) -> list[tuple[int, int]]:
    """[(0, size), (size, 2 size), ...] covering ``range(n)``."""
    size = max(1, int(size))
    return [(s, min(s + size, n)) for s in range(0, n, size)]


@dataclass
class MonteCarloResult(Result):
    """The forecast distribution of one model over input uncertainty."""

    model: str
    draws: int
    seed: int
    issue_ids: tuple[str, ...]
    forecasts: np.ndarray  # (draws, K)
    thresholds: tuple[Threshold, ...] = ()
    uncertain: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)

    def probability(self, threshold: Threshold | str) -> float:
        """P(outcome meets ``threshold``) over the draws."""
        th = parse_threshold(threshold, self.issue_ids)
        k = self.issue_ids.index(th.issue)
        return float(np.mean(th.test(self.forecasts[:, k])))

    def summary(self) -> pd.DataFrame:
        """One row per issue: median, 50% and 90% intervals, mean, sd."""
        q = np.quantile(self.forecasts, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
        return pd.DataFrame(
            {
                "model": self.model,
                "issue": list(self.issue_ids),
                "median": q[2],
                "p25": q[1],
                "p75": q[3],
                "p05": q[0],
                "p95": q[4],
                "mean": self.forecasts.mean(axis=0),
                "sd": self.forecasts.std(axis=0, ddof=1) if self.draws > 1 else 0.0,
            }
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per draw and issue: draw, issue, forecast."""
        d, k = self.forecasts.shape
        return pd.DataFrame(
            {
                "model": self.model,
                "draw": np.repeat(np.arange(d), k),
                "issue": np.tile(np.array(self.issue_ids), d),
                "forecast": self.forecasts.ravel(),
            }
        )

    def _repr_html_(self) -> str:
        return f"<b>MonteCarloResult</b> ({self.draws:,} draws, seed {self.seed})" + (
            self.summary().to_html(float_format=lambda v: f"{v:.3f}")
        )

    def to_xarray(self) -> xr.Dataset:
        """forecast (draw, issue)."""
        import xarray as xr

        return xr.Dataset(
            {"forecast": (("draw", "issue"), self.forecasts)},
            coords={"draw": np.arange(self.draws), "issue": list(self.issue_ids)},
            attrs={"model": self.model, "seed": str(self.seed)},
        )

    def plot(self, ax: Any = None) -> Figure:
        """A histogram of each issue's forecast over the draws."""
        from matplotlib.figure import Figure

        k = len(self.issue_ids)
        fig = Figure(figsize=(6, 1.5 + 1.5 * k))
        axes = fig.subplots(k, 1, squeeze=False)[:, 0]
        for j, (axk, issue) in enumerate(zip(axes, self.issue_ids, strict=True)):
            axk.hist(self.forecasts[:, j], bins=40)
            axk.set_title(f"{self.model}: {issue}", fontsize=9, loc="left")
        fig.tight_layout()
        return fig

    def to_dict(self) -> dict[str, Any]:
        """Stable keys: model, draws, seed, uncertain_inputs, issues{id: {median, interval_50,
        interval_90, mean, sd}}, thresholds[{threshold, issue, op, value, probability}]."""
        s = self.summary()
        issues = {
            str(row["issue"]): {
                "median": float(row["median"]),
                "interval_50": [float(row["p25"]), float(row["p75"])],
                "interval_90": [float(row["p05"]), float(row["p95"])],
                "mean": float(row["mean"]),
                "sd": float(row["sd"]),
            }
            for row in s.to_dict(orient="records")
        }
        return {
            "model": self.model,
            "draws": self.draws,
            "seed": self.seed,
            "uncertain_inputs": list(self.uncertain),
            "issues": issues,
            "thresholds": [
                {
                    "threshold": str(t),
                    "issue": t.issue,
                    "op": t.op,
                    "value": t.value,
                    "probability": self.probability(t),
                }
                for t in self.thresholds
            ],
        }


def monte_carlo(
    scenario: Scenario,
    model: str,
    draws: int,
    *,
    seed: int | None = None,
    params: dict[str, Any] | None = None,
    thresholds: list[str | Threshold] | tuple[str | Threshold, ...] = (),
    chunk: int | None = None,
    runner: Runner | None = None,
) -> MonteCarloResult:
    """Draw the scenario's uncertain inputs ``draws`` times and forecast every draw with ``model``.

    Same ``seed`` -> same numbers, whatever ``chunk`` and ``runner`` (one process or a Dask
    cluster). ``seed=None`` draws fresh entropy and records it in the result.
    """
    if not isinstance(draws, int) or draws < 1:
        raise DetenteError(f"the number of draws must be a positive integer; got {draws!r}")
    spec = get_model(model)
    resolved = spec.resolve(params)
    from detente.analysis.budget import check_forecast

    check_forecast(scenario, [model], {model: params or {}}, draws, command="Monte Carlo")
    ths = tuple(parse_threshold(t, scenario.issue_ids) for t in thresholds)
    entropy = resolve_seed(seed)
    table = param_table(scenario)
    base = base_input(scenario)
    tasks = [
        # The overrides, not the resolved dict: a model checks its own defaults (some are None).
        EvalTask(base, table, model, dict(params or {}), entropy, a, b)
        for a, b in chunk_ranges(
            draws, chunk or chunk_size(model, len(scenario.actors), len(scenario.issues))
        )
    ]
    runner = runner or SerialRunner()
    parts = runner.map(evaluate, tasks, label=f"{model}: {draws:,} draws")
    return MonteCarloResult(
        model=model,
        draws=draws,
        seed=entropy,
        issue_ids=scenario.issue_ids,
        forecasts=np.concatenate(parts, axis=0),
        thresholds=ths,
        uncertain=table.names,
        params=resolved,
    )
