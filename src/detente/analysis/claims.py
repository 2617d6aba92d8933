"""The article's seven claims, each tested against a counterfactual that changes one thing.

A claim is checked per parameter draw (the calibrated structural draws and the scenario's
uncertain inputs): the two mixes it compares are simulated on the same draw with the same random
numbers (common random numbers), and the claim holds in that draw if the metric moves the way the
claim says. The result is the share of draws in which it holds, with a 95% Wilson interval.
Mixes differ in exactly one thing (one kind of lever event added, or one attribute of the same
events); :func:`mix_difference` states it and tests/war/test_war_claims.py checks it.

The seven claims (ids as in the scenario's ``claims:`` section):

- ``appeasement``: concessions (both channels: evidence of low resolve, lower stakes) do not
  bring settlement sooner: status-quo vs status-quo + concessions.
- ``credible-pressure``: threats that are carried out bring settlement sooner: status-quo vs
  status-quo + threats enforced with P = enforce_strong (no aid added).
- ``empty-threats``: the same threats carried out rarely (enforce_weak) do less: pressure vs
  credible-pressure (only the enforcement probability differs).
- ``third-party-support``: third-party support keeps the attacker fighting: status-quo vs
  status-quo with that support removed (the war ends sooner without it).
- ``beliefs-converge``: the sides' disagreement about how the war will end is smaller when it
  ends (or at the horizon) than at the start, under private types (status-quo).
- ``not-fast``: the war ends, but not fast: P(end within 12 months) < 1/2 and P(end within 60)
  > 1/2 in the status quo; its mechanism, the commitment problem, is tested by a counterfactual
  in which the sides look only one month ahead (window = 1: no expected shift of power blocks a
  deal), reported beside it.
- ``uneven-costs``: the attacker bears less of the war's cost (prize units) than the defender:
  an output of capacities (the weaker side pays more per month) and of the war's course, not a
  typed-in weight.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from detente.results import Result
from detente.scenario.errors import DetenteError
from detente.scenario.war_schema import EventSpec, PolicySpec


class ClaimError(DetenteError):
    """A claim that cannot be checked."""


def _ev(kind: str, month: int, intensity: str | float, **kw: Any) -> EventSpec:
    from detente.scenario.estimate import Estimate

    value = Estimate(value=intensity) if isinstance(intensity, int | float) else intensity
    return EventSpec(kind=kind, month=month, intensity=value, **kw)  # type: ignore[arg-type]


THREATS = {"deadline": 1, "every": 2}
MIXES: dict[str, PolicySpec] = {
    "status-quo": PolicySpec(description="nothing new"),
    "concessions": PolicySpec(
        description="public concessions in months 1, 3 and 5",
        events=[_ev("concession", m, "concession_size") for m in (1, 3, 5)],
    ),
    "credible-pressure": PolicySpec(
        description="threats every 2 months, carried out with P = enforce_strong",
        events=[_ev("threat", 1, "threat_size", enforce="enforce_strong", **THREATS)],
    ),
    "pressure": PolicySpec(
        description="threats every 2 months, carried out with P = enforce_weak",
        events=[_ev("threat", 1, "threat_size", enforce="enforce_weak", **THREATS)],
    ),
    "no-support": PolicySpec(
        description="third parties' support of the attacker withdrawn in month 1",
        events=[_ev("purchases", 1, -1.0)],
    ),
}


@dataclass(frozen=True)
class ClaimTest:
    """How a claim is tested: ``metric`` per draw in mix ``a`` and counterfactual ``b`` (with
    ``b_params`` changed); holds where ``relation`` (a, b) is true."""

    a: str
    b: str | None
    metric: str
    relation: str  # "a>=b", "a<b", "a>b", "not-fast", "end<start", "A<D"
    reading: str
    b_params: tuple[tuple[str, float], ...] = ()


TESTS: dict[str, ClaimTest] = {
    "appeasement": ClaimTest(
        "concessions",
        "status-quo",
        "mean_settle",
        "a>=b",
        "months to settlement with concessions >= without (all else equal)",
    ),
    "credible-pressure": ClaimTest(
        "credible-pressure",
        "status-quo",
        "mean_settle",
        "a<b",
        "months to settlement with enforced threats < without",
    ),
    "empty-threats": ClaimTest(
        "credible-pressure",
        "pressure",
        "mean_settle",
        "a<b",
        "months to settlement when threats are carried out (enforce_strong) < when they are "
        "not (enforce_weak); nothing else differs",
    ),
    "third-party-support": ClaimTest(
        "no-support",
        "status-quo",
        "mean_end",
        "a<b",
        "months to the end of the war without third-party support < with it",
    ),
    "beliefs-converge": ClaimTest(
        "status-quo",
        None,
        "gap",
        "end<start",
        "|A's minus D's believed P(attacker wins)| at the end (or horizon) < in month 1",
    ),
    "not-fast": ClaimTest(
        "status-quo",
        "status-quo",
        "p_end",
        "not-fast",
        "P(end within 12 months) < 1/2 and P(end within 60 months) > 1/2; mechanism: months "
        "to settlement longer than with window = 1 (no power shift foreseen)",
        b_params=(("window", 1.0),),
    ),
    "uneven-costs": ClaimTest(
        "status-quo",
        None,
        "cost",
        "A<D",
        "attacker's cost (prize units, from capacities and fighting) < defender's",
    ),
}


def mix_difference(a: str, b: str) -> list[str]:
    """What differs between two claim mixes: one entry per differing event field or event kind
    (the claims' honesty check wants exactly one)."""
    ea, eb = MIXES[a].events, MIXES[b].events
    diffs: list[str] = []
    if len(ea) == len(eb):
        for x, y in zip(ea, eb, strict=True):
            dx, dy = x.model_dump(), y.model_dump()
            diffs += [f"{x.kind}.{k}" for k in dx if dx[k] != dy[k]]
        return sorted(set(diffs))
    kinds = {e.kind for e in ea} ^ {e.kind for e in eb}
    extra = ea if len(ea) > len(eb) else eb
    fewer = eb if extra is ea else ea
    if fewer:
        return sorted({f"+{e.kind}" for e in extra} | {f"-{e.kind}" for e in fewer})
    return sorted(f"+{k}" for k in kinds)


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a share k / n."""
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    den = 1 + z * z / n
    c = (p + z * z / (2 * n)) / den
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (max(min(c - h, p), 0.0), min(max(c + h, p), 1.0))


@dataclass
class ClaimResult(Result):
    """One claim: the share of draws in which it holds, with its interval."""

    id: str
    text: str
    test: str
    compared: list[str]
    difference: list[str]
    draws: int
    holds: int
    share: float | None
    low: float | None
    high: float | None
    values: dict[str, float] = field(default_factory=dict)
    note: str | None = None
    months: int | None = None  # the horizon simulated for this claim

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "months": self.months,
            "text": self.text,
            "test": self.test,
            "compared": self.compared,
            "difference": self.difference,
            "draws": self.draws,
            "holds": self.holds,
            "share": self.share,
            "low": self.low,
            "high": self.high,
            "values": self.values,
            "note": self.note,
        }

    def to_json(self) -> dict[str, Any]:  # type: ignore[override]
        """to_dict() plus the keys the report's claims table reads (statement, share_draws,
        values_default; holds_default is None: claims are judged over draws, not at one point)."""
        return {
            **self.to_dict(),
            "statement": self.test,
            "share_draws": self.share,
            "values_default": self.values,
            "holds_default": None,
        }

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([self.to_dict()])


ALWAYS_NOTES = {
    "beliefs-converge": "holds in every draw where learning is Bayesian: each side's posterior "
    "about the other's type concentrates as battles accumulate (tests/war/test_war_claims.py "
    "shows the posterior variance falls as 1/(1/tau^2 + n/sigma^2)); the share says in how many "
    "draws the war lasts long enough for it to show",
    "uneven-costs": "holds in every draw by a monotonicity argument: each side's monthly cost is "
    "proportional to the other's share of the total capability, and the attacker's capability is "
    "several times the defender's with aid; tests/war/test_war_claims.py shows it reverses when "
    "the capabilities are swapped",
}


def check_claims(
    sc: Any, draws: int = 100, paths: int = 1000, seed: int = 0, months: int | None = None
) -> list[ClaimResult]:
    """Check the scenario's claims (those with a test in :data:`TESTS`) over ``draws`` draws of
    ``paths`` paths each (see module doc). Horizon: ``months`` if given, else each claim's own
    ``months:`` in the scenario, else 60 months."""
    from detente.scenario.war_schema import WarSpec
    from detente.war import run_war

    if sc.war is None:
        raise ClaimError("the claims check needs the scenario's war: section")
    T = months or 60
    spec = sc.war
    mixes = {**spec.policies, **MIXES}
    tmp = WarSpec(
        attacker=spec.attacker, defender=spec.defender, parameters=spec.parameters, policies=mixes
    )
    claims = list(sc.claims or [])

    def horizon(c: Any) -> int:
        # a claim's own ``months`` (its horizon in the scenario) wins over the run's default
        return int(c.months) if getattr(c, "months", None) and months is None else T

    runs: dict[int, Any] = {}
    for h in sorted({horizon(c) for c in claims} or {T}):
        group = [c for c in claims if horizon(c) == h]
        needed = sorted(
            {t.a for c in group if (t := TESTS.get(c.id))}
            | {t.b for c in group if (t := TESTS.get(c.id)) and t.b and not t.b_params}
        )
        runs[h] = run_war(
            tmp, needed or ["status-quo"], months=h, draws=draws, paths_per_draw=paths, seed=seed
        )
    out: list[ClaimResult] = []
    for c in claims:
        T = horizon(c)
        run = runs[T]
        t = TESTS.get(c.id)
        if t is None:
            out.append(
                ClaimResult(
                    c.id,
                    c.text,
                    "no test defined for this claim id",
                    [],
                    [],
                    0,
                    0,
                    None,
                    None,
                    None,
                )
            )
            continue
        A = run.policies[t.a]
        vals: dict[str, float] = {}
        if t.relation in ("a>=b", "a<b"):
            assert t.b is not None
            a = A.per_draw(t.metric)
            b = run.policies[t.b].per_draw(t.metric)
            ok = np.isfinite(a) & np.isfinite(b)
            hold = (a >= b - 1e-9) if t.relation == "a>=b" else (a < b - 1e-9)
            tied = np.abs(a - b) < 1e-9
            vals = {
                f"{t.metric}({t.a})": float(np.nanmean(a)),
                f"{t.metric}({t.b})": float(np.nanmean(b)),
                # draws where the one change made no difference at all (e.g. no path settles
                # under either mix): a claim "a >= b" holds there without evidence for it
                "share_of_draws_tied": float(np.mean(tied[ok])) if ok.any() else math.nan,
            }
            compared, diff = [t.a, t.b], mix_difference(t.a, t.b)
        elif t.relation == "end<start":
            s, e = A.per_draw("gap_start"), A.per_draw("gap_end")
            ok = np.isfinite(s) & np.isfinite(e)
            hold = e < s
            vals = {"gap_start": float(np.nanmean(s)), "gap_end": float(np.nanmean(e))}
            compared, diff = [t.a], []
        elif t.relation == "A<D":
            ca, cd = A.per_draw("cost_A"), A.per_draw("cost_D")
            ok = np.isfinite(ca) & np.isfinite(cd)
            hold = ca < cd
            vals = {"cost_A": float(np.nanmean(ca)), "cost_D": float(np.nanmean(cd))}
            compared, diff = [t.a], []
        else:  # not-fast, with its mechanism counterfactual
            p12, p60 = A.per_draw("p_end_12"), A.per_draw("p_end_60")
            ok = np.isfinite(p12) & np.isfinite(p60)
            hold = (p12 < 0.5) & (p60 > 0.5)
            cf = run_war(
                tmp,
                [t.a],
                months=T,
                draws=draws,
                paths_per_draw=paths,
                seed=seed,
                params=dict(t.b_params),
            ).policies[t.a]
            m_a, m_b = A.per_draw("mean_settle"), cf.per_draw("mean_settle")
            both = np.isfinite(m_a) & np.isfinite(m_b)
            vals = {
                "p_end_12": float(np.nanmean(p12)),
                "p_end_60": float(np.nanmean(p60)),
                "mechanism_share_settle_later_with_commitment_problem": float(
                    np.mean(m_a[both] > m_b[both] + 1e-9)
                )
                if both.any()
                else math.nan,
            }
            compared = [t.a, f"{t.a} with window=1"]
            diff = ["window"]
        n = int(ok.sum())
        k = int((hold & ok).sum())
        lo, hi = wilson(k, n)
        share = k / n if n else None
        note = None
        if vals.get("share_of_draws_tied", 0.0) > 0.5:
            note = (
                f"in {100 * vals['share_of_draws_tied']:.0f}% of draws the change makes no "
                "difference (e.g. no path settles under either mix); the share counts ties as "
                + ("holding" if t.relation == "a>=b" else "failing")
            )
        if share == 1.0:
            note = ALWAYS_NOTES.get(
                c.id, "holds in every draw: read it as a property of the model's structure"
            )
        out.append(
            ClaimResult(
                c.id,
                c.text,
                t.reading,
                compared,
                diff,
                n,
                k,
                share,
                None if share is None else lo,
                None if share is None else hi,
                vals,
                note,
                T,
            )
        )
    return out
