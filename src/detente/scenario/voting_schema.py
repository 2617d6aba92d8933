"""A weighted voting rule (the ``voting:`` section): who votes, with what weights, and what wins.

A coalition wins when, for every criterion, the sum of its members' weights reaches the
criterion's quota (an absolute ``quota`` or a ``share`` of the total weight), or when fewer than
``blocking_minority`` voters are outside it. The EU Council's qualified majority (TFEU art. 16(4),
in force since 2014): 55% of the members (``weights`` omitted: one each) and 65% of the
population, and a blocking minority needs at least four members::

    voting:
      name: "Council of the EU, qualified majority"
      voters: [DEU, FRA, ITA, ...]
      criteria:
        - {name: members, share: 0.55}
        - {name: population, share: 0.65, weights: {DEU: 83.4, FRA: 68.4, ...}}
      blocking_minority: 4

Voters need not be the scenario's actors; those that are get their power shown beside their
capability in ``detente forecast``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

VoterId = Annotated[
    str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
]
Weight = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class VotingCriterion(BaseModel):
    """One threshold a winning coalition must reach."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(max_length=200)] = "votes"
    weights: dict[VoterId, Weight] | None = None
    quota: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    share: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] | None = None

    @model_validator(mode="after")
    def _one_threshold(self) -> VotingCriterion:
        if (self.quota is None) == (self.share is None):
            raise ValueError("give either a quota (absolute) or a share (of the total weight)")
        return self


class VotingRule(BaseModel):
    """A weighted voting body (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(max_length=200)] = "voting rule"
    voters: list[VoterId] = Field(min_length=1, max_length=60)
    criteria: list[VotingCriterion] = Field(min_length=1, max_length=4)
    blocking_minority: Annotated[int, Field(ge=1)] | None = None
    source: Annotated[str, Field(max_length=500)] | None = None

    @model_validator(mode="after")
    def _weights_cover_the_voters(self) -> VotingRule:
        if len(set(self.voters)) != len(self.voters):
            raise ValueError("a voter is listed twice")
        voters = set(self.voters)
        for c, crit in enumerate(self.criteria):
            if crit.weights is None:
                continue
            missing = sorted(voters - set(crit.weights))
            extra = sorted(set(crit.weights) - voters)
            if missing or extra:
                raise ValueError(
                    f"criteria[{c}] ({crit.name}): weights must name exactly the voters"
                    + (f"; missing {missing[:5]}" if missing else "")
                    + (f"; not voters {extra[:5]}" if extra else "")
                )
            if crit.quota is not None and crit.quota > sum(crit.weights.values()):
                raise ValueError(
                    f"criteria[{c}] ({crit.name}): the quota {crit.quota:g} exceeds the total "
                    "weight, so no coalition could win"
                )
        return self

    def weights(self, criterion: int) -> list[float]:
        """The weights of criterion ``criterion`` in the order of ``voters``."""
        crit = self.criteria[criterion]
        if crit.weights is None:
            return [1.0] * len(self.voters)
        return [float(crit.weights[v]) for v in self.voters]
