"""Levers and what-ifs: interventions over a scenario, grid sweeps, and the smallest lever.

An intervention (:mod:`detente.scenario.interventions_schema` defines the language) changes a
scenario:

* ``set`` / ``shift`` / ``scale`` a position, salience or capability. The central value moves and
  the stated uncertainty moves with it (``sd`` kept; ``low``/``high`` shifted by the same amount),
  clipped to the allowed range (the issue's scale, [0, 1], >= 0). ``set`` outside the range is an
  error; ``shift`` and ``scale`` stop at the range's ends.
* ``remove`` actors.
* ``merge`` actors into a coalition: capability = the members' sum; salience = their
  capability-weighted mean; position = their capability x salience weighted mean. The coalition
  keeps the members' total weight (sum of capability x salience) on every issue, so the compromise
  forecast does not change when actors merge; models sensitive to the number of actors (median,
  EUM, SMP) may. Uncertainties combine as for independent inputs (sd of a weighted sum; a range
  counts as a uniform's sd, width / sqrt 12).
* ``add`` an actor.
* ``policy``: recorded for the war model (see :func:`apply_interventions`).

The smallest lever (:func:`smallest_lever`): among the changes a named actor can make to itself
(its position, salience on each issue, or capability, in either direction), the smallest that
brings P(forecast meets the target) up to a given probability under Monte Carlo. Changes are
compared by a normalised cost (position: fraction of the issue's scale; salience: salience units;
capability: fraction of the total capability of all actors), and reported in their own units too.
The search evaluates every candidate on a grid in one batch with common random numbers (the same
draws at every grid point), then refines the first grid cell that reaches the probability.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from detente.analysis.distributed import Runner, SerialRunner
from detente.analysis.montecarlo import Threshold, parse_threshold
from detente.analysis.uncertainty import (
    inputs_from_values,
    param_table,
    resolve_seed,
    unit_draws,
)
from detente.bargaining.arrays import to_arrays
from detente.bargaining.inputs import BargainingInput
from detente.bargaining.registry import get_model
from detente.results import Result
from detente.scenario.errors import DetenteError, ScenarioError
from detente.scenario.interventions_schema import (
    InterventionError,
    InterventionSpec,
    parse_intervention,
    split_target,
)
from detente.scenario.schema import Scenario

if TYPE_CHECKING:
    import xarray as xr
    from matplotlib.figure import Figure

InterventionLike = InterventionSpec | str | dict[str, Any]


@dataclass
class Applied:
    """A scenario after interventions, and the war-model policies they named."""

    scenario: Scenario
    interventions: tuple[InterventionSpec, ...]
    policies: tuple[InterventionSpec, ...] = ()


def as_intervention(item: InterventionLike) -> InterventionSpec:
    """An InterventionSpec from a line of the language, a mapping, or a spec."""
    if isinstance(item, InterventionSpec):
        return item
    if isinstance(item, str):
        return parse_intervention(item)
    try:
        return InterventionSpec.model_validate(item)
    except ValueError as exc:
        raise InterventionError(f"intervention {item!r}: {exc}") from None


def apply_interventions(scenario: Scenario, interventions: Sequence[InterventionLike]) -> Applied:
    """Apply ``interventions`` in order; the result is validated like a scenario file.

    The returned scenario has an empty ``interventions`` list (they are applied); ``policy``
    interventions are returned in ``policies`` for the war model.
    """
    specs = tuple(as_intervention(i) for i in interventions)
    data = scenario.model_dump(mode="python", by_alias=True, exclude_none=True)
    data["interventions"] = []
    policies = []
    for spec in specs:
        if spec.op == "policy":
            policies.append(spec)
            continue
        _APPLY[spec.op](data, spec)
    from detente.scenario import io as scenario_io
    from detente.scenario.correlations_schema import prune_correlations

    prune_correlations(data)  # inputs the what-if removed leave their correlation blocks
    try:
        new = scenario_io.from_data(data, f"{scenario.meta.id or 'scenario'} (what-if)")
    except ScenarioError as exc:
        raise InterventionError(f"the interventions give an invalid scenario: {exc}") from None
    return Applied(new, specs, tuple(policies))


# ---- the operations, on the scenario's plain data ----------------------------------------------


def _actor(data: dict[str, Any], actor_id: str, spec: InterventionSpec) -> dict[str, Any]:
    for a in data["actors"]:
        if a["id"] == actor_id:
            return a
    known = ", ".join(a["id"] for a in data["actors"])
    raise InterventionError(f"{spec.describe()!r}: no actor {actor_id!r}; the actors are: {known}")


def _issue(data: dict[str, Any], issue_id: str, spec: InterventionSpec) -> dict[str, Any]:
    for i in data["issues"]:
        if i["id"] == issue_id:
            return i
    known = ", ".join(i["id"] for i in data["issues"])
    raise InterventionError(f"{spec.describe()!r}: no issue {issue_id!r}; the issues are: {known}")


def _range(
    data: dict[str, Any], fld: str, issue: str | None, spec: InterventionSpec
) -> tuple[float, float]:
    if fld == "position":
        scale = _issue(data, issue or "", spec).get("scale", {})
        return float(scale.get("low", 0.0)), float(scale.get("high", 100.0))
    if fld == "salience":
        _issue(data, issue or "", spec)
        return 0.0, 1.0
    return 0.0, math.inf


def _set_shift_scale(data: dict[str, Any], spec: InterventionSpec) -> None:
    actor_id, fld, issue = split_target(spec.target or "")
    actor = _actor(data, actor_id, spec)
    lo, hi = _range(data, fld, issue, spec)
    est = dict(actor["capability"] if fld == "capability" else actor[fld + "s"][issue])
    old = float(est["value"])
    value = float(spec.value or 0.0)
    if spec.op == "set":
        if not lo <= value <= hi:
            raise InterventionError(
                f"{spec.describe()!r}: {value:g} is outside the allowed range [{lo:g}, {hi:g}]"
            )
        new = value
    elif spec.op == "shift":
        new = min(max(old + value, lo), hi)
    else:
        new = min(max(old * value, lo), hi)
    est = move_estimate(est, new, lo, hi)
    est["source"] = f"what-if: {spec.describe()}"[:500]
    if fld == "capability":
        actor["capability"] = est
    else:
        actor[fld + "s"][issue] = est


def move_estimate(est: dict[str, Any], new: float, lo: float, hi: float) -> dict[str, Any]:
    """The estimate with its central value at ``new``; a range moves along, clipped to [lo, hi]."""
    out = dict(est)
    delta = new - float(est["value"])
    out["value"] = new
    if est.get("low") is not None and est.get("high") is not None:
        out["low"] = min(max(float(est["low"]) + delta, lo), new)
        out["high"] = max(min(float(est["high"]) + delta, hi), new)
    return out


def _remove(data: dict[str, Any], spec: InterventionSpec) -> None:
    for a in spec.actors:
        _actor(data, a, spec)
    data["actors"] = [a for a in data["actors"] if a["id"] not in spec.actors]
    if not data["actors"]:
        raise InterventionError(f"{spec.describe()!r}: no actor would be left")


def _variance(est: dict[str, Any]) -> float:
    if est.get("sd"):
        return float(est["sd"]) ** 2
    if est.get("low") is not None and est.get("high") is not None:
        return (float(est["high"]) - float(est["low"])) ** 2 / 12.0
    return 0.0


def _combined(values: list[float], weights: list[float], ests: list[dict[str, Any]]) -> dict:
    total = sum(weights)
    w = [x / total for x in weights] if total > 0 else [1.0 / len(weights)] * len(weights)
    value = sum(wi * v for wi, v in zip(w, values, strict=True))
    sd = math.sqrt(sum(wi * wi * _variance(e) for wi, e in zip(w, ests, strict=True)))
    return {"value": value, "sd": sd} if sd > 0 else {"value": value}


def _merge(data: dict[str, Any], spec: InterventionSpec) -> None:
    members = [_actor(data, a, spec) for a in spec.actors]
    new_id = spec.as_ or ""
    if any(a["id"] == new_id and a["id"] not in spec.actors for a in data["actors"]):
        raise InterventionError(f"{spec.describe()!r}: an actor {new_id!r} already exists")
    caps = [float(m["capability"]["value"]) for m in members]
    cap_total = sum(caps)
    cap_sd = math.sqrt(sum(_variance(m["capability"]) for m in members))
    coalition: dict[str, Any] = {
        "id": new_id,
        "name": spec.name or " + ".join(m["name"] for m in members),
        "capability": {"value": cap_total, **({"sd": cap_sd} if cap_sd > 0 else {})},
        "positions": {},
        "saliences": {},
        "description": f"coalition of {', '.join(spec.actors)} (what-if: {spec.describe()})"[:500],
    }
    for issue in data["issues"]:
        i = issue["id"]
        sal_e = [m["saliences"][i] for m in members]
        pos_e = [m["positions"][i] for m in members]
        sal = [float(e["value"]) for e in sal_e]
        coalition["saliences"][i] = _combined(sal, caps, sal_e)
        coalition["saliences"][i]["value"] = min(max(coalition["saliences"][i]["value"], 0.0), 1.0)
        coalition["positions"][i] = _combined(
            [float(e["value"]) for e in pos_e],
            [c * s for c, s in zip(caps, sal, strict=True)],
            pos_e,
        )
    first = min(data["actors"].index(m) for m in members)
    rest = [a for a in data["actors"] if a["id"] not in spec.actors]
    rest.insert(min(first, len(rest)), coalition)
    data["actors"] = rest


def _add(data: dict[str, Any], spec: InterventionSpec) -> None:
    actor = dict(spec.actor or {})
    actor.setdefault("name", actor.get("id", ""))
    if any(a["id"] == actor.get("id") for a in data["actors"]):
        raise InterventionError(f"{spec.describe()!r}: an actor {actor.get('id')!r} already exists")
    data["actors"].append(actor)


_APPLY = {
    "set": _set_shift_scale,
    "shift": _set_shift_scale,
    "scale": _set_shift_scale,
    "remove": _remove,
    "merge": _merge,
    "add": _add,
}


# ---- evaluating many variants of a scenario in one batch ---------------------------------------


@dataclass(frozen=True)
class VariantTask:
    """Forecast several variants of a scenario under the same draws (common random numbers)."""

    variants: tuple[Scenario, ...]
    model: str
    params: dict[str, Any]
    entropy: int
    draws: int


def evaluate_variants(task: VariantTask) -> np.ndarray:
    """(variants, draws, K) forecasts. One model call for the whole chunk of variants x draws.
    Every variant draws its inputs from the streams of their names, so inputs the variants share
    get the same draws (common random numbers)."""
    cache: dict[tuple[str, ...], np.ndarray] = {}
    parts: list[BargainingInput] = []
    for sc in task.variants:  # a loop over variants (grid points), each a vectorised batch of draws
        table = param_table(sc)
        if table.names not in cache:
            cache[table.names] = unit_draws(task.entropy, table.names, 0, task.draws)
        values = table.from_unit(table.correlate(cache[table.names]))
        parts.append(inputs_from_values(to_arrays(sc), table, values))
    inp = _concat(parts)
    out = get_model(task.model)(inp, **task.params).forecast
    return out.reshape(len(task.variants), task.draws, -1)


def _concat(parts: list[BargainingInput]) -> BargainingInput:
    first = parts[0]
    return BargainingInput(
        np.concatenate([p.positions for p in parts]),
        np.concatenate([p.saliences for p in parts]),
        np.concatenate([p.capabilities for p in parts]),
        first.scale_low,
        first.scale_high,
        # Reference points per draw when any part has them; else the one shared reference.
        np.concatenate([p.reference_batch() for p in parts])
        if any(p.reference.ndim == 2 for p in parts)
        else first.reference,
        first.actor_ids,
        first.issue_ids,
    )


def forecast_variants(
    variants: Sequence[Scenario],
    base: Scenario,
    model: str,
    *,
    draws: int = 1,
    seed: int | None = 0,
    params: dict[str, Any] | None = None,
    runner: Runner | None = None,
    per_task: int | None = None,
    label: str = "variants",
) -> np.ndarray:
    """(V, draws, K) forecasts of each variant, the same draws of the inputs they share
    (``draws=1`` when the base has no uncertain input: the central values). Variants must have
    the base's issues and the same number of actors (one batch)."""
    get_model(model).resolve(params)
    draws = 1 if not param_table(base).names else draws
    entropy = resolve_seed(seed)
    # Bound a task's batch to about 64k model evaluations (memory, progress).
    per_task = per_task or max(1, 65_536 // max(draws, 1))
    if get_model(model).dynamic:
        per_task = max(1, per_task // 16)
    tasks = [
        VariantTask(tuple(variants[i : i + per_task]), model, dict(params or {}), entropy, draws)
        for i in range(0, len(variants), per_task)
    ]
    parts = (runner or SerialRunner()).map(evaluate_variants, tasks, label=label)
    return np.concatenate(parts, axis=0)


# ---- what-if ---------------------------------------------------------------------------------


@dataclass
class WhatIf(Result):
    """Base and intervened forecasts of one or more models, side by side."""

    base: Scenario
    applied: Applied
    models: tuple[str, ...]
    base_forecasts: dict[str, np.ndarray]  # model -> (draws, K)
    new_forecasts: dict[str, np.ndarray]
    draws: int
    seed: int | None
    thresholds: tuple[Threshold, ...] = ()
    war_rows: list[dict[str, Any]] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """One row per model and issue: base and what-if (medians under Monte Carlo), change,
        90% intervals, and P(threshold) before and after; for the war model, P(talks within 12
        and 24 months) and the median terms, base policy vs the intervened one."""
        rows = []
        for m in self.models:
            if m == "war":
                rows.extend(self.war_rows)
                continue
            b, n = self.base_forecasts[m], self.new_forecasts[m]
            for k, issue in enumerate(self.base.issue_ids):
                row: dict[str, Any] = {
                    "model": m,
                    "issue": issue,
                    "base": float(np.median(b[:, k])),
                    "whatif": float(np.median(n[:, k])),
                }
                row["change"] = row["whatif"] - row["base"]
                if self.draws > 1:
                    qb = np.quantile(b[:, k], [0.05, 0.95]).tolist()
                    qn = np.quantile(n[:, k], [0.05, 0.95]).tolist()
                    row["base_p05"], row["base_p95"] = qb
                    row["whatif_p05"], row["whatif_p95"] = qn
                for t in self.thresholds:
                    if t.issue == issue:
                        row[f"P({t}) base"] = float(np.mean(t.test(b[:, k])))
                        row[f"P({t}) whatif"] = float(np.mean(t.test(n[:, k])))
                rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """Stable keys: interventions, policies, draws, seed, rows (as ``to_frame``)."""
        return {
            "interventions": [i.describe() for i in self.applied.interventions],
            "policies": [p.describe() for p in self.applied.policies],
            "draws": self.draws,
            "seed": self.seed,
            "rows": self.to_frame().to_dict(orient="records"),
        }


def whatif(
    scenario: Scenario,
    interventions: Sequence[InterventionLike] | None = None,
    *,
    models: Sequence[str] = ("compromise",),
    draws: int = 1,
    seed: int | None = 0,
    params: dict[str, dict[str, Any]] | None = None,
    thresholds: Sequence[str | Threshold] = (),
    runner: Runner | None = None,
) -> WhatIf:
    """Forecast ``scenario`` before and after ``interventions`` (default: the scenario file's
    ``interventions:`` list). With ``draws > 1`` both use the same seeded draws of the inputs the
    two share; an input the interventions add (a coalition's) has a stream of its own."""
    items = list(interventions) if interventions else list(scenario.interventions)
    if not items:
        raise DetenteError(
            'no interventions: give at least one (e.g. "shift USA.position.sanctions -20") '
            "or list them under 'interventions:' in the scenario"
        )
    if not isinstance(draws, int) or draws < 1:
        raise DetenteError(f"the number of draws must be a positive integer; got {draws!r}")
    from detente.analysis.budget import check_forecast

    check_forecast(scenario, list(models), params, draws, command="whatif", points=2)
    applied = apply_interventions(scenario, items)
    base_sc = scenario.model_copy(update={"interventions": []})
    ths = tuple(parse_threshold(t, scenario.issue_ids) for t in thresholds)
    entropy = resolve_seed(seed) if draws > 1 else 0
    from detente.analysis.montecarlo import monte_carlo

    base_f: dict[str, np.ndarray] = {}
    new_f: dict[str, np.ndarray] = {}
    war_rows: list[dict[str, Any]] = []
    for m in models:
        p = (params or {}).get(m, {})
        if m == "war":
            war_rows = _war_whatif(base_sc, applied, paths=max(draws, 2000), seed=entropy)
            continue
        if draws > 1:
            # Both with the same seed: every input the two share has the same draws (streams
            # are keyed by the input's name), so the change is the interventions', not noise.
            base_f[m] = monte_carlo(
                base_sc, m, draws, seed=entropy, params=p, runner=runner
            ).forecasts
            new_f[m] = monte_carlo(
                applied.scenario, m, draws, seed=entropy, params=p, runner=runner
            ).forecasts
        else:
            base_f[m] = get_model(m)(to_arrays(base_sc), **p).forecast
            new_f[m] = get_model(m)(to_arrays(applied.scenario), **p).forecast
    return WhatIf(
        base_sc,
        applied,
        tuple(models),
        base_f,
        new_f,
        draws,
        entropy if draws > 1 else None,
        ths,
        war_rows,
    )


def _war_whatif(
    base: Scenario, applied: Applied, *, paths: int, seed: int, months: int = 24
) -> list[dict[str, Any]]:
    # The war model under the status quo vs under the last ``policy`` intervention (its key=value
    # settings override the war parameters the mix refers to); both on the same parameter draws
    # and path seed (common random numbers), so the change is the policy's, not noise.
    from detente.war import run_war

    if base.war is None:
        raise DetenteError("the war model needs the scenario's war: section")
    chosen = applied.policies[-1] if applied.policies else None
    policy = (chosen.policy if chosen is not None else None) or "status-quo"
    from detente.scenario.war_schema import EVENT_KINDS

    settings = dict(chosen.params if chosen else {})
    # key=value: a kind of lever event (threat=2: twice the intensity of every threat in the
    # mix) or a war parameter the mix refers to (threat_size=0.5).
    levers = {k: float(v) for k, v in settings.items() if k in EVENT_KINDS}
    overrides = {k: float(v) for k, v in settings.items() if k not in EVENT_KINDS}
    # the same draws and random numbers for both (one war-run function, one seed rule)
    draws, per = max(paths // 50, 1), 50
    base_res = run_war(
        base, ["status-quo"], months=months, draws=draws, paths_per_draw=per, seed=seed
    )
    new_sc = applied.scenario if applied.scenario.war is not None else base
    new_res = run_war(
        new_sc,
        [policy],
        months=months,
        draws=draws,
        paths_per_draw=per,
        seed=seed,
        params=overrides or None,
        levers=levers or None,
    )

    def view(pp: Any) -> dict[str, float]:
        p = pp.p_end_by("settlement")  # P(settled by month t after the forecast point)
        # the middle of what each side would accept at the forecast point (valid paths)
        mid = np.where(pp.valid, 0.5 * (pp.paths.accept_A + pp.paths.accept_D), np.nan)
        return {
            "P(talks within 12 months)": float(p[11]),
            "P(talks within 24 months)": float(p[23]),
            "terms both would accept now (median midpoint)": (
                float(np.nanmedian(mid)) if np.isfinite(mid).any() else float("nan")
            ),
        }

    before = view(base_res.policies["status-quo"])
    after = view(new_res.policies[policy])
    rows = []
    for label, b in before.items():
        n = after[label]
        rows.append(
            {
                "model": "war",
                "issue": label,
                "base": b,
                "whatif": n,
                "change": n - b,
                "policy": policy,
            }
        )
    return rows


# ---- sweeps ----------------------------------------------------------------------------------

_LEVER = re.compile(r"^\s*(?:(set|shift|scale)\s+)?([^=\s]+)\s*=\s*([^=]+)$")


@dataclass(frozen=True)
class LeverAxis:
    """One swept lever: an operation on a target over a list of values."""

    op: str
    target: str
    values: tuple[float, ...]

    def intervention(self, value: float) -> InterventionSpec:
        return InterventionSpec(
            op=self.op,  # type: ignore[arg-type]  # parse_lever_axis checks it is set/shift/scale
            target=self.target,
            value=value,
            text=f"{self.op} {self.target} {value:g}",
        )


def parse_lever_axis(text: str) -> LeverAxis:
    """``"USA.position.sanctions=0:100:11"`` (set to 11 values from 0 to 100), ``"shift
    USA.position.sanctions=-20:20:5"``, or a list ``"set CHN.salience.sanctions=0.1,0.5,0.9"``."""
    m = _LEVER.match(text)
    if not m:
        raise DetenteError(
            f"lever {text!r}: write [set|shift|scale] TARGET=START:STOP:NUM or TARGET=V1,V2,..., "
            "e.g. USA.position.sanctions=0:100:11"
        )
    op, target, spec = m.group(1) or "set", m.group(2), m.group(3).strip()
    split_target(target)
    try:
        if ":" in spec:
            a, b, n = spec.split(":")
            num = int(n)
            if num < 1 or num > 10_000:
                raise DetenteError(f"lever {text!r}: NUM must be in [1, 10000]; got {num}")
            values = tuple(np.linspace(float(a), float(b), num).tolist())
        else:
            values = tuple(float(v) for v in spec.split(",") if v.strip())
    except ValueError:
        raise DetenteError(f"lever {text!r}: the values must be numbers") from None
    if not values or any(not math.isfinite(v) for v in values):
        raise DetenteError(f"lever {text!r}: give at least one finite value")
    return LeverAxis(op, target, values)


@dataclass
class Sweep(Result):
    """Forecasts over a grid of one or two levers."""

    axes: tuple[LeverAxis, ...]
    issue_ids: tuple[str, ...]
    model: str
    forecasts: np.ndarray  # (n1[, n2], draws, K)
    draws: int
    seed: int | None
    thresholds: tuple[Threshold, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per grid point and issue: lever values, median, 90% interval, P(thresholds)."""
        rows = []
        grid = list(np.ndindex(*[len(a.values) for a in self.axes]))
        for idx in grid:
            f = self.forecasts[idx]
            for k, issue in enumerate(self.issue_ids):
                row: dict[str, Any] = {
                    a.target: a.values[i] for a, i in zip(self.axes, idx, strict=True)
                }
                row["issue"] = issue
                row["median"] = float(np.median(f[:, k]))
                if self.draws > 1:
                    row["p05"], row["p95"] = np.quantile(f[:, k], [0.05, 0.95]).tolist()
                for t in self.thresholds:
                    if t.issue == issue:
                        row[f"P({t})"] = float(np.mean(t.test(f[:, k])))
                rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """Stable keys: model, draws, seed, levers [{op, target, values}], rows."""
        return {
            "model": self.model,
            "draws": self.draws,
            "seed": self.seed,
            "levers": [
                {"op": a.op, "target": a.target, "values": list(a.values)} for a in self.axes
            ],
            "rows": self.to_frame().to_dict(orient="records"),
        }

    def to_xarray(self) -> xr.Dataset:
        """forecast over (one dimension per lever, draw, issue), coordinates the lever values."""
        import xarray as xr

        dims = [a.target for a in self.axes]
        return xr.DataArray(
            self.forecasts,
            dims=[*dims, "draw", "issue"],
            coords={
                **{a.target: list(a.values) for a in self.axes},
                "issue": list(self.issue_ids),
            },
            name="forecast",
        ).to_dataset()

    def plot(self, ax: Any = None) -> Figure:
        """The median forecast of each issue against the first lever."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 4))
        ax = fig.subplots()
        a1 = self.axes[0]
        f = self.forecasts if len(self.axes) == 1 else self.forecasts[:, 0]
        for k, issue in enumerate(self.issue_ids):
            ax.plot(a1.values, np.median(f[:, :, k], axis=1), marker="o", label=issue)
        ax.set_xlabel(f"{a1.op} {a1.target}")
        ax.set_ylabel(f"{self.model} forecast (median)")
        ax.legend()
        return fig


def sweep(
    scenario: Scenario,
    axes: Sequence[LeverAxis | str],
    *,
    model: str = "compromise",
    draws: int = 1,
    seed: int | None = 0,
    params: dict[str, Any] | None = None,
    thresholds: Sequence[str | Threshold] = (),
    runner: Runner | None = None,
) -> Sweep:
    """Forecast over the grid of one or two levers (every combination), in one batch per chunk,
    with the same draws at every grid point."""
    levers = tuple(parse_lever_axis(a) if isinstance(a, str) else a for a in axes)
    if not 1 <= len(levers) <= 2:
        raise DetenteError(f"a sweep takes one or two levers; got {len(levers)}")
    ths = tuple(parse_threshold(t, scenario.issue_ids) for t in thresholds)
    base = scenario.model_copy(update={"interventions": []})
    shape = tuple(len(a.values) for a in levers)
    from detente.analysis.budget import check_forecast

    check_forecast(
        scenario,
        [model],
        {model: params or {}},
        draws if draws > 1 else None,
        command="sweep",
        points=math.prod(shape),
    )
    variants = [
        apply_interventions(
            base, [a.intervention(a.values[i]) for a, i in zip(levers, idx, strict=True)]
        ).scenario
        for idx in np.ndindex(*shape)
    ]
    entropy = resolve_seed(seed) if draws > 1 else 0
    f = forecast_variants(
        variants,
        base,
        model,
        draws=draws,
        seed=entropy,
        params=params,
        runner=runner,
        label=f"sweep: {len(variants)} points",
    )
    return Sweep(
        levers,
        scenario.issue_ids,
        model,
        f.reshape(*shape, f.shape[1], f.shape[2]),
        f.shape[1],
        entropy if draws > 1 else None,
        ths,
    )


# ---- the smallest lever ----------------------------------------------------------------------


@dataclass
class LeverCandidate:
    """One way an actor can move itself: a shift of one of its inputs, in one direction."""

    target: str
    kind: str  # position, salience, capability
    direction: int  # +1 or -1
    max_delta: float  # the largest change possible in that direction (>= 0)
    unit_cost: float  # normalised cost of a change of 1 in the input's own units

    def intervention(self, delta: float) -> InterventionSpec:
        d = self.direction * delta
        return InterventionSpec(
            op="shift", target=self.target, value=d, text=f"shift {self.target} {d:+g}"
        )


@dataclass
class LeverResult(Result):
    """The smallest lever found (None when no candidate reaches the target), and every
    candidate's best change."""

    actor: str
    target: Threshold
    probability: float
    model: str
    draws: int
    seed: int | None
    base_probability: float
    best: dict[str, Any] | None
    candidates: list[dict[str, Any]] = field(default_factory=list)
    variants: int = 0  # scenario variants evaluated (each on ``draws`` draws)

    def to_frame(self) -> pd.DataFrame:
        """One row per candidate lever (the best first)."""
        return pd.DataFrame(self.candidates)

    def to_dict(self) -> dict[str, Any]:
        """Stable keys: actor, target, probability, model, draws, seed, base_probability, best,
        candidates, variants."""
        return {
            "actor": self.actor,
            "target": str(self.target),
            "probability": self.probability,
            "model": self.model,
            "draws": self.draws,
            "seed": self.seed,
            "base_probability": self.base_probability,
            "best": self.best,
            "candidates": self.candidates,
            "variants": self.variants,
        }


def lever_candidates(scenario: Scenario, actor_id: str) -> list[LeverCandidate]:
    """Every shift the actor can make to its own position, salience or capability."""
    try:
        actor = scenario.actor(actor_id)
    except KeyError:
        raise DetenteError(
            f"no actor {actor_id!r}; the actors are: {', '.join(scenario.actor_ids)}"
        ) from None
    total_cap = sum(a.capability.value for a in scenario.actors) or 1.0
    out = []
    for issue in scenario.issues:
        s = issue.scale
        width = s.high - s.low
        v = actor.positions[issue.id].value
        for d, room in ((-1, v - s.low), (1, s.high - v)):
            out.append(
                LeverCandidate(f"{actor_id}.position.{issue.id}", "position", d, room, 1.0 / width)
            )
    for issue in scenario.issues:
        v = actor.saliences[issue.id].value
        for d, room in ((-1, v), (1, 1.0 - v)):
            out.append(LeverCandidate(f"{actor_id}.salience.{issue.id}", "salience", d, room, 1.0))
    v = actor.capability.value
    # Upward, up to ten times everyone else's capability: beyond that nothing changes any more.
    for d, room in ((-1, v), (1, 10.0 * total_cap)):
        out.append(LeverCandidate(f"{actor_id}.capability", "capability", d, room, 1.0 / total_cap))
    return [c for c in out if c.max_delta > 0]


def smallest_lever(
    scenario: Scenario,
    actor: str,
    target: str | Threshold,
    *,
    model: str = "compromise",
    probability: float = 0.5,
    draws: int = 1000,
    seed: int | None = 0,
    params: dict[str, Any] | None = None,
    grid: int = 21,
    refinements: int = 3,
    runner: Runner | None = None,
) -> LeverResult:
    """The smallest change ``actor`` can make to its own inputs so that P(``model``'s forecast
    meets ``target``) >= ``probability`` under Monte Carlo with ``draws`` draws.

    Every candidate (its position, salience on each issue, or capability, up or down) is
    evaluated on ``grid`` evenly spaced changes from 0 to its largest possible change; the first
    grid point reaching the probability is refined ``refinements`` times on a grid of the same
    size within the cell before it, so the change found is at most (range / (grid - 1)^(1 +
    refinements)) above the smallest one (for a probability that rises with the change; the
    search takes the first crossing along each direction). Reported: the change in the input's
    units, its normalised cost, and the probability reached. A known answer: on a two-actor
    median where actor B (more weight) sits at 80, the smallest change B can make to reach
    ``issue <= 40`` is to shift its position by -40.
    """
    th = parse_threshold(target, scenario.issue_ids)
    if not 0.0 < probability <= 1.0:
        raise DetenteError(f"the target probability must be in (0, 1]; got {probability:g}")
    if grid < 3:
        raise DetenteError(f"the search grid needs at least 3 points; got {grid}")
    base = scenario.model_copy(update={"interventions": []})
    cands = lever_candidates(base, actor)
    k = base.issue_ids.index(th.issue)
    entropy = resolve_seed(seed)
    n_draws = draws if param_table(base).names else 1

    def prob(f: np.ndarray) -> np.ndarray:  # (V, draws, K) -> (V,)
        return th.test(f[:, :, k]).mean(axis=1)

    base_p = float(
        prob(
            forecast_variants(
                [base], base, model, draws=n_draws, seed=entropy, params=params, runner=runner
            )
        )[0]
    )
    lo = np.zeros(len(cands))
    hi = np.array([c.max_delta for c in cands])
    found = np.full(len(cands), np.nan)
    found_p = np.full(len(cands), np.nan)
    steps = np.linspace(0.0, 1.0, grid)
    active = np.ones(len(cands), dtype=bool)
    n_variants = 1
    if base_p >= probability:
        active[:] = False
    for _ in range(1 + refinements):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        deltas = lo[idx, None] + steps[None, :] * (hi[idx] - lo[idx])[:, None]  # (C, G)
        variants = [
            apply_interventions(base, [cands[c].intervention(float(d))]).scenario
            for c, row in zip(idx, deltas, strict=True)
            for d in row
        ]
        n_variants += len(variants)
        f = forecast_variants(
            variants,
            base,
            model,
            draws=n_draws,
            seed=entropy,
            params=params,
            runner=runner,
            label=f"lever search: {len(variants)} variants",
        )
        p = prob(f).reshape(idx.size, grid)
        for j, c in enumerate(idx):
            ok = np.flatnonzero(p[j] >= probability)
            if ok.size == 0:
                active[c] = False  # never reached on this candidate's whole range (this cell)
                continue
            g = int(ok[0])
            found[c], found_p[c] = deltas[j, g], p[j, g]
            if g == 0:
                active[c] = False  # reached at the cell's lower end: nothing smaller here
                continue
            lo[c], hi[c] = deltas[j, g - 1], deltas[j, g]
    rows = []
    for ci, cand in enumerate(cands):
        if np.isnan(found[ci]):
            continue
        delta = cand.direction * float(found[ci])
        rows.append(
            {
                "intervention": f"shift {cand.target} {delta:+.6g}",
                "target": cand.target,
                "kind": cand.kind,
                "change": delta,
                "cost": abs(delta) * cand.unit_cost,
                "probability": float(found_p[ci]),
            }
        )
    rows.sort(key=lambda r: float(r["cost"]))  # type: ignore[arg-type]
    if base_p >= probability:
        rows = [
            {
                "intervention": "none needed",
                "target": None,
                "kind": None,
                "change": 0.0,
                "cost": 0.0,
                "probability": base_p,
            }
        ]
    return LeverResult(
        actor,
        th,
        probability,
        model,
        n_draws,
        entropy if n_draws > 1 else None,
        base_p,
        rows[0] if rows else None,
        rows,
        n_variants,
    )
