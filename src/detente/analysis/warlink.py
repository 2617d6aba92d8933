"""The war model (:func:`detente.war.simulate`) as a function of its uncertain parameters, for
sensitivity analysis: each design point's P(talks within T months) from a batch of paths.

All design points of a chunk run in ONE call of ``simulate``: the parameters go in as per-path
arrays (each point's values repeated over its ``paths`` paths), so there is no Python loop over
points or paths. The chunk's path streams are seeded by ``SeedSequence(entropy, spawn_key=(first
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
    from detente.war import simulate

    rows = task.units.shape[0]
    values = task.table.from_unit(task.units)
    params = {name: np.repeat(v, task.paths) for name, v in values.items()}
    seed = np.random.SeedSequence(task.entropy, spawn_key=(task.first_row,))
    res = simulate(
        task.scenario,
        task.policy or "status-quo",
        months=task.months,
        paths=rows * task.paths,
        seed=seed,
        params=params,
    )
    talks = res.talks_month.reshape(rows, task.paths)
    return ((talks > 0) & (talks <= task.months)).mean(axis=1)
