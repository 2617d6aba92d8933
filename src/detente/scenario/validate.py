"""Rules that span fields: ids unique, every actor placed on every issue, positions on the scale."""

from __future__ import annotations

from detente.scenario.errors import NO_VALUE, ScenarioError
from detente.scenario.schema import Scenario


def check_scenario(scenario: Scenario, file: str = "") -> Scenario:
    """Check the cross-field rules; raise ScenarioError naming the first broken one."""
    _unique([i.id for i in scenario.issues], "issues", file)
    _unique([a.id for a in scenario.actors], "actors", file)
    issue_ids = [i.id for i in scenario.issues]
    known = set(issue_ids)
    for i, issue in enumerate(scenario.issues):
        ref = issue.reference
        if ref is not None and not issue.scale.low <= ref.value <= issue.scale.high:
            raise ScenarioError(
                file,
                f"issues[{i}].reference",
                ref.value,
                f"must lie on the issue's scale [{issue.scale.low:g}, {issue.scale.high:g}]",
            )
    for a, actor in enumerate(scenario.actors):
        if actor.capability.value < 0:
            raise ScenarioError(
                file, f"actors[{a}].capability", actor.capability.value, "must be >= 0"
            )
        for issue_id, est in actor.saliences.items():
            if not 0.0 <= est.value <= 1.0:
                raise ScenarioError(
                    file,
                    f"actors[{a}].saliences.{issue_id}",
                    est.value,
                    "a salience must be in [0, 1]",
                )
        for table in ("positions", "saliences"):
            values = getattr(actor, table)
            for issue_id in values:
                if issue_id not in known:
                    raise ScenarioError(
                        file,
                        f"actors[{a}].{table}.{issue_id}",
                        NO_VALUE,
                        f"names an unknown issue; the issues are: {', '.join(issue_ids)}",
                    )
            for issue_id in issue_ids:
                if issue_id not in values:
                    raise ScenarioError(
                        file,
                        f"actors[{a}].{table}.{issue_id}",
                        NO_VALUE,
                        f"is missing: actor {actor.id!r} needs a {table[:-1]} on every issue",
                    )
        for k, issue in enumerate(scenario.issues):
            pos = actor.positions[issue.id]
            lo, hi = issue.scale.low, issue.scale.high
            if not lo <= pos.value <= hi:
                raise ScenarioError(
                    file,
                    f"actors[{a}].positions.{issue.id}",
                    pos.value,
                    f"must lie on the issue's scale [{lo:g}, {hi:g}] (issues[{k}].scale)",
                )
    _check_outcomes(scenario, file)
    from detente.scenario.correlations_schema import check_correlations

    check_correlations(scenario, file)
    from detente.scenario.war_schema import check_war

    check_war(scenario.war, [a.id for a in scenario.actors], file)
    return scenario


def _check_outcomes(scenario: Scenario, file: str) -> None:
    # A backtest's known outcome must name an issue and lie on that issue's scale.
    issue_ids = [i.id for i in scenario.issues]
    for issue_id, est in (scenario.outcomes or {}).items():
        if issue_id not in issue_ids:
            raise ScenarioError(
                file,
                f"outcomes.{issue_id}",
                NO_VALUE,
                f"names an unknown issue; the issues are: {', '.join(issue_ids)}",
            )
        scale = scenario.issue(issue_id).scale
        if not scale.low <= est.value <= scale.high:
            raise ScenarioError(
                file,
                f"outcomes.{issue_id}",
                est.value,
                f"must lie on the issue's scale [{scale.low:g}, {scale.high:g}]",
            )


def _unique(ids: list[str], where: str, file: str) -> None:
    seen: dict[str, int] = {}
    for n, ident in enumerate(ids):
        if ident in seen:
            raise ScenarioError(
                file,
                f"{where}[{n}].id",
                ident,
                f"duplicates {where}[{seen[ident]}].id: ids must be unique",
            )
        seen[ident] = n
