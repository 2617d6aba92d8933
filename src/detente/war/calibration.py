"""Calibration of the war model's structural parameters on the COW inter-state wars.

Data: Correlates of War Inter-State War Data v4.0 (Sarkees & Wayman 2010) and National Material
Capabilities v5/6 (Singer, Bremer & Stuckey 1972; CINC). Each war: its duration (earliest
participant start to latest end), its outcome (a participant won -> victory of its side;
compromise -> settlement; stalemate -> fading; otherwise "other"), the attacker (the initiator's
side), and each side's capability (CINC summed over the side's participants in the start year).

Method: approximate Bayesian computation by rejection (Beaumont, Zhang & Balding 2002) with the
method of simulated moments' statistics: every training war is simulated at its own capabilities
under each candidate parameter vector drawn from a broad prior; the statistics are the quantiles
of log duration (10/25/50/75/90%), the shares of victory, settlement and fading, the share of
victories won by the stronger side, and the slope of log duration on |ln capability ratio|
(balanced wars last longer: Bennett & Stam 1996). The distance standardises each statistic by its
bootstrap sd over training wars; the ``accept`` closest candidates are kept as draws (the
uncertainty is kept: a set of draws, not one point). Fit on wars that began before 1946 only.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from detente.scenario.errors import DetenteError
from detente.scenario.war_schema import STRUCTURAL

NMC_FILE = "cow_nmc.csv"
COW_FILE = "Inter-StateWarData_v4.0.csv"
SPLIT_YEAR = 1946
DAYS_PER_MONTH = 30.44
HORIZON = 240  # months simulated per calibration/backtest path (longer: censored)
OUTCOMES = ("victory_attacker", "victory_defender", "settlement", "fading")
# A candidate under which fewer than this share of the training wars' paths are wars at all (a
# bargaining range exists under every type draw tried) is rejected: too few paths to compare.
MIN_WAR_SHARE = 0.5

# Prior ranges (uniform; log-uniform where marked) of the structural parameters.
PRIOR: dict[str, tuple[float, float, bool]] = {
    "beta": (0.0, 0.6, False),
    "tau": (0.0, 0.6, False),
    "sigma": (0.03, 2.0, True),
    "battle_rate": (0.02, 1.0, True),
    "cost": (1e-5, 0.1, True),
    "mobil0": (0.2, 1.0, False),
    "mobil_rate": (0.01, 1.0, True),
    "rate_disp": (0.0, 2.0, False),
}
assert tuple(PRIOR) == STRUCTURAL
# The measurement model of COW's outcome coding (fitted with the structural parameters): COW codes
# who won, not how the war ended, and most wars with a winner ended in a peace the loser signed
# (Reiter 2009; Slantchev 2003: terms reflect the battlefield). A negotiated settlement whose terms
# give a side at least ``decisive`` of the contested stakes is coded as that side's victory; one
# in between as a compromise. The data choose between victories by collapse and by dictated peace.
MEASUREMENT: dict[str, tuple[float, float, bool]] = {"decisive": (0.5, 0.95, False)}


@dataclass(frozen=True)
class Wars:
    """COW wars with what the model needs: one entry per war."""

    num: np.ndarray
    name: tuple[str, ...]
    start_year: np.ndarray
    months: np.ndarray  # duration in months (>= 1 day)
    cinc_A: np.ndarray
    cinc_D: np.ndarray
    outcome: tuple[str, ...]  # one of OUTCOMES or "other"

    def subset(self, mask: np.ndarray) -> Wars:
        idx = np.flatnonzero(mask)
        return Wars(
            self.num[idx],
            tuple(self.name[i] for i in idx),
            self.start_year[idx],
            self.months[idx],
            self.cinc_A[idx],
            self.cinc_D[idx],
            tuple(self.outcome[i] for i in idx),
        )

    def __len__(self) -> int:
        return len(self.num)


def load_wars(data_dir: str | os.PathLike[str]) -> Wars:
    """The COW inter-state wars with CINC per side in the start year (wars lacking a side's
    capabilities are left out)."""
    import pandas as pd

    from detente.war.baserates import _date

    path = Path(data_dir)
    for f in (COW_FILE, NMC_FILE):
        if not (path / f).is_file():
            raise DetenteError(f"--data {path}: missing {f}")
    d = pd.read_csv(path / COW_FILE)
    nmc = pd.read_csv(path / NMC_FILE)
    cinc = {
        (int(c), int(y)): float(v)
        for c, y, v in zip(
            nmc["ccode"].to_numpy(), nmc["year"].to_numpy(), nmc["cinc"].to_numpy(), strict=True
        )
        if v >= 0
    }
    start = _date(d["StartYear1"], d["StartMonth1"], d["StartDay1"])
    end1 = _date(d["EndYear1"], d["EndMonth1"], d["EndDay1"])
    end2 = _date(d["EndYear2"], d["EndMonth2"], d["EndDay2"])
    d = d.assign(start=start, end=pd.concat([end1, end2], axis=1).max(axis=1))
    rows: list[tuple[Any, ...]] = []
    for num, g in d.groupby("WarNum"):
        s, e = g["start"].min(), g["end"].max()
        if pd.isna(s) or pd.isna(e):
            continue
        year = int(pd.Timestamp(s).year)
        init = g.loc[g["Initiator"] == 1, "Side"]
        side_A = int(init.iloc[0]) if len(init) else 1
        caps = {1: 0.0, 2: 0.0}
        missing = False
        for code, side in zip(g["ccode"].to_numpy(), g["Side"].to_numpy(), strict=True):
            value = cinc.get((int(code), year))
            if value is None:
                missing = True
                continue
            caps[int(side)] += value
        if missing and (caps[1] <= 0 or caps[2] <= 0):
            continue
        if caps[1] <= 0 or caps[2] <= 0:
            continue
        won = g.loc[g["Outcome"] == 1, "Side"]
        if len(won):
            outcome = "victory_attacker" if int(won.iloc[0]) == side_A else "victory_defender"
        elif (g["Outcome"] == 3).any():
            outcome = "settlement"
        elif (g["Outcome"] == 6).any():
            outcome = "fading"
        else:
            outcome = "other"
        days = max((e - s).days, 1)
        rows.append(
            (
                int(num),  # type: ignore[arg-type]
                str(g["WarName"].iloc[0]),
                year,
                days / DAYS_PER_MONTH,
                caps[side_A],
                caps[3 - side_A],
                outcome,
            )
        )
    if not rows:
        raise DetenteError(f"--data {path}: no war with capabilities for both sides")
    cols = list(zip(*rows, strict=True))
    return Wars(
        np.array(cols[0]),
        tuple(cols[1]),
        np.array(cols[2]),
        np.array(cols[3], dtype=float),
        np.array(cols[4], dtype=float),
        np.array(cols[5], dtype=float),
        tuple(cols[6]),
    )


def split(wars: Wars) -> tuple[Wars, Wars]:
    """(training wars: began before 1946, test wars: 1946 on) -- the pre-registered split."""
    return wars.subset(wars.start_year < SPLIT_YEAR), wars.subset(wars.start_year >= SPLIT_YEAR)


def sim_months(end_month: np.ndarray) -> np.ndarray:
    """Simulated durations in months: a war ending in month t lasted t - 1/2 months (mid-month);
    a war still going at the horizon counts as HORIZON months (censored)."""
    return np.where(end_month > 0, end_month - 0.5, float(HORIZON))


def statistics(
    log_months: np.ndarray, outcome: np.ndarray, stronger_A: np.ndarray, abs_lr: np.ndarray
) -> np.ndarray:
    """The calibration statistics of a set of wars (simulated or observed), see module doc.

    ``outcome``: integer codes 0..3 (OUTCOMES) or -1 (other / ongoing)."""
    q = np.quantile(log_months, [0.1, 0.25, 0.5, 0.75, 0.9])
    known = outcome >= 0
    n = max(int(known.sum()), 1)
    victory = (outcome == 0) | (outcome == 1)
    vict_share = float(victory.sum() / n)
    settle = float((outcome == 2).sum() / n)
    fade = float((outcome == 3).sum() / n)
    won_by_stronger = np.where(outcome == 0, stronger_A, ~stronger_A)
    nv = max(int(victory.sum()), 1)
    stronger = float((won_by_stronger & victory).sum() / nv)
    x = abs_lr - abs_lr.mean()
    slope = float((x * (log_months - log_months.mean())).sum() / max((x * x).sum(), 1e-12))
    return np.array([*q, vict_share, settle, fade, stronger, slope])


STAT_NAMES = (
    "log_months_q10",
    "log_months_q25",
    "log_months_q50",
    "log_months_q75",
    "log_months_q90",
    "share_victory",
    "share_settlement",
    "share_fading",
    "victories_by_stronger",
    "slope_log_months_abs_lr",
)


def observed(wars: Wars) -> tuple[np.ndarray, np.ndarray]:
    """(statistics of the observed wars, their bootstrap sd over wars)."""
    code = np.array([OUTCOMES.index(o) if o in OUTCOMES else -1 for o in wars.outcome])
    lm = np.log(wars.months)
    stronger = wars.cinc_A > wars.cinc_D
    alr = np.abs(np.log(wars.cinc_A / wars.cinc_D))
    obs = statistics(lm, code, stronger, alr)
    rng = np.random.default_rng(12345)
    boots = []
    for _ in range(500):
        i = rng.integers(len(wars), size=len(wars))
        boots.append(statistics(lm[i], code[i], stronger[i], alr[i]))
    sd = np.std(np.array(boots), axis=0, ddof=1)
    return obs, np.maximum(sd, 0.02)


def war_params(wars: Wars, reps: int) -> dict[str, np.ndarray]:
    """Per-path war-specific parameters: each war repeated ``reps`` times."""
    return {
        "capability_A": np.repeat(wars.cinc_A, reps),
        "capability_D": np.repeat(wars.cinc_D, reps),
    }


def prior_draws(n: int, seed: int) -> dict[str, np.ndarray]:
    """``n`` candidates from the prior (each parameter from its own spawned stream)."""
    root = np.random.SeedSequence(seed)
    out = {}
    for k, (name, (lo, hi, log)) in enumerate((PRIOR | MEASUREMENT).items()):
        u = np.random.default_rng(np.random.SeedSequence(root.entropy, spawn_key=(k,))).random(n)
        out[name] = (
            np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo))) if log else lo + u * (hi - lo)
        )
    return out


def cow_code(outcome: np.ndarray, terms: np.ndarray, decisive: float) -> np.ndarray:
    """Outcome codes as COW would record the simulated endings (OUTCOMES index, -1 ongoing):
    a collapse is a victory; a settlement is a victory of the side whose share of the stakes is
    at least ``decisive``, else a compromise (see MEASUREMENT); fading is a stalemate."""
    from detente.war.kernel import A_WINS, D_WINS, FADED, SETTLED

    code = np.full(outcome.shape, -1)
    code[outcome == A_WINS] = 0
    code[outcome == D_WINS] = 1
    code[outcome == FADED] = 3
    settled = outcome == SETTLED
    t = np.where(np.isfinite(terms), terms, 0.5)
    code[settled] = 2
    code[settled & (t >= decisive)] = 0
    code[settled & (t <= 1.0 - decisive)] = 1
    return code


def simulate_wars(
    wars: Wars, theta: dict[str, np.ndarray], reps: int, seed: int, first: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Simulate every war ``reps`` times under each of the K parameter vectors in ``theta``
    (arrays (K,), the structural parameters and the measurement parameter ``decisive``);
    candidate k's paths draw from ``SeedSequence(seed)`` spawned by key (first + k,), so how
    candidates are chunked never changes them. Returns (months (K, wars, reps), outcome codes as
    COW would record them (K, wars, reps), see :func:`cow_code`, and how the paths ended by the
    model's own mechanisms (K, 4): shares of settlement, collapse of the defender, collapse of
    the attacker, fading, among the paths that ended)."""
    from detente.war.engine import child, simulate_paths
    from detente.war.kernel import A_WINS, D_WINS, FADED, NO_WAR, SETTLED

    K = len(next(iter(theta.values())))
    W = len(wars)
    root = np.random.SeedSequence(seed)
    caps = war_params(wars, reps)
    months = np.empty((K, W * reps))
    code = np.full((K, W * reps), -1)
    mech = np.zeros((K, 4))
    for k in range(K):
        params: dict[str, float | np.ndarray] = {
            n: float(v[k]) for n, v in theta.items() if n in STRUCTURAL
        }
        params.update(caps)
        res = simulate_paths(None, "status-quo", HORIZON, W * reps, child(root, first + k), params)
        code[k] = cow_code(res.outcome, res.terms, float(theta["decisive"][k]))
        # COW records wars that happened: a path on which no war goes on at the start (a range
        # exists under every type draw tried) is not a war; it is left out (NaN, code -1)
        months[k] = np.where(res.outcome == NO_WAR, np.nan, sim_months(res.end_month))
        code[k, res.outcome == NO_WAR] = -1
        counts = np.array([np.sum(res.outcome == o) for o in (SETTLED, A_WINS, D_WINS, FADED)])
        mech[k] = counts / max(int(counts.sum()), 1)
    return months.reshape(K, W, reps), code.reshape(K, W, reps), mech


MECHANISMS = ("settlement", "victory_attacker", "victory_defender", "fading")


def _mechanism_shares(mech: np.ndarray) -> dict[str, float]:
    return {k: round(float(v), 4) for k, v in zip(MECHANISMS, mech.mean(axis=0), strict=True)}


def calibrate(
    data_dir: str | os.PathLike[str],
    candidates: int = 40000,
    accept: int = 200,
    reps: int = 10,
    seed: int = 20240611,
    chunk: int = 250,
) -> dict[str, Any]:
    """Run the ABC on the training wars; returns the accepted draws with provenance."""
    import time

    wars = load_wars(data_dir)
    train, test = split(wars)
    obs, sd = observed(train)
    theta = prior_draws(candidates, seed)
    stronger = train.cinc_A > train.cinc_D
    alr = np.abs(np.log(train.cinc_A / train.cinc_D))
    dist = np.empty(candidates)
    stats = np.empty((candidates, len(obs)))
    mech = np.empty((candidates, 4))
    t0 = time.perf_counter()
    for start in range(0, candidates, chunk):
        stop = min(start + chunk, candidates)
        part = {k: v[start:stop] for k, v in theta.items()}
        months, code, mech[start:stop] = simulate_wars(train, part, reps, seed + 1, first=start)
        for k in range(stop - start):
            m = months[k].ravel()
            war = np.isfinite(m)
            if war.mean() < MIN_WAR_SHARE:  # wars rarely happen here: too few paths to compare
                stats[start + k] = np.nan
                dist[start + k] = np.inf
                continue
            s = statistics(
                np.log(m[war]),
                code[k].ravel()[war],
                np.repeat(stronger, reps)[war],
                np.repeat(alr, reps)[war],
            )
            stats[start + k] = s
            dist[start + k] = float(np.sqrt(np.sum(((s - obs) / sd) ** 2)))
    order = np.argsort(dist, kind="stable")[:accept]
    return {
        "model": "detente.war.kernel (private types, settlement / victory / fading, Powell)",
        "method": "ABC rejection: prior draws simulated on every training war, the closest "
        f"{accept} of {candidates} kept (standardised Euclidean distance of the statistics)",
        "data": {
            "wars": "COW Inter-State War Data v4.0 (Sarkees & Wayman 2010)",
            "capabilities": "COW National Material Capabilities (CINC), start year, per side",
            "train": {
                "n_wars": len(train),
                "first_year": int(train.start_year.min()),
                "last_year": int(train.start_year.max()),
            },
            "held_out_from": SPLIT_YEAR,
            "n_test_wars": len(test),
        },
        "seed": seed,
        "candidates": candidates,
        "reps_per_war": reps,
        "prior": {k: list(v) for k, v in (PRIOR | MEASUREMENT).items()},
        "statistics": list(STAT_NAMES),
        "observed": obs.tolist(),
        "observed_sd": sd.tolist(),
        "accepted_distance": [float(dist[i]) for i in order],
        "accepted_statistics_mean": stats[order].mean(axis=0).tolist(),
        "names": [*STRUCTURAL, *MEASUREMENT],
        "draws": [[float(theta[k][i]) for k in (*STRUCTURAL, *MEASUREMENT)] for i in order],
        # how the accepted draws end their simulated training wars (before COW's coding)
        "accepted_mechanism_shares": _mechanism_shares(mech[order]),
        "runtime_s": round(time.perf_counter() - t0, 1),
        "command": "make calibrate (tools/calibrate_war.py)",
    }


_CACHE: dict[str, Any] = {}


def shipped() -> dict[str, Any]:
    """The calibration shipped with detente (package data written by ``make calibrate``)."""
    if "cal" not in _CACHE:
        try:
            text = resources.files("detente.war").joinpath("data/calibration.json").read_text()
        except FileNotFoundError:
            raise DetenteError(
                "the war model's calibration is missing from this installation; run "
                "`make calibrate` where ../shared/data is present"
            ) from None
        _CACHE["cal"] = json.loads(text)
    return _CACHE["cal"]


def calibrated_draws(measurement: bool = False) -> dict[str, np.ndarray]:
    """The accepted draws of the structural parameters (arrays (n_draws,)); with
    ``measurement``, also the measurement parameter of COW's coding (``decisive``)."""
    cal = shipped()
    arr = np.array(cal["draws"], dtype=float)
    keep = set(STRUCTURAL) | (set(MEASUREMENT) if measurement else set())
    return {name: arr[:, k] for k, name in enumerate(cal["names"]) if name in keep}


def calibrated_medians() -> dict[str, float]:
    """The medians of the accepted draws (the model's "fixed" structural parameters)."""
    return {k: float(np.median(v)) for k, v in calibrated_draws().items()}
