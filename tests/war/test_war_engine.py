"""The war model's engine and kernel: the seed rule, numba == Python, the three endings, spread at
fixed parameters, private types, and the levers' rival channels (common random numbers)."""

from __future__ import annotations

import numpy as np
import pytest

from detente import api
from detente.scenario.errors import DetenteError
from detente.war import run_war
from detente.war.engine import STREAM, simulate_paths
from detente.war.kernel import A_WINS, D_WINS, FADED, HAVE_NUMBA, NO_WAR, SETTLED


@pytest.fixture(scope="module")
def sc():  # type: ignore[no-untyped-def]
    return api.load("ukraine-2025")


def test_chunking_and_path_count_never_change_a_path(sc) -> None:  # type: ignore[no-untyped-def]
    big = simulate_paths(sc.war, "credible-pressure", 24, STREAM + 700, 11)
    small = simulate_paths(sc.war, "credible-pressure", 24, 900, 11)
    for name in ("end_month", "outcome", "terms", "cost_A", "gap_start"):
        a, b = getattr(big, name)[:900], getattr(small, name)
        assert np.array_equal(a, b, equal_nan=True), name


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba is not installed: nothing to compare")
def test_compiled_kernel_equals_python_fallback(sc) -> None:  # type: ignore[no-untyped-def]
    params = {"elapsed": 0.0}
    fast = simulate_paths(sc.war, "credible-pressure", 36, 300, 4, params=params)
    slow = simulate_paths(sc.war, "credible-pressure", 36, 300, 4, params=params, python=True)
    for name in ("end_month", "outcome", "terms", "cost_A", "cost_D", "control", "gap_end"):
        assert np.array_equal(getattr(fast, name), getattr(slow, name), equal_nan=True), name


def test_three_endings_and_spread_at_fixed_parameters(sc) -> None:  # type: ignore[no-untyped-def]
    # ukraine-2025 at fixed parameters (calibrated medians, inputs at their values), from the
    # start of the war: durations spread (private types, battles), not one month for all
    run = run_war(
        sc,
        ["status-quo"],
        months=120,
        draws=1,
        paths_per_draw=4000,
        seed=2,
        fixed=True,
        params={"elapsed": 0.0},
    )
    s = run.policies["status-quo"].summary()
    q = s["duration_months"]
    assert q["p10"] is not None and q["p75"] is not None
    assert q["p75"] - q["p10"] >= 3  # non-degenerate spread (months)
    assert q["p90"] is None or q["p90"] >= 2 * q["p10"]
    assert s["outcomes"]["victory_attacker"] > 0 and s["outcomes"]["victory_defender"] > 0


def test_every_ending_occurs_somewhere() -> None:
    # settlement, both victories and fading all occur under some parameters
    seen = set()
    for params in (
        {"tau": 0.3, "cost": 0.002, "mobil0": 0.5},
        # a shift of power foreseen (the defender mobilising) and costly fighting: fading
        {
            "tau": 0.1,
            "beta": 0.05,
            "capability_A": 0.02,
            "capability_D": 0.01,
            "sigma": 0.1,
            "cost": 0.01,
            "mobil0": 0.5,
            "mobil_rate": 0.05,
            "delta": 0.999,
            "control0": 0.4,
        },
        {"tau": 0.4, "sigma": 0.2, "cost": 1e-4},
    ):
        res = simulate_paths(None, "status-quo", 60, 2000, 1, params={**params, "elapsed": 0})
        seen |= set(np.unique(res.outcome).tolist())
    assert {SETTLED, A_WINS, D_WINS, FADED} <= seen


def test_private_types_make_beliefs_differ_and_converge() -> None:
    # tau > 0: the sides disagree in month 1 (each knows only its own type) and disagree less
    # at the end of long wars (battles are signals whose likelihood depends on both types)
    res = simulate_paths(
        None,
        "status-quo",
        120,
        4000,
        5,
        params={"tau": 0.3, "sigma": 0.1, "battle_rate": 0.5, "cost": 1e-4, "elapsed": 0},
    )
    war = res.outcome != NO_WAR
    assert np.mean(np.abs(res.gap_start[war]) > 1e-6) > 0.9
    long = war & ((res.end_month == 0) | (res.end_month > 12))
    assert np.nanmean(np.abs(res.gap_end[long])) < np.nanmean(np.abs(res.gap_start[long]))
    # without private types there is nothing to learn: every war settles at once
    none = simulate_paths(
        None,
        "status-quo",
        12,
        500,
        5,
        params={"tau": 0.0, "cost": 1e-3, "mobil0": 1.0, "elapsed": 0},
    )
    assert np.all(none.outcome == SETTLED)


def test_concessions_have_two_rival_channels(sc) -> None:  # type: ignore[no-untyped-def]
    # same draws and random numbers: a concession read only as weakness (stake_cut = 0) can only
    # delay settlement; one that only lowers the stakes (concession_weight = 0) can only
    # advance it. Which wins with both is the model's answer, not an assumption.
    common = {"elapsed": 0.0, "tau": 0.3, "cost": 0.002, "aid": 0.004, "resolve_a": 5.0}

    def mean_settle(policy: str, extra: dict) -> float:
        r = run_war(
            sc,
            [policy],
            months=36,
            draws=1,
            paths_per_draw=3000,
            seed=8,
            fixed=True,
            params={**common, **extra},
        )
        return float(np.nanmean(r.policies[policy].per_draw("mean_settle")))

    weak_only = {"stake_cut": 0.0, "concession_weight": 20.0}
    stakes_only = {"stake_cut": 0.3, "concession_weight": 0.0}
    assert mean_settle("appeasement", weak_only) >= mean_settle("status-quo", weak_only)
    assert mean_settle("appeasement", stakes_only) < mean_settle("status-quo", stakes_only)


def test_seed_rule_and_bad_input(sc) -> None:  # type: ignore[no-untyped-def]
    a = run_war(sc, ["status-quo"], draws=5, paths_per_draw=20, seed=3)
    b = run_war(sc, ["status-quo"], draws=5, paths_per_draw=20, seed=3)
    assert np.array_equal(
        a.policies["status-quo"].paths.end_month, b.policies["status-quo"].paths.end_month
    )
    with pytest.raises(DetenteError, match="unknown war parameter"):
        run_war(sc, ["status-quo"], draws=2, paths_per_draw=2, params={"nope": 1.0})
    with pytest.raises(DetenteError, match="unknown policy mix"):
        run_war(sc, ["nope"], draws=2, paths_per_draw=2)
