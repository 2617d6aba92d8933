"""Voting power as a service: Shapley-Shubik and Banzhaf indices of a scenario's voting rule."""

from __future__ import annotations

from typing import Any

from detente.bargaining.power import PowerResult, power_indices
from detente.scenario.errors import DetenteError
from detente.scenario.schema import Scenario
from detente.scenario.voting_schema import VotingRule

__all__ = ["PowerResult", "power_indices", "power_table", "voting_power"]


def voting_power(scenario: Scenario | str | None = None, *, method: str = "auto") -> PowerResult:
    """The exact power indices of the scenario's ``voting:`` rule (an error when it has none)."""
    from detente.api import load

    sc = scenario if isinstance(scenario, Scenario) else load(scenario)
    if sc.voting is None:
        raise DetenteError(
            f"scenario {sc.meta.id or sc.meta.title!r} states no voting rule (a 'voting:' section)"
        )
    return power_indices(sc.voting, method=method)


def rule(data: dict[str, Any] | VotingRule) -> VotingRule:
    """A VotingRule from a mapping (the ``voting:`` section's shape), checked."""
    if isinstance(data, VotingRule):
        return data
    from pydantic import ValidationError

    try:
        return VotingRule.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "voting"
        raise DetenteError(f"voting rule: {where}: {first['msg']}") from None


def power_table(scenario: Scenario, result: PowerResult) -> list[dict[str, Any]]:
    """One row per voter: the indices, and the capability of the actor of that id, if any."""
    caps = {a.id: a.capability.value for a in scenario.actors}
    return [{"voter": v, "capability": caps.get(v), **result.index(v)} for v in result.voters]
