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

    def to_dict(self) -> dict[str, Any]:
        return {
            "train": self.train,
            "test": self.test,
            "per_war": self.per_war,
            "notes": self.notes,
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
    )


def hindcast(
    months: int = 43, draws: int = 200, paths_per_draw: int = 50, seed: int = 0
) -> dict[str, Any]:
    """ukraine-2025 started on 24 February 2022 with what was known then (no elapsed months):
    P(a negotiated settlement, or fighting fading out, within ``months`` months -- by September
    2025, when none had come)."""
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
    return {
        "start": "2022-02-24",
        "months": months,
        "p_settlement_by_sep_2025": s["p_by_end"]["settlement"],
        "p_fading_by_sep_2025": s["p_by_end"]["fading"],
        "p_victory_by_sep_2025": s["p_by_end"]["victory_attacker"]
        + s["p_by_end"]["victory_defender"],
        "p_still_at_war_sep_2025": s["p_by_end"]["ongoing"],
        "observed": "no settlement or ceasefire by September 2025 (talks in 2022 and 2025 "
        "ended without one)",
        "draws": draws,
        "paths_per_draw": paths_per_draw,
        "seed": seed,
    }
