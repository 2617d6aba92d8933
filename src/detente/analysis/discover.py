"""Scenario discovery: the boxes of input space where a target outcome happens.

Monte Carlo draws the scenario's stated uncertainties; each draw's outcome says whether the target
holds (e.g. ``p_talks_12>=0.5``: talks start within 12 months in at least half of the war model's
paths under those inputs; or ``forecast.compromise.territory<=40``). Two methods then describe
where it holds, as in the scenario-discovery practice of Bryant & Lempert (2010, *Technological
Forecasting and Social Change* 77:34-49) and the EMA Workbench (Kwakkel 2017):

* PRIM, the Patient Rule Induction Method (Friedman & Fisher 1999, *Statistics and Computing*
  9:123-143), implemented here: starting from the whole sample, *peeling* repeatedly removes the
  ``alpha`` share of the box's points at the low or high end of one input, choosing the peel that
  leaves the highest density (share of the box's points where the target holds), until the box
  holds less than ``mass_min`` of the sample. Each step is a point of the *peeling trajectory*
  (coverage: share of all target points inside the box; density). A box is chosen on it (the
  largest coverage among boxes whose density reaches ``density``; else the densest), then
  *pasted*: widened along one input at a time by ``alpha`` of its points while that raises the
  density; last, limits that peeling set on noise are freed while their quasi-p-value (the
  binomial test of the EMA Workbench) exceeds ``p_max``. *Covering*: the points of the box are
  removed and the search repeats, up to ``boxes`` boxes, while a box is denser than the whole
  sample.
* CART (Breiman et al. 1984) beside it: scikit-learn's decision tree, whose leaves that predict
  the target are boxes too.

The inputs that bound a box are those whose limits cut into the range of the sampled values.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from detente.results import Result
from detente.scenario.errors import DetenteError

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from detente.scenario.schema import Scenario


@dataclass
class Box:
    """A box of input space: limits on the inputs it restricts, and how well it finds the
    target (coverage = share of all target draws inside; density = share of its draws that
    meet the target; mass = share of all draws inside)."""

    limits: dict[str, tuple[float, float]]
    coverage: float
    density: float
    mass: float
    n: int
    method: str = "prim"

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "coverage": self.coverage,
            "density": self.density,
            "mass": self.mass,
            "draws": self.n,
            "bounds": {
                k: {
                    "low": lo if math.isfinite(lo) else None,
                    "high": hi if math.isfinite(hi) else None,
                }
                for k, (lo, hi) in self.limits.items()
            },
        }

    def describe(self) -> str:
        """E.g. ``x1 >= 0.601 and x3 <= 0.3128``."""
        parts = []
        for k, (lo, hi) in self.limits.items():
            if math.isfinite(lo) and math.isfinite(hi):
                parts.append(f"{lo:.4g} <= {k} <= {hi:.4g}")
            elif math.isfinite(lo):
                parts.append(f"{k} >= {lo:.4g}")
            else:
                parts.append(f"{k} <= {hi:.4g}")
        return " and ".join(parts) if parts else "(everywhere)"


@dataclass
class PeelStep:
    """One point of a peeling trajectory."""

    coverage: float
    density: float
    mass: float
    restricted: int


def _inside(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return np.all((x >= lo) & (x <= hi), axis=1)


def _box_limits(
    lo: np.ndarray, hi: np.ndarray, xmin: np.ndarray, xmax: np.ndarray, names: tuple[str, ...]
) -> dict[str, tuple[float, float]]:
    # Only the sides that cut into the sampled range; a free side is -inf / inf.
    return {
        names[j]: (
            float(lo[j]) if lo[j] > xmin[j] else -math.inf,
            float(hi[j]) if hi[j] < xmax[j] else math.inf,
        )
        for j in range(len(names))
        if lo[j] > xmin[j] or hi[j] < xmax[j]
    }


def _peel(
    x: np.ndarray, y: np.ndarray, alpha: float, mass_min: float, n_total: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The peeling trajectory as a list of boxes (lo, hi), starting with the whole sample."""
    d = x.shape[1]
    lo, hi = x.min(axis=0).astype(float), x.max(axis=0).astype(float)
    boxes = [(lo.copy(), hi.copy())]
    inside = np.ones(len(y), dtype=bool)
    while True:
        xi, yi = x[inside], y[inside]
        n_in = len(yi)
        k = max(1, math.ceil(alpha * n_in))
        if (n_in - k) < mass_min * n_total or n_in <= 1:
            break
        best: tuple[float, int, int, int, float] | None = None  # (mean, -removed, j, side, cut)
        for j in range(d):
            col = xi[:, j]
            srt = np.sort(col)
            # Low peel: drop the k smallest (all values <= the k-th smallest, ties together).
            cut = srt[k - 1]
            keep = col > cut
            if 0 < keep.sum() < n_in:
                cand = (float(yi[keep].mean()), -int(n_in - keep.sum()), j, 0, float(cut))
                best = cand if best is None or cand[:2] > best[:2] else best
            cut = srt[n_in - k]
            keep = col < cut
            if 0 < keep.sum() < n_in:
                cand = (float(yi[keep].mean()), -int(n_in - keep.sum()), j, 1, float(cut))
                best = cand if best is None or cand[:2] > best[:2] else best
        if best is None:
            break
        _, _, j, side, cut = best
        col = x[:, j]
        keep = (col > cut) if side == 0 else (col < cut)
        new_inside = inside & keep
        if new_inside.sum() < mass_min * n_total:
            break
        inside = new_inside
        if side == 0:
            lo[j] = x[inside, j].min()
        else:
            hi[j] = x[inside, j].max()
        boxes.append((lo.copy(), hi.copy()))
    return boxes


def _paste(
    x: np.ndarray, y: np.ndarray, lo: np.ndarray, hi: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """Widen the box along one input at a time while that raises its density."""
    lo, hi = lo.copy(), hi.copy()
    while True:
        inside = _inside(x, lo, hi)
        n_in = int(inside.sum())
        if n_in == 0:
            break
        base = float(y[inside].mean())
        k = max(1, math.ceil(alpha * n_in))
        best: tuple[float, int, int, float] | None = None
        for j in range(x.shape[1]):
            others = np.ones(len(y), dtype=bool)
            for i in range(x.shape[1]):
                if i != j:
                    others &= (x[:, i] >= lo[i]) & (x[:, i] <= hi[i])
            col = x[:, j]
            below = np.sort(col[others & (col < lo[j])])
            if below.size:
                new = below[max(0, below.size - k)]
                add = others & (col >= new) & (col <= hi[j])
                best = _better(best, float(y[add].mean()), j, 0, float(new))
            above = np.sort(col[others & (col > hi[j])])
            if above.size:
                new = above[min(above.size - 1, k - 1)]
                add = others & (col <= new) & (col >= lo[j])
                best = _better(best, float(y[add].mean()), j, 1, float(new))
        if best is None or best[0] <= base:
            break
        _, j, side, new = best
        if side == 0:
            lo[j] = new
        else:
            hi[j] = new
    return lo, hi


def quasi_p(
    x: np.ndarray,
    y: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    j: int,
    xmin: np.ndarray,
    xmax: np.ndarray,
) -> float:
    """How likely the box's density would be as high without its limit on input ``j``: the
    binomial tail P(K >= k) of the box's k target draws among its n, at the density of the box
    with input ``j`` left free (the quasi-p-value of the EMA Workbench's PRIM; Bryant & Lempert
    2010)."""
    from scipy.stats import binom

    lo2, hi2 = lo.copy(), hi.copy()
    lo2[j], hi2[j] = xmin[j], xmax[j]
    wide = _inside(x, lo2, hi2)
    ins = _inside(x, lo, hi)
    n, k = int(ins.sum()), int(y[ins].sum())
    p0 = float(y[wide].mean()) if wide.any() else 0.0
    return float(binom.sf(k - 1, n, p0)) if n else 1.0


def _prune(
    x: np.ndarray,
    y: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    xmin: np.ndarray,
    xmax: np.ndarray,
    p_max: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Free, one at a time, the limit with the largest quasi-p-value while it exceeds ``p_max``:
    limits that peeling set on noise (Friedman & Fisher 1999, sec. 6, box simplification)."""
    lo, hi = lo.copy(), hi.copy()
    while True:
        bound = [j for j in range(x.shape[1]) if lo[j] > xmin[j] or hi[j] < xmax[j]]
        if not bound:
            break
        ps = [quasi_p(x, y, lo, hi, j, xmin, xmax) for j in bound]
        worst = int(np.argmax(ps))
        if ps[worst] <= p_max:
            break
        j = bound[worst]
        lo[j], hi[j] = xmin[j], xmax[j]
    return lo, hi


def _better(
    best: tuple[float, int, int, float] | None, mean: float, j: int, side: int, new: float
) -> tuple[float, int, int, float]:
    return (mean, j, side, new) if best is None or mean > best[0] else best


def prim(
    x: np.ndarray,
    y: np.ndarray,
    names: tuple[str, ...] | list[str],
    *,
    alpha: float = 0.05,
    mass_min: float = 0.05,
    density: float | None = None,
    boxes: int = 3,
    paste: bool = True,
    p_max: float | None = 0.05,
) -> tuple[list[Box], list[PeelStep]]:
    """PRIM boxes (with covering) and the first box's peeling trajectory.

    ``x`` (n, d) inputs, ``y`` (n,) 0/1 outcomes. See the module docstring for the rules.
    ``density``: the density a chosen box must reach (default: 0.8, or halfway from the base
    rate to 1 when the base rate is above 0.6). ``p_max``: after pasting, limits whose
    quasi-p-value exceeds it are freed (None keeps every limit).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    names = tuple(names)
    if x.ndim != 2 or x.shape[0] != y.shape[0] or x.shape[1] != len(names):
        raise DetenteError("prim: x must be (draws, inputs) with one name per input")
    if not 0 < alpha < 0.5 or not 0 < mass_min < 1:
        raise DetenteError("prim: alpha must lie in (0, 0.5) and mass_min in (0, 1)")
    n = len(y)
    total_pos = float(y.sum())
    xmin, xmax = x.min(axis=0), x.max(axis=0)
    out: list[Box] = []
    trajectory: list[PeelStep] = []
    remaining = np.ones(n, dtype=bool)
    overall = float(y.mean()) if n else 0.0
    if density is None:
        density = max(0.8, (1.0 + overall) / 2.0)
    for b in range(boxes):
        xr, yr = x[remaining], y[remaining]
        if yr.sum() == 0 or len(yr) < 2:
            break
        peeled = _peel(xr, yr, alpha, mass_min, n)
        steps = []
        for lo, hi in peeled:
            ins = _inside(xr, lo, hi)
            steps.append(
                PeelStep(
                    float(yr[ins].sum() / total_pos),
                    float(yr[ins].mean()),
                    float(ins.sum() / n),
                    len(_box_limits(lo, hi, xmin, xmax, names)),
                )
            )
        if b == 0:
            trajectory = steps
        ok = [i for i, s in enumerate(steps) if s.density >= density]
        pick = (
            max(ok, key=lambda i: (steps[i].coverage, steps[i].density))
            if ok
            else max(range(len(steps)), key=lambda i: (steps[i].density, steps[i].coverage))
        )
        lo, hi = peeled[pick]
        if paste:
            lo, hi = _paste(xr, yr, lo, hi, alpha)
        if p_max is not None:
            lo, hi = _prune(xr, yr, lo, hi, xmin, xmax, p_max)
        ins = _inside(xr, lo, hi)
        dens = float(yr[ins].mean()) if ins.any() else 0.0
        if dens <= overall or pick == 0 or not _box_limits(lo, hi, xmin, xmax, names):
            break
        out.append(
            Box(
                _box_limits(lo, hi, xmin, xmax, names),
                float(yr[ins].sum() / total_pos),
                dens,
                float(ins.sum() / n),
                int(ins.sum()),
            )
        )
        idx = np.flatnonzero(remaining)
        remaining[idx[ins]] = False
    return out, trajectory


def cart(
    x: np.ndarray,
    y: np.ndarray,
    names: tuple[str, ...] | list[str],
    *,
    max_depth: int = 3,
    min_leaf: float = 0.05,
    seed: int = 0,
) -> list[Box]:
    """The leaves of a CART tree (scikit-learn) that predict the target, as boxes, densest
    first."""
    from sklearn.tree import DecisionTreeClassifier

    x = np.asarray(x, dtype=float)
    y = np.asarray(y).astype(int)
    names = tuple(names)
    n = len(y)
    if n == 0 or y.min() == y.max():
        return []
    tree = DecisionTreeClassifier(
        max_depth=max_depth, min_samples_leaf=max(2, int(min_leaf * n)), random_state=seed
    ).fit(x, y)
    t = tree.tree_
    xmin, xmax = x.min(axis=0), x.max(axis=0)
    total_pos = float(y.sum())
    out: list[Box] = []

    def walk(node: int, lo: np.ndarray, hi: np.ndarray) -> None:
        left, right = t.children_left[node], t.children_right[node]
        if left == -1:
            ins = _inside(x, lo, hi)
            if ins.any() and y[ins].mean() > 0.5:
                out.append(
                    Box(
                        _box_limits(lo, hi, xmin, xmax, names),
                        float(y[ins].sum() / total_pos),
                        float(y[ins].mean()),
                        float(ins.sum() / n),
                        int(ins.sum()),
                        "cart",
                    )
                )
            return
        j, thr = t.feature[node], t.threshold[node]
        hi_l = hi.copy()
        # x <= thr goes left; the box's upper limit is the largest sampled value below it.
        below = x[(x[:, j] <= thr) & _inside(x, lo, hi), j]
        hi_l[j] = below.max() if below.size else thr
        walk(left, lo, hi_l)
        lo_r = lo.copy()
        above = x[(x[:, j] > thr) & _inside(x, lo, hi), j]
        lo_r[j] = above.min() if above.size else thr
        walk(right, lo_r, hi)

    walk(0, xmin.astype(float).copy(), xmax.astype(float).copy())
    return sorted(out, key=lambda b: -b.density)


# ---- targets and the models behind them --------------------------------------------------------

_WAR = re.compile(r"^\s*p_talks_(\d+)\s*(<=|>=|<|>)\s*([-+0-9.eE]+)\s*$")
_FORECAST = re.compile(r"^\s*forecast\.([A-Za-z0-9_\-]+)\.(.+)$")


@dataclass(frozen=True)
class Target:
    """What a draw must reach: the war model's P(talks within ``months``) or a bargaining model's
    forecast of one issue, compared with a value."""

    text: str
    kind: str  # "war" or "forecast"
    op: str
    value: float
    months: int = 0
    model: str | None = None
    issue: str | None = None

    def test(self, v: np.ndarray) -> np.ndarray:
        ops = {"<=": np.less_equal, "<": np.less, ">=": np.greater_equal, ">": np.greater}
        return ops[self.op](v, self.value)


def parse_target(text: str, scenario: Scenario, model: str | None = None) -> Target:
    """``p_talks_12>=0.5`` (war model), ``forecast.MODEL.ISSUE<=40`` or ``ISSUE<=40`` (with
    ``model``, default compromise)."""
    from detente.analysis.montecarlo import parse_threshold

    m = _WAR.match(text)
    if m:
        months = int(m.group(1))
        if not 1 <= months <= 600:
            raise DetenteError(f"--target {text!r}: the months of p_talks_T must be 1 to 600")
        try:
            value = float(m.group(3))
        except ValueError:
            raise DetenteError(f"--target {text!r}: {m.group(3)!r} is not a number") from None
        if scenario.war is None:
            raise DetenteError(
                f"--target {text!r}: the scenario has no war: section for the war model"
            )
        return Target(text, "war", m.group(2), value, months=months)
    m = _FORECAST.match(text)
    if m:
        model, rest = m.group(1), m.group(2)
    else:
        rest = text
    from detente.bargaining.registry import get_model

    model = model or "compromise"
    get_model(model)  # an unknown model is a clear error
    th = parse_threshold(rest, scenario.issue_ids)
    return Target(text, "forecast", th.op, th.value, model=model, issue=th.issue)


def war_outcomes(
    scenario: Scenario,
    draws: int,
    *,
    months: int,
    paths: int,
    seed: int,
    policy: str | None = None,
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray, float]:
    """The war adapter: ``draws`` draws of the war parameters (conditioned on the war going on
    at the start, as ``detente war``), and per draw P(talks within ``months``) from ``paths``
    paths. Returns (names, values (draws, P), P(talks) (draws,), acceptance share).

    The only place discovery touches the war model; re-point it when the war API changes.
    """
    from detente.war import simulate
    from detente.war.params import draw_at_war

    drawn, accepted = draw_at_war(scenario.war, draws, np.random.SeedSequence([seed, 1]))
    names = tuple(drawn)
    if not names:
        raise DetenteError(
            "the scenario's war parameters state no uncertainty (no sd or low/high): there is "
            "no input space to search"
        )
    x = np.column_stack([drawn[k] for k in names])
    rows_per_chunk = max(1, 262_144 // max(paths, 1))
    p = np.empty(draws)
    for a in range(0, draws, rows_per_chunk):
        b = min(a + rows_per_chunk, draws)
        params: dict[str, float | np.ndarray] = {
            k: np.repeat(v[a:b], paths) for k, v in drawn.items()
        }
        res = simulate(
            scenario,
            policy or "status-quo",
            months=months,
            paths=(b - a) * paths,
            seed=np.random.SeedSequence(seed, spawn_key=(a,)),
            params=params,
        )
        talks = res.talks_month.reshape(b - a, paths)
        p[a:b] = ((talks > 0) & (talks <= months)).mean(axis=1)
    return names, x, p, accepted


def forecast_outcomes(
    scenario: Scenario, draws: int, *, model: str, issue: str, seed: int
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Monte Carlo over the bargaining inputs (with their correlations): (names, values,
    the model's forecast of ``issue`` per draw)."""
    from detente.analysis.montecarlo import EvalTask, chunk_ranges, chunk_size, evaluate
    from detente.analysis.uncertainty import base_input, draw_values, param_table

    table = param_table(scenario)
    if not table.names:
        raise DetenteError(
            "the scenario states no uncertainty (no sd or low/high): no input space to search"
        )
    base = base_input(scenario)
    k = scenario.issue_ids.index(issue)
    size = chunk_size(model, len(scenario.actors), len(scenario.issues))
    parts = [
        evaluate(EvalTask(base, table, model, {}, seed, a, b))[:, k]
        for a, b in chunk_ranges(draws, size)
    ]
    return table.names, draw_values(table, seed, 0, draws), np.concatenate(parts)


@dataclass
class DiscoveryResult(Result):
    """PRIM and CART boxes where the target holds, with the peeling trajectory."""

    target: str
    draws: int
    seed: int
    inputs: tuple[str, ...]
    base_rate: float
    boxes: list[Box]
    cart_boxes: list[Box]
    trajectory: list[PeelStep]
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "draws": self.draws,
            "seed": self.seed,
            "inputs": list(self.inputs),
            "base_rate": self.base_rate,
            "settings": self.settings,
            "prim": [b.to_dict() for b in self.boxes],
            "cart": [b.to_dict() for b in self.cart_boxes],
            "trajectory": [
                {
                    "coverage": s.coverage,
                    "density": s.density,
                    "mass": s.mass,
                    "restricted": s.restricted,
                }
                for s in self.trajectory
            ],
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per box and bounding input."""
        import pandas as pd

        rows = []
        for method, boxes in (("prim", self.boxes), ("cart", self.cart_boxes)):
            for i, b in enumerate(boxes, start=1):
                for name, (lo, hi) in b.limits.items() or {"": (np.nan, np.nan)}.items():
                    rows.append(
                        {
                            "method": method,
                            "box": i,
                            "coverage": b.coverage,
                            "density": b.density,
                            "mass": b.mass,
                            "input": name,
                            "low": lo,
                            "high": hi,
                        }
                    )
        return pd.DataFrame(rows)

    def plot(self, ax: Any = None) -> Figure:
        """The peeling trajectory: density against coverage, coloured by the number of inputs
        that bound the box; the chosen first box circled."""
        if ax is None:
            import matplotlib

            matplotlib.use("Agg", force=False)
            import matplotlib.pyplot as plt

            fig, ax = plt.subplots(figsize=(6, 4.5))
        else:
            fig = ax.figure
        cov = [s.coverage for s in self.trajectory]
        den = [s.density for s in self.trajectory]
        res = [s.restricted for s in self.trajectory]
        ax.plot(cov, den, color="grey", lw=0.8)
        sc = ax.scatter(cov, den, c=res, cmap="viridis", s=18, zorder=3)
        fig.colorbar(sc, ax=ax, label="inputs bounding the box")
        if self.boxes:
            b = self.boxes[0]
            ax.scatter(
                [b.coverage],
                [b.density],
                s=120,
                facecolors="none",
                edgecolors="red",
                zorder=4,
                label="box 1 (pasted, pruned)",
            )
            ax.legend(loc="lower left")
        ax.axhline(self.base_rate, color="C1", lw=0.8, ls="--")
        ax.set_xlabel("coverage")
        ax.set_ylabel("density")
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        ax.set_title(f"PRIM peeling trajectory: {self.target}")
        return fig


def discover(
    scenario: Scenario,
    target: str,
    *,
    draws: int = 1_000,
    seed: int | None = 0,
    model: str | None = None,
    paths: int = 64,
    policy: str | None = None,
    alpha: float = 0.05,
    mass_min: float = 0.05,
    density: float | None = None,
    boxes: int = 3,
    p_max: float | None = 0.05,
) -> DiscoveryResult:
    """Draw the scenario's uncertain inputs ``draws`` times, evaluate ``target`` per draw and find
    the boxes where it holds (PRIM with covering, and CART beside it)."""
    from detente.analysis.uncertainty import resolve_seed

    if not isinstance(draws, int) or not 20 <= draws <= 200_000:
        raise DetenteError(f"--draws must be an integer from 20 to 200000, not {draws!r}")
    if not 1 <= paths <= 100_000:
        raise DetenteError(f"--paths must be from 1 to 100000, not {paths}")
    entropy = resolve_seed(seed)
    tgt = parse_target(target, scenario, model)
    settings: dict[str, Any] = {
        "alpha": alpha,
        "mass_min": mass_min,
        "density": density,
        "p_max": p_max,
    }
    if tgt.kind == "war":
        names, x, v, accepted = war_outcomes(
            scenario, draws, months=tgt.months, paths=paths, seed=entropy, policy=policy
        )
        settings.update(
            model="war", policy=policy or "status-quo", paths=paths, draws_accepted=accepted
        )
    else:
        assert tgt.model is not None and tgt.issue is not None
        names, x, v = forecast_outcomes(
            scenario, draws, model=tgt.model, issue=tgt.issue, seed=entropy
        )
        settings.update(model=tgt.model, issue=tgt.issue)
    y = tgt.test(v).astype(float)
    found, trajectory = prim(
        x, y, names, alpha=alpha, mass_min=mass_min, density=density, boxes=boxes, p_max=p_max
    )
    return DiscoveryResult(
        target=target,
        draws=draws,
        seed=entropy,
        inputs=names,
        base_rate=float(y.mean()),
        boxes=found,
        cart_boxes=cart(x, y, names, seed=entropy % (2**32)),
        trajectory=trajectory,
        settings=settings,
    )
