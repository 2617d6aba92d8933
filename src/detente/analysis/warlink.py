"""The war model (:func:`detente.war.run_war`) as a function of its uncertain parameters, for
sensitivity analysis: each design point's P(settlement within T months) from a batch of paths.

All design points of a chunk run in ONE call of :func:`detente.war.run_war`: each design row is one
parameter draw (its values as per-draw arrays, the structural parameters at the calibrated
medians), simulated on ``paths`` paths, so there is no Python loop over points or paths. The
chunk's path streams are seeded by ``SeedSequence(entropy, spawn_key=(first
design row,))`` and the chunk partition depends only on the design and ``paths``, never on where a
chunk runs, so a cluster gives the numbers one process gives. Each point's P is a share of
``paths`` paths (binomial noise, sd <= 0.5 / sqrt(paths)); that noise is variance no input
explains, so Sobol' indices sum to less than one by about its share.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detente.scenario.errors import DetenteError
from detente.scenario.estimate import Estimate
from detente.scenario.schema import Scenario


@dataclass(frozen=True)
class WarTable:
    """The war model's uncertain parameters: names, Estimates and allowed ranges."""

    names: tuple[str, ...]
    estimates: tuple[Estimate, ...]
    lo: tuple[float, ...]
    hi: tuple[float, ...]

    def from_unit(self, u: np.ndarray) -> dict[str, np.ndarray]:
        """Design rows ``u`` (rows, P) in (0, 1) -> each parameter's values (rows,)."""
        from detente.war.params import draw_estimate

        return {
            name: draw_estimate(est, lo, hi, u[:, j])
            for j, (name, est, lo, hi) in enumerate(
                zip(self.names, self.estimates, self.lo, self.hi, strict=True)
            )
        }


def war_table(scenario: Scenario) -> WarTable:
    """The scenario's uncertain war parameters (none without a ``war:`` section)."""
    try:
        from detente.scenario.war_schema import PARAMETERS
        from detente.war.params import uncertain_names
    except ImportError:  # pragma: no cover - the war model ships with detente
        raise DetenteError("the war model is not available in this installation") from None
    spec = scenario.war
    if spec is None:
        raise DetenteError("the scenario has no war: section; the war model needs one")
    names = tuple(uncertain_names(spec))
    return WarTable(
        names,
        tuple(spec.parameters[n] for n in names),
        tuple(PARAMETERS[n].low for n in names),
        tuple(PARAMETERS[n].high for n in names),
    )


@dataclass(frozen=True)
class WarTask:
    """A chunk of design rows for the war model."""

    scenario: Scenario
    table: WarTable
    units: np.ndarray  # (rows, P)
    months: int
    paths: int
    entropy: int
    first_row: int
    policy: str | None = None


def p_talks(task: WarTask) -> np.ndarray:
    """(rows,) P(talks start within ``months``) at each design row, from ``paths`` paths each."""
    from detente.war import run_war

    rows = task.units.shape[0]
    values = task.table.from_unit(task.units)
    seed = np.random.SeedSequence(task.entropy, spawn_key=(task.first_row,))
    # one draw per design row (its values), the structural parameters at the calibrated medians
    run = run_war(
        task.scenario,
        [task.policy or "status-quo"],
        months=task.months,
        draws=rows,
        paths_per_draw=task.paths,
        seed=seed,
        fixed=True,
        params=values,
    )
    pp = run.policies[task.policy or "status-quo"]
    return _p_settle(pp, task.months)


def _p_settle(pp: object, months: int) -> np.ndarray:
    """(draws,) share of each draw's valid paths settled within ``months`` of the forecast point."""
    v = pp.valid.reshape(pp.draws, pp.paths_per_draw)  # type: ignore[attr-defined]
    code = pp.code().reshape(v.shape)  # type: ignore[attr-defined]
    end = pp.paths.end_month.reshape(v.shape) - pp.elapsed  # type: ignore[attr-defined]
    ok = v & (code == 0) & (end <= months)
    return ok.sum(axis=1) / np.maximum(v.sum(axis=1), 1)
