"""The scenario schema: actors, issues, positions, saliences, capabilities.

Each value carries its uncertainty and its source.

Every number is an :class:`Estimate`: a value, optionally an uncertainty (``sd``, or
``low``/``high``) and a ``source`` note. A bare number in a file is an Estimate without uncertainty.
"""

from __future__ import annotations

import datetime as _dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from detente.scenario.correlations_schema import CorrelationSpec
from detente.scenario.estimate import Estimate, FiniteFloat
from detente.scenario.interventions_schema import InterventionSpec
from detente.scenario.voting_schema import VotingRule
from detente.scenario.war_schema import ClaimSpec, WarSpec

Identifier = Annotated[
    str,
    Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"),
]
ShortText = Annotated[str, Field(max_length=500)]
LongText = Annotated[str, Field(max_length=20_000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    """A cited source."""

    title: ShortText
    url: ShortText | None = None
    date: ShortText | None = None
    note: ShortText | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        return {"title": data} if isinstance(data, str) else data


class Meta(_Strict):
    """What the scenario is and where its numbers come from."""

    id: Identifier | None = None
    title: ShortText
    date: ShortText | None = None
    description: LongText | None = None
    sources: list[Source] = Field(default_factory=list)

    @field_validator("date", mode="before")
    @classmethod
    def _date_as_text(cls, value: Any) -> Any:
        # YAML reads an unquoted 2025-09-09 as a date; keep it as the text the user wrote.
        if isinstance(value, _dt.date):
            return value.isoformat()
        return value


class Scale(_Strict):
    """An issue's scale: two numeric ends, each with a label."""

    low: FiniteFloat = 0.0
    high: FiniteFloat = 100.0
    low_label: ShortText = "low"
    high_label: ShortText = "high"

    @model_validator(mode="after")
    def _width(self) -> Scale:
        if not self.high > self.low:
            raise ValueError(
                f"the scale's high end ({self.high:g}) must be greater than its low end "
                f"({self.low:g}): a scale of zero or negative width has no positions"
            )
        return self

    def nearest_label(self, x: float) -> str:
        """The label of the end nearer to ``x`` (the midpoint counts as the low end's)."""
        return self.high_label if x > (self.low + self.high) / 2 else self.low_label


class Issue(_Strict):
    """An issue on the table."""

    id: Identifier
    name: ShortText
    description: LongText | None = None
    scale: Scale = Field(default_factory=Scale)
    reference: Estimate | None = Field(
        default=None, description="the status quo / reference point (disagreement outcome)"
    )
    unit: ShortText | None = None


class Actor(_Strict):
    """An actor: its capability, and per issue its position and salience."""

    id: Identifier
    name: ShortText
    description: LongText | None = None
    capability: Estimate
    positions: dict[Identifier, Estimate]
    saliences: dict[Identifier, Estimate]
    group: ShortText | None = None


class Scenario(_Strict):
    """A whole scenario: metadata, issues, actors, and optionally a war model and claims."""

    meta: Meta
    issues: list[Issue] = Field(min_length=1, max_length=1_000)
    actors: list[Actor] = Field(min_length=1, max_length=10_000)
    war: WarSpec | None = None
    claims: list[ClaimSpec] = Field(default_factory=list)
    interventions: list[InterventionSpec] = Field(default_factory=list)
    outcomes: dict[Identifier, Estimate] | None = Field(
        default=None,
        description="for a past negotiation: the known outcome per issue, on the issue's scale "
        "(used by backtests; cite it in the Estimate's source)",
    )
    correlations: list[CorrelationSpec] = Field(
        default_factory=list,
        max_length=1_000,
        description="rank correlations between uncertain inputs, drawn by a Gaussian copula",
    )
    voting: VotingRule | None = Field(
        default=None, description="a weighted voting rule (power indices beside capability)"
    )

    @property
    def actor_ids(self) -> tuple[str, ...]:
        return tuple(a.id for a in self.actors)

    @property
    def issue_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.issues)

    def issue(self, issue_id: str) -> Issue:
        for issue in self.issues:
            if issue.id == issue_id:
                return issue
        raise KeyError(issue_id)

    def actor(self, actor_id: str) -> Actor:
        for actor in self.actors:
            if actor.id == actor_id:
                return actor
        raise KeyError(actor_id)
