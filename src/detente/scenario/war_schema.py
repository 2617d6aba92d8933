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

from pydantic import Field

from detente.scenario.errors import NO_VALUE, ScenarioError
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
# costs are in units of the prize (the whole contested territory) per month; capacities are COW
# CINC shares (National Material Capabilities), so that the calibration on COW wars carries over.
# The STRUCTURAL parameters are fitted on the COW wars before 1946 (detente.war.calibration): a
# scenario that leaves them unset runs on the calibrated draws (the prior); one that sets them
# fixes them. Every other parameter is specific to a war and comes from the scenario.
STRUCTURAL = (
    "beta",
    "tau",
    "sigma",
    "battle_rate",
    "cost",
    "mobil0",
    "mobil_rate",
    "rate_disp",
)

PARAMETERS: dict[str, ParamInfo] = {
    # structural (calibrated; defaults are the medians of the shipped draws, see calibration)
    "beta": ParamInfo(
        0.3, 0.0, 3.0, "probit/ln", "drift per unit of ln(attacker / defender capacity)"
    ),
    "tau": ParamInfo(0.15, 0.0, 2.0, "share/month", "sd of each side's private strength type"),
    "sigma": ParamInfo(0.2, 0.01, 2.0, "share/month", "sd of a battle month's change of control"),
    "battle_rate": ParamInfo(0.6, 0.01, 1.0, "prob", "probability a month sees decisive fighting"),
    "cost": ParamInfo(0.01, 0.0, 1.0, "prize/month", "cost of a month of war at equal capacities"),
    "mobil0": ParamInfo(0.6, 0.05, 1.0, "share", "defender's mobilised share of capacity at start"),
    "mobil_rate": ParamInfo(0.1, 0.0, 2.0, "1/month", "rate at which the defender mobilises"),
    "rate_disp": ParamInfo(
        0.0, 0.0, 3.0, "sd", "spread of a path's battle rate (lognormal sd around battle_rate)"
    ),
    # the war itself
    "capability_A": ParamInfo(0.1, 1e-6, 1.0, "CINC", "attacker's capability (COW CINC share)"),
    "capability_D": ParamInfo(0.1, 1e-6, 1.0, "CINC", "defender's own capability (COW CINC)"),
    "control0": ParamInfo(0.5, 0.01, 0.99, "share", "attacker's share of the contested territory"),
    "elapsed": ParamInfo(
        0.0,
        0.0,
        600.0,
        "months",
        "months the war has lasted at the forecast point (paths that ended before are left out)",
    ),
    "delta": ParamInfo(0.99, 0.5, 1.0, "1/month", "monthly discount factor (commitment check)"),
    "window": ParamInfo(
        12.0, 1.0, 120.0, "months", "how far ahead a side looks for a shift of power (Powell 2006)"
    ),
    "aid": ParamInfo(0.0, 0.0, 1.0, "CINC", "outside military aid to the defender in force"),
    "aid_lag": ParamInfo(6.0, 1.0, 60.0, "months", "months new aid takes to arrive in full"),
    "support_A": ParamInfo(0.0, 0.0, 1.0, "CINC", "third parties' support of the attacker"),
    "sanctions": ParamInfo(0.0, 0.0, 1.0, "level", "sanctions in force on the attacker"),
    "sanction_effect": ParamInfo(
        0.2, 0.0, 1.0, "share", "share of the attacker's capability full sanctions remove"
    ),
    "sanction_lag": ParamInfo(12.0, 1.0, 120.0, "months", "months sanctions take to bite in full"),
    "secondary_effect": ParamInfo(
        0.6, 0.0, 1.0, "share", "share of third-party support full secondary sanctions cut"
    ),
    # the backers' resolve: a private type (P(aid goes on another month)) drawn per path from
    # Beta(resolve_a, resolve_b); the attacker's belief about it starts at the same Beta
    "resolve_a": ParamInfo(20.0, 0.1, 1e4, "count", "Beta a of the backers' monthly resolve"),
    "resolve_b": ParamInfo(1.0, 0.1, 1e4, "count", "Beta b of the backers' monthly resolve"),
    "cred_a": ParamInfo(1.0, 0.1, 1e4, "count", "Beta a: threats are carried out"),
    "cred_b": ParamInfo(1.0, 0.1, 1e4, "count", "Beta b: threats are not carried out"),
    "resolve_signal": ParamInfo(
        1.0,
        0.0,
        100.0,
        "count",
        "resolve-Beta a (b) added by new aid, sanctions or a kept (missed) threat",
    ),
    "concession_weight": ParamInfo(
        2.0, 0.0, 100.0, "count", "resolve-Beta b added by a concession or summit (x size)"
    ),
    "stake_cut": ParamInfo(
        0.05, 0.0, 1.0, "share", "share of the stakes a concession of size 1 gives away"
    ),
    # lever sizes the built-in policy mixes refer to
    "threat_size": ParamInfo(0.3, 0.0, 1.0, "level", "sanctions level a threat promises"),
    "enforce_weak": ParamInfo(0.1, 0.0, 1.0, "prob", "P(carried out) of a threat in 'pressure'"),
    "enforce_strong": ParamInfo(
        0.9, 0.0, 1.0, "prob", "P(carried out) of a threat in 'credible-pressure'"
    ),
    "secondary_step": ParamInfo(0.5, 0.0, 1.0, "level", "secondary sanctions a mix imposes"),
    "aid_step": ParamInfo(0.005, 0.0, 1.0, "CINC", "aid a mix adds"),
    "concession_size": ParamInfo(1.0, 0.0, 10.0, "x", "size of a summit or concession"),
}

EVENT_KINDS = (
    "threat",  # sanctions threatened with a deadline; carried out with probability `enforce`
    "sanction",  # sanctions level += intensity
    "secondary",  # secondary sanctions on buyers += intensity
    "aid",  # military aid to the defender += intensity (CINC; arrives over aid_lag months)
    "summit",  # a summit / red carpet: read as evidence of low resolve (x intensity)
    "concession",  # a public concession: evidence of low resolve AND lower stakes (x intensity)
    "purchases",  # third-party support of the attacker += intensity x support_A (a share)
    "dual_use",  # third-party dual-use exports: support of the attacker += intensity (CINC)
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


# The built-in policy mixes (detente.war.policies.BUILTIN_POLICIES; a test keeps the two equal):
# a scenario mix's ``base`` must name one of them or one of the scenario's own mixes.
BUILTIN_MIXES = (
    "status-quo",
    "appeasement",
    "pressure",
    "credible-pressure",
    "secondary-sanctions",
    "more-aid",
)
# Event kinds whose intensity is a size that cannot be negative (a threat of negative sanctions,
# a negative summit or concession mean nothing; the model would silently read them as 0). The
# other kinds change a level, and a negative intensity lowers it (sanctions lifted, aid cut).
NONNEGATIVE_KINDS = ("threat", "summit", "concession")


def check_war(war: WarSpec | None, actor_ids: list[str] | tuple[str, ...], file: str = "") -> None:
    """The war section's rules, each broken one a :class:`ScenarioError` that names the file,
    the field, the value and the rule (``FILE: war.FIELD = VALUE: rule``): known parameter names
    within their ranges, both sides actors of the scenario and different, policy mixes whose
    ``base`` exists and does not loop, event intensities that refer to a war parameter or (for
    threats, summits and concessions) are not negative, enforcement probabilities in [0, 1]."""
    if war is None:
        return
    for name, est in war.parameters.items():
        info = PARAMETERS.get(name)
        if info is None:
            raise ScenarioError(
                file,
                f"war.parameters.{name}",
                NO_VALUE,
                "is not a war parameter; the parameters are: " + ", ".join(PARAMETERS),
            )
        lo = est.low if est.low is not None else est.value
        hi = est.high if est.high is not None else est.value
        if not (info.low <= lo and hi <= info.high):
            shown = est.value if lo == hi else [lo, hi]
            raise ScenarioError(
                file,
                f"war.parameters.{name}",
                shown,
                f"must lie within [{info.low:g}, {info.high:g}] ({info.doc})",
            )
    ids = list(actor_ids)
    for role in ("attacker", "defender"):
        who = getattr(war, role)
        if who not in ids:
            given = "" if role in war.model_fields_set else " (not given: the default)"
            raise ScenarioError(
                file,
                f"war.{role}",
                who,
                f"is not an actor of the scenario{given}; the actors are: {', '.join(ids[:20])}",
            )
    if war.attacker == war.defender:
        raise ScenarioError(
            file, "war.defender", war.defender, "is also the attacker; a war needs two sides"
        )
    mixes = set(BUILTIN_MIXES) | set(war.policies)
    for pname, policy in war.policies.items():
        if policy.base is not None and policy.base not in mixes:
            raise ScenarioError(
                file,
                f"war.policies.{pname}.base",
                policy.base,
                "is not a policy mix; the mixes are: " + ", ".join([*BUILTIN_MIXES, *war.policies]),
            )
        chain = [pname]
        current = policy.base
        while current is not None and current in war.policies:
            if current in chain:
                raise ScenarioError(
                    file,
                    f"war.policies.{pname}.base",
                    policy.base,
                    "makes the mixes' base chain loop: " + " -> ".join([*chain, current]),
                )
            chain.append(current)
            current = war.policies[current].base
        for e, event in enumerate(policy.events):
            where = f"war.policies.{pname}.events[{e}]"
            for field in ("intensity", "enforce"):
                ref = getattr(event, field)
                if isinstance(ref, str) and ref not in PARAMETERS:
                    raise ScenarioError(
                        file,
                        f"{where}.{field}",
                        ref,
                        "is neither a number nor the name of a war parameter",
                    )
            size = event.intensity
            if (
                event.kind in NONNEGATIVE_KINDS
                and isinstance(size, Estimate)
                and min(size.value, size.low if size.low is not None else size.value) < 0
            ):
                raise ScenarioError(
                    file,
                    f"{where}.intensity",
                    size.value,
                    f"a {event.kind}'s intensity must be >= 0 (the kinds that take a negative "
                    "intensity, to lower a level: sanction, secondary, aid, purchases, dual_use)",
                )
            enf = event.enforce
            if isinstance(enf, Estimate) and not 0.0 <= enf.value <= 1.0:
                raise ScenarioError(
                    file,
                    f"{where}.enforce",
                    enf.value,
                    "is a probability: it must lie in [0, 1]",
                )
