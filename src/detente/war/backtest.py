"""Out-of-sample validation of the war model (pre-registered in issue 11): fit on the COW wars
that began before 1946, score on the wars that began in 1946 or later.

For each held-out war, from its start-year capabilities alone, each method gives a predictive
distribution of the duration (in log months) and of the outcome (victory of the attacker,
victory of the defender, settlement, fading). Scores, via ``scoringrules``: the CRPS of log
duration (lower is better; Gneiting & Raftery 2007) and the log score of the outcome (negative log
probability of what happened, lower is better; wars whose COW outcome is "other" -- transformed,
changed sides -- are left out of the log score only). Methods, all fitted on the same training
wars and scored in the same run:

- ``model``: the calibrated war model: every accepted draw simulated at the war's capabilities;
- ``base_rate``: the training wars' empirical distributions (durations and outcome shares);
- ``weibull``: a Weibull accelerated-failure-time regression of duration on ln and |ln| capability
  ratio (lifelines), with a multinomial logistic regression of the outcome on the same covariates.

Outcome probabilities are smoothed alike for every method (mixed with the uniform distribution,
weight 0.02) so that no method scores infinity. Intervals: percentile bootstrap over held-out
wars (2,000 resamples).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from detente.results import Result
from detente.war.calibration import OUTCOMES, Wars, load_wars, split

METHODS = ("model", "base_rate", "weibull")
N_QUANT = 200  # quantile ensemble size of the Weibull predictive distribution


@dataclass
class BacktestResult(Result):
    """Scores of the model and both baselines on the held-out wars."""

    train: dict[str, int]
    test: dict[str, Any]
    per_war: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ucdp_episodes: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "train": self.train,
            "test": self.test,
            "per_war": self.per_war,
            "notes": self.notes,
            "ucdp_episodes": self.ucdp_episodes,
        }

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([{"method": k, **v} for k, v in self.test["scores"].items()]).set_index(
            "method"
        )


SMOOTH = 0.02  # share of every outcome forecast spread evenly over the four outcomes


def _smooth(counts: np.ndarray) -> np.ndarray:
    """Outcome probabilities from counts, mixed with the uniform distribution (weight SMOOTH) so
    that no method puts probability 0 on an outcome; the same for every method."""
    p = counts / max(float(counts.sum()), 1e-12)
    return (1.0 - SMOOTH) * p + SMOOTH / len(counts)


def _outcome_code(wars: Wars) -> np.ndarray:
    return np.array([OUTCOMES.index(o) if o in OUTCOMES else -1 for o in wars.outcome])


def _covariates(wars: Wars) -> np.ndarray:
    lr = np.log(wars.cinc_A / wars.cinc_D)
    return np.column_stack([lr, np.abs(lr)])


def model_predictive(
    wars: Wars, reps: int = 10, seed: int = 7
) -> tuple[list[np.ndarray], np.ndarray]:
    """Per war: simulated log months (all draws x reps) and outcome probabilities (4,)."""
    from detente.war.calibration import calibrated_draws, simulate_wars

    theta = calibrated_draws(measurement=True)
    months, code, _ = simulate_wars(wars, theta, reps, seed)
    ens = []
    for w in range(len(wars)):
        m = months[:, w, :].ravel()
        # (paths on which no war goes on at the start are not wars: left out)
        ens.append(np.log(m[np.isfinite(m)]) if np.isfinite(m).any() else np.log(m))
    probs = np.array(
        [
            _smooth(np.bincount(code[:, w, :].ravel()[code[:, w, :].ravel() >= 0], minlength=4))
            for w in range(len(wars))
        ]
    )
    return ens, probs


def weibull_predictive(train: Wars, test: Wars) -> tuple[list[np.ndarray], np.ndarray]:
    """Weibull AFT on the covariates (durations) and multinomial logit (outcomes)."""
    import pandas as pd
    from lifelines import WeibullAFTFitter
    from sklearn.linear_model import LogisticRegression

    Xtr, Xte = _covariates(train), _covariates(test)
    df = pd.DataFrame({"lr": Xtr[:, 0], "abs_lr": Xtr[:, 1], "T": train.months, "E": 1})
    fit = WeibullAFTFitter().fit(df, duration_col="T", event_col="E")
    q = (np.arange(N_QUANT) + 0.5) / N_QUANT
    # S(t) = exp(-(t / lam)^rho), ln lam linear in the covariates: quantile q at
    # lam (-ln(1 - q))^(1 / rho)
    lam_p = fit.params_["lambda_"]
    rho = float(np.exp(fit.params_["rho_"]["Intercept"]))
    ens = []
    for i in range(len(test)):
        eta = float(lam_p["Intercept"] + lam_p["lr"] * Xte[i, 0] + lam_p["abs_lr"] * Xte[i, 1])
        t = np.exp(eta) * (-np.log1p(-q)) ** (1.0 / rho)
        ens.append(np.log(np.maximum(t, 1e-3)))
    ytr = _outcome_code(train)
    known = ytr >= 0
    classes = np.unique(ytr[known])
    probs = np.full((len(test), 4), 0.0)
    if len(classes) > 1:
        clf = LogisticRegression(max_iter=1000).fit(Xtr[known], ytr[known])
        p = clf.predict_proba(Xte)
        for j, c in enumerate(clf.classes_):
            probs[:, c] = p[:, j]
    else:
        probs[:, classes[0]] = known.sum()
    probs = np.array([_smooth(r) for r in probs])
    return ens, probs


def backtest(
    data_dir: str | os.PathLike[str], boot: int = 2000, seed: int = 0, reps: int = 10
) -> BacktestResult:
    """Score the model and both baselines on the COW wars from 1946 on (see module doc)."""
    import scoringrules as sr

    train, test = split(load_wars(data_dir))
    obs = np.log(test.months)
    y = _outcome_code(test)
    known = y >= 0
    preds: dict[str, tuple[list[np.ndarray], np.ndarray]] = {
        "model": model_predictive(test, reps=reps),
        "base_rate": (
            [np.log(train.months)] * len(test),
            np.tile(
                _smooth(np.bincount(_outcome_code(train)[_outcome_code(train) >= 0], minlength=4)),
                (len(test), 1),
            ),
        ),
        "weibull": weibull_predictive(train, test),
    }
    crps: dict[str, np.ndarray] = {}
    logs: dict[str, np.ndarray] = {}
    for name, (ens, probs) in preds.items():
        crps[name] = np.array([float(sr.crps_ensemble(obs[i], ens[i])) for i in range(len(test))])
        p_obs = probs[np.flatnonzero(known), y[known]]
        logs[name] = np.asarray(sr.log_score(np.ones_like(p_obs), p_obs), dtype=float)
    rng = np.random.default_rng(seed)
    idx = rng.integers(len(test), size=(boot, len(test)))
    kidx = rng.integers(int(known.sum()), size=(boot, int(known.sum())))
    scores = {}
    for name in METHODS:
        c = crps[name][idx].mean(axis=1)
        lg = logs[name][kidx].mean(axis=1)
        scores[name] = {
            "crps": float(crps[name].mean()),
            "crps_low": float(np.percentile(c, 2.5)),
            "crps_high": float(np.percentile(c, 97.5)),
            "log_score": float(logs[name].mean()),
            "log_score_low": float(np.percentile(lg, 2.5)),
            "log_score_high": float(np.percentile(lg, 97.5)),
        }
    diff = {}
    for name in ("base_rate", "weibull"):
        d = (crps["model"] - crps[name])[idx].mean(axis=1)
        dl = (logs["model"] - logs[name])[kidx].mean(axis=1)
        diff[name] = {
            "crps_diff": float((crps["model"] - crps[name]).mean()),
            "crps_diff_low": float(np.percentile(d, 2.5)),
            "crps_diff_high": float(np.percentile(d, 97.5)),
            "log_score_diff": float((logs["model"] - logs[name]).mean()),
            "log_score_diff_low": float(np.percentile(dl, 2.5)),
            "log_score_diff_high": float(np.percentile(dl, 97.5)),
        }
    # termination types: the model's (held-out wars pooled) beside COW's and UCDP's
    from detente.war.baserates import UCDP_FILE, ucdp_terminations

    types: dict[str, Any] = {
        "model": dict(zip(OUTCOMES, preds["model"][1].mean(axis=0).round(4).tolist(), strict=True)),
        "cow_held_out": {o: float(np.mean(y[known] == c)) for c, o in enumerate(OUTCOMES)},
    }
    ucdp = os.path.join(str(data_dir), UCDP_FILE)
    if os.path.isfile(ucdp):
        types["ucdp_interstate_episodes"] = ucdp_terminations(ucdp)
    per_war = []
    k = 0
    for i in range(len(test)):
        row = {
            "war": test.name[i],
            "start_year": int(test.start_year[i]),
            "months": float(test.months[i]),
            "outcome": test.outcome[i],
            "crps": {m: float(crps[m][i]) for m in METHODS},
        }
        if known[i]:
            row["log_score"] = {m: float(logs[m][k]) for m in METHODS}
            k += 1
        per_war.append(row)
    ucdp_episodes = ucdp_check(data_dir, train, reps=reps, boot=boot, seed=seed)
    return BacktestResult(
        train={
            "n_wars": len(train),
            "first_year": int(train.start_year.min()),
            "last_year": int(train.start_year.max()),
        },
        test={
            "n_wars": len(test),
            "n_wars_log_score": int(known.sum()),
            "first_year": int(test.start_year.min()),
            "last_year": int(test.start_year.max()),
            "scores": scores,
            "model_minus_baseline": diff,
            "bootstrap": boot,
            "termination_types": types,
        },
        per_war=per_war,
        notes=[
            "CRPS of ln(duration in months); log score of the outcome (victory of either "
            "side, settlement, fading); both lower is better; 95% percentile bootstrap "
            "intervals over held-out wars",
            "COW outcomes 'transformed into another war' or 'changed sides' are left out of "
            "the log score",
        ],
        ucdp_episodes=ucdp_episodes,
    )


def _crps_scores(
    crps: dict[str, np.ndarray], rng: np.random.Generator, boot: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Mean CRPS per method with percentile bootstrap intervals over the rows (the same resamples
    for every method), and the model-minus-baseline differences."""
    n = len(crps["model"])
    if n == 0:
        return {}, {}
    idx = rng.integers(n, size=(boot, n))
    scores = {}
    for name in METHODS:
        c = crps[name][idx].mean(axis=1)
        scores[name] = {
            "crps": float(crps[name].mean()),
            "crps_low": float(np.percentile(c, 2.5)),
            "crps_high": float(np.percentile(c, 97.5)),
        }
    diff = {}
    for name in ("base_rate", "weibull"):
        d = crps["model"] - crps[name]
        b = d[idx].mean(axis=1)
        diff[name] = {
            "crps_diff": float(d.mean()),
            "crps_diff_low": float(np.percentile(b, 2.5)),
            "crps_diff_high": float(np.percentile(b, 97.5)),
        }
    return scores, diff


def ucdp_check(
    data_dir: str | os.PathLike[str],
    train: Wars,
    reps: int = 10,
    boot: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """A second check of durations on the UCDP/PRIO inter-state episodes 1946 on (issue 11,
    item 3; episodes built by :mod:`detente.war.ucdp`).

    Each episode with CINC for both sides and an observed end is scored, as in :func:`backtest`,
    by the CRPS of ln(months) of the calibrated model (every accepted draw simulated ``reps``
    times at the episode's capabilities, side A in the attacker's place), the base rate and the
    Weibull regression, both fitted on ``train`` (the COW wars before 1946): nothing from UCDP
    reaches a fit. Main set: the episodes that reached war intensity (1,000 battle deaths in a
    year), like the COW wars the model is calibrated on; minor episodes are scored apart.
    Right-censored episodes (still going at the data's end) are left out of the CRPS (counted).
    Intervals: percentile bootstrap over episodes. Most war-intensity episodes overlap a held-out
    COW war (counted): the check is larger in part, not independent. Returns ``{"skipped":
    reason}`` when ``ucdp_acd.csv`` is absent."""
    from detente.war.ucdp import ACD_FILE, ROUGH_PREC, as_wars, cow_overlap, load_episodes

    if not os.path.isfile(os.path.join(str(data_dir), ACD_FILE)):
        return {"skipped": f"{ACD_FILE} is absent from {data_dir}"}
    import scoringrules as sr

    from detente.war.calibration import SPLIT_YEAR

    ep = load_episodes(data_dir)
    if not len(ep) or not ep["war"].any():
        return {"skipped": f"{ACD_FILE} has no inter-state episode of war intensity"}
    scored = ep[ep["has_cinc"] & ~ep["censored"]].reset_index(drop=True)
    wars = as_wars(scored)
    obs = np.log(wars.months)
    ens = {
        "model": model_predictive(wars, reps=reps, seed=8)[0],
        "base_rate": [np.log(train.months)] * len(wars),
        "weibull": weibull_predictive(train, wars)[0],
    }
    crps = {
        m: np.array([float(sr.crps_ensemble(obs[i], ens[m][i])) for i in range(len(wars))])
        for m in METHODS
    }
    overlap = cow_overlap(scored, data_dir, SPLIT_YEAR)
    # a stream of its own, so the COW scores' resamples stay as they were
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
    war = scored["war"].to_numpy()
    rough = scored["start_prec"].to_numpy() >= ROUGH_PREC

    def block(mask: np.ndarray, group: Any) -> dict[str, Any]:
        scores, diff = _crps_scores({m: c[mask] for m, c in crps.items()}, rng, boot)
        return {
            "n_episodes": int(len(group)),
            "n_censored": int(group["censored"].sum()),
            "n_left_out": int((~group["has_cinc"]).sum()),
            "n_scored": int(mask.sum()),
            "scores": scores,
            "model_minus_baseline": diff,
        }

    main = block(war, ep[ep["war"]])
    in_cow = [o for o, w in zip(overlap, war, strict=True) if w and o is not None]
    per_episode = [
        {
            "conflict_id": int(r.conflict_id),
            "start": r.start,
            "end": r.end,
            "months": float(r.months),
            "war": bool(r.war),
            "rough_start_date": bool(r.start_prec >= ROUGH_PREC),
            "side_a": r.side_a,
            "side_b": r.side_b,
            "cinc_a": float(r.cinc_a),
            "cinc_b": float(r.cinc_b),
            "cow_war": overlap[i],
            "crps": {m: float(crps[m][i]) for m in METHODS},
        }
        for i, r in enumerate(scored.itertuples())
    ]
    return {
        **main,
        "first_year": int(ep.loc[ep["war"], "start_year"].min()),
        "last_year": int(ep.loc[ep["war"], "start_year"].max()),
        "n_overlap_cow_held_out": len(in_cow),
        "cow_held_out_wars_overlapped": len(set(in_cow)),
        "precise_start_dates": block(
            war & ~rough, ep[ep["war"] & ~(ep["start_prec"] >= ROUGH_PREC)]
        ),
        "minor": block(~war, ep[~ep["war"]]),
        "bootstrap": boot,
        "reps": reps,
        "per_episode": per_episode,
        "notes": [
            "UCDP/PRIO inter-state episodes (conflict_id, start_date2) that reached war "
            "intensity (1,000 battle deaths in a year); minor episodes scored apart ('minor')",
            "CRPS of ln(duration in months), lower is better; 95% percentile bootstrap intervals "
            "over episodes; baselines fitted on the COW wars before 1946 only",
            "censored episodes (still going at the data's end) left out of the CRPS; episodes "
            "with no CINC for a side left out; CINC summed per side in the start year (the "
            "last NMC year, 2022, for later starts)",
            "UCDP does not code the attacker: side A stands in for it (durations depend on "
            "|ln capability ratio| and ln ratio)",
            "episodes are dyadic: one COW war can give several (the Six Day War gives three); "
            "'precise_start_dates' leaves out episodes whose start date is rough (start_prec2 5)",
        ],
    }


def hindcast(
    months: int = 43,
    draws: int = 200,
    paths_per_draw: int = 50,
    seed: int = 0,
    data_dir: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """ukraine-2025 started on 24 February 2022 with what was known then (no elapsed months):
    P(a negotiated settlement, or fighting fading out, within ``months`` months -- by September
    2025, when none had come). With ``data_dir`` (the COW files), the two baselines of the
    backtest, fitted on the same training wars, give their P(still at war after ``months``
    months) beside the model's: the base rate, and the Weibull regression at the war's
    capabilities as the model sees them at the start (the defender's with aid)."""
    from detente.scenario.io import load

    sc = load("ukraine-2025")
    from detente.war import run_war

    run = run_war(
        sc,
        policies=["status-quo"],
        months=months,
        draws=draws,
        paths_per_draw=paths_per_draw,
        seed=seed,
        params={"elapsed": 0.0},
    )
    p = run.policies["status-quo"]
    s = p.summary()
    baselines: dict[str, float] = {}
    if data_dir is not None:
        train, _ = split(load_wars(data_dir))
        P = sc.war.parameters if sc.war is not None else {}

        def value(name: str) -> float:
            return float(P[name].value)

        war = Wars(
            np.array([0]),
            ("ukraine-2025",),
            np.array([2022]),
            np.array([float(months)]),
            np.array([value("capability_A")]),
            np.array([value("capability_D") + value("aid")]),
            ("other",),
        )
        ens, _ = weibull_predictive(train, war)
        baselines = {
            "base_rate": float(np.mean(train.months > months)),
            "weibull": float(np.mean(ens[0] > np.log(months))),
        }
    return {
        "start": "2022-02-24",
        "months": months,
        "p_settlement_by_sep_2025": s["p_by_end"]["settlement"],
        "p_fading_by_sep_2025": s["p_by_end"]["fading"],
        "p_victory_by_sep_2025": s["p_by_end"]["victory_attacker"]
        + s["p_by_end"]["victory_defender"],
        "p_still_at_war_sep_2025": s["p_by_end"]["ongoing"],
        "baselines_p_still_at_war_sep_2025": baselines,
        "observed": "no settlement or ceasefire by September 2025 (talks in 2022 and 2025 "
        "ended without one)",
        "draws": draws,
        "paths_per_draw": paths_per_draw,
        "seed": seed,
    }
