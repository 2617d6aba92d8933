"""The scenario file's ``war:`` and ``claims:`` sections.

``war:`` names the two belligerents, sets the war model's parameters (each an :class:`Estimate`
with its source and uncertainty; unset ones take the defaults of :data:`PARAMETERS`) and may define
policy mixes (scheduled lever events) beside the built-in ones. ``claims:`` holds checkable
statements over the model's outputs, written in the small language of
:mod:`detente.analysis.claims` (parsed, never evaluated as Python).

This module must not import schema.py (schema.py imports it); Estimate lives in estimate.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from detente.scenario.estimate import Estimate, ShortText, _Strict

Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]


@dataclass(frozen=True)
class ParamInfo:
    """A war-model parameter: default, the range draws are truncated to, unit and meaning."""

    default: float
    low: float
    high: float
    unit: str
    doc: str


_INF = float("inf")

# The war model's parameters. Units: a month is the time step; control and terms are shares of the
# contested territory (0 = the defender holds all of it, 1 = the attacker holds all it claims);
# weighted costs are in the same units as the prize (share of the contested territory per month);
# capacity is in arbitrary units (the attacker's is about 1 at the start with the defaults).
PARAMETERS: dict[str, ParamInfo] = {
    # battlefield
    "control0": ParamInfo(0.5, 0.0, 1.0, "share", "attacker's share of the contested territory"),
    "theta": ParamInfo(0.0, -0.1, 0.1, "share/month", "true drift of control at equal capacities"),
    "kappa": ParamInfo(
        0.005, 0.0, 1.0, "share/month", "drift per unit of ln(attacker / defender capacity)"
    ),
    "sigma": ParamInfo(0.005, 1e-6, 0.5, "share/month", "sd of the monthly change of control"),
    "front_steps": ParamInfo(
        0.0,
        0.0,
        1000.0,
        "steps",
        "0: control moves continuously; N > 0: it moves +-1/N a month (a fight-to-the-finish "
        "random walk with P(up) = 1/2 + N * drift / 2)",
    ),
    # capacities
    "attrition": ParamInfo(0.05, 0.0, 1.0, "1/month", "share of each side's capacity used up"),
    "invest_A": ParamInfo(0.0025, 0.0, _INF, "cap per bn USD", "attacker capacity per revenue"),
    "dual_use": ParamInfo(0.0, 0.0, _INF, "cap/month", "third-party dual-use inflow to attacker"),
    "own_D": ParamInfo(0.02, 0.0, _INF, "cap/month", "defender's own capacity inflow"),
    "aid": ParamInfo(0.02, 0.0, _INF, "cap/month", "military aid to the defender"),
    "cap_noise": ParamInfo(0.0, 0.0, 2.0, "sd", "multiplicative noise on capacity inflows"),
    # the economy of the war (attacker's oil revenue)
    "oil_volume": ParamInfo(7.0, 0.0, 50.0, "mb/d", "attacker's oil export volume"),
    "oil_price": ParamInfo(65.0, 0.0, 500.0, "USD/bbl", "world oil price"),
    "discount": ParamInfo(10.0, 0.0, 500.0, "USD/bbl", "discount on the attacker's oil"),
    "sanction_discount": ParamInfo(
        15.0, 0.0, 500.0, "USD/bbl", "extra discount at full sanctions (level 1)"
    ),
    "sanctions": ParamInfo(0.0, 0.0, 1.0, "level", "share of export volume sanctions hit"),
    "absorb": ParamInfo(0.0, 0.0, 1.0, "share", "share of sanctioned volume third parties buy"),
    "secondary": ParamInfo(0.0, 0.0, 1.0, "level", "secondary sanctions on the buyers"),
    "secondary_effect": ParamInfo(
        0.7, 0.0, 1.0, "share", "cut in third-party purchases and dual-use at full secondary"
    ),
    # costs
    "casualties_A": ParamInfo(10.0, 0.0, _INF, "1000/month", "attacker casualties"),
    "casualties_D": ParamInfo(10.0, 0.0, _INF, "1000/month", "defender casualties"),
    "money_A": ParamInfo(5.0, 0.0, _INF, "bn USD/month", "attacker's war spending"),
    "money_D": ParamInfo(5.0, 0.0, _INF, "bn USD/month", "defender's own war spending"),
    "w_casualties_A": ParamInfo(1e-4, 0.0, _INF, "prize per 1000", "attacker's casualty weight"),
    "w_casualties_D": ParamInfo(1e-4, 0.0, _INF, "prize per 1000", "defender's casualty weight"),
    "w_money_A": ParamInfo(1e-4, 0.0, _INF, "prize per bn", "attacker's money weight"),
    "w_money_D": ParamInfo(1e-4, 0.0, _INF, "prize per bn", "defender's money weight"),
    "fiscal_strain": ParamInfo(
        1.0, 0.0, 100.0, "x", "rise of the attacker's money weight per unit of lost revenue share"
    ),
    "rally": ParamInfo(
        0.0,
        0.0,
        1.0,
        "share",
        "rally round the flag: fall of the attacker's cost sensitivity at full sanctions",
    ),
    # beliefs
    "horizon": ParamInfo(24.0, 1.0, 600.0, "months", "how far ahead each side weighs fighting on"),
    "optimism_A": ParamInfo(0.0, -0.1, 0.1, "share/month", "attacker's prior bias on theta"),
    "optimism_D": ParamInfo(0.0, -0.1, 0.1, "share/month", "defender's prior bias (toward it)"),
    "prior_sd_A": ParamInfo(0.003, 0.0, 1.0, "share/month", "sd of attacker's prior on theta"),
    "prior_sd_D": ParamInfo(0.003, 0.0, 1.0, "share/month", "sd of defender's prior on theta"),
    "resolve_a": ParamInfo(3.0, 1e-3, 1e4, "count", "Beta a: attacker's belief backers hold"),
    "resolve_b": ParamInfo(1.0, 1e-3, 1e4, "count", "Beta b: attacker's belief backers fold"),
    "cred_a": ParamInfo(1.0, 1e-3, 1e4, "count", "Beta a: threats are carried out"),
    "cred_b": ParamInfo(1.0, 1e-3, 1e4, "count", "Beta b: threats are not carried out"),
    "summit_weight": ParamInfo(1.0, 0.0, 100.0, "count", "resolve-Beta b added by a summit"),
    "concession_weight": ParamInfo(2.0, 0.0, 100.0, "count", "resolve-Beta b per concession"),
    "resolve_signal": ParamInfo(
        0.5,
        0.0,
        100.0,
        "count",
        "resolve-Beta a (b) added by a kept (missed) threat, new aid, "
        "sanction or secondary sanction",
    ),
    # lever sizes the built-in policy mixes refer to (so that they carry uncertainty too)
    "threat_size": ParamInfo(0.3, 0.0, 1.0, "level", "sanctions level a threat promises"),
    "enforce_weak": ParamInfo(0.1, 0.0, 1.0, "prob", "P(carried out) of a threat in 'pressure'"),
    "enforce_strong": ParamInfo(
        0.9, 0.0, 1.0, "prob", "P(carried out) of a threat in 'credible-pressure'"
    ),
    "secondary_step": ParamInfo(0.5, 0.0, 1.0, "level", "secondary sanctions a mix imposes"),
    "aid_step": ParamInfo(0.005, 0.0, _INF, "cap/month", "aid a pressure mix adds"),
    "concession_size": ParamInfo(1.0, 0.0, 100.0, "x", "size of a summit or concession"),
}

EVENT_KINDS = (
    "threat",  # sanctions threatened with a deadline; carried out with probability `enforce`
    "sanction",  # sanctions level += intensity
    "secondary",  # secondary sanctions on buyers += intensity
    "aid",  # military aid to the defender += intensity (capacity per month; may be negative)
    "summit",  # a summit / red carpet: read as evidence of low resolve (x intensity)
    "concession",  # a public concession (e.g. ruling out NATO): evidence of low resolve
    "purchases",  # third-party purchases: share of sanctioned volume absorbed += intensity
    "dual_use",  # third-party dual-use exports to the attacker += intensity (capacity per month)
)
EventKind = Literal[
    "threat", "sanction", "secondary", "aid", "summit", "concession", "purchases", "dual_use"
]

Number = Estimate | Name


class EventSpec(_Strict):
    """A scheduled policy lever.

    ``intensity`` and ``enforce`` are numbers (Estimates) or the name of a war parameter (so that a
    mix can share a scenario-level uncertain quantity, e.g. ``intensity: threat_size``). A number's
    own uncertainty is not drawn: to give a lever uncertainty, refer to a war parameter.
    Units of ``intensity``: sanctions levels (threat, sanction, secondary), capacity per month
    (aid, dual_use), a share (purchases), a multiple of the weight (summit, concession).
    """

    kind: EventKind
    month: int = Field(ge=1, le=10_000)
    intensity: Number = Field(default_factory=lambda: Estimate(value=1.0))
    deadline: int = Field(default=1, ge=1, le=1_000, description="threats: months to deadline")
    enforce: Number = Field(
        default_factory=lambda: Estimate(value=1.0),
        description="threats: probability the threatened sanction is carried out",
    )
    every: int | None = Field(default=None, ge=1, le=1_000, description="repeat every N months")
    until: int | None = Field(default=None, ge=1, le=10_000, description="last repeat month")
    note: ShortText | None = None


class PolicySpec(_Strict):
    """A named policy mix: scheduled events, optionally on top of another mix (``base``)."""

    description: ShortText | None = None
    base: Name | None = None
    events: list[EventSpec] = Field(default_factory=list, max_length=1_000)


class WarSpec(_Strict):
    """The war model's section of a scenario."""

    attacker: Name = "A"
    defender: Name = "D"
    description: ShortText | None = None
    parameters: dict[Name, Estimate] = Field(default_factory=dict)
    policies: dict[Name, PolicySpec] = Field(default_factory=dict, max_length=1_000)

    @field_validator("parameters")
    @classmethod
    def _known(cls, value: dict[str, Estimate]) -> dict[str, Estimate]:
        for name, est in value.items():
            info = PARAMETERS.get(name)
            if info is None:
                raise ValueError(
                    f"unknown war parameter {name!r}; the parameters are: " + ", ".join(PARAMETERS)
                )
            lo = est.low if est.low is not None else est.value
            hi = est.high if est.high is not None else est.value
            if not (info.low <= lo and hi <= info.high):
                raise ValueError(
                    f"war parameter {name!r} = {est.value:g} (range [{lo:g}, {hi:g}]) must lie "
                    f"within [{info.low:g}, {info.high:g}] ({info.doc})"
                )
        return value

    @model_validator(mode="after")
    def _references(self) -> WarSpec:
        for pname, policy in self.policies.items():
            for e, event in enumerate(policy.events):
                for field in ("intensity", "enforce"):
                    ref = getattr(event, field)
                    if isinstance(ref, str) and ref not in PARAMETERS:
                        raise ValueError(
                            f"policies.{pname}.events[{e}].{field}: {ref!r} is neither a number "
                            "nor a war parameter"
                        )
        return self

    def estimate(self, name: str) -> Estimate:
        """The parameter's Estimate: the scenario's, or the default without uncertainty."""
        if name in self.parameters:
            return self.parameters[name]
        return Estimate(value=PARAMETERS[name].default, source="detente default")


class ClaimSpec(_Strict):
    """A checkable statement over the war model's outputs (see detente.analysis.claims)."""

    id: Name
    text: ShortText = Field(description="the claim in words")
    statement: Annotated[str, Field(min_length=1, max_length=2_000)]
    source: ShortText | None = None
    months: int | None = Field(default=None, ge=1, le=600, description="months to simulate")
