"""Policy mixes: named schedules of lever events, built in or defined in the scenario file.

A mix only schedules events (threats, sanctions, aid, summits, concessions, third-party support);
what an event does is decided by the model's mechanisms in :mod:`detente.war.model`. The built-in
mixes take their sizes from war parameters (``threat_size``, ``enforce_weak`` ...), so the claims
check draws them from their uncertainty like every other parameter.

Overriding a lever's intensity (e.g. a web slider): pass ``levers={"threat": 2.0}`` to
:func:`detente.war.simulate` to multiply every threat's intensity by 2, or override the parameter
a mix refers to, e.g. ``params={"threat_size": 0.5, "enforce_strong": 0.6}``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detente.scenario.errors import DetenteError
from detente.scenario.estimate import Estimate
from detente.scenario.war_schema import EventSpec, PolicySpec, WarSpec


def _ev(kind: str, month: int, intensity: str | float = 1.0, **kw: object) -> EventSpec:
    value = Estimate(value=intensity) if isinstance(intensity, int | float) else intensity
    return EventSpec(kind=kind, month=month, intensity=value, **kw)  # type: ignore[arg-type]


BUILTIN_POLICIES: dict[str, PolicySpec] = {
    "status-quo": PolicySpec(
        description="levels in force at the start are kept; nothing new is done",
    ),
    "appeasement": PolicySpec(
        description="a summit every 6 months and public concessions in months 2 and 4 (each "
        "lowers the stakes and is read as low resolve); no new pressure",
        events=[
            _ev("summit", 1, "concession_size", every=6),
            _ev("concession", 2, "concession_size"),
            _ev("concession", 4, "concession_size"),
        ],
    ),
    "pressure": PolicySpec(
        description="sanctions threatened every 2 months with one-month deadlines, rarely "
        "carried out (P = enforce_weak)",
        events=[_ev("threat", 1, "threat_size", deadline=1, enforce="enforce_weak", every=2)],
    ),
    "credible-pressure": PolicySpec(
        description="the same threats, carried out with P = enforce_strong; nothing else changed",
        events=[_ev("threat", 1, "threat_size", deadline=1, enforce="enforce_strong", every=2)],
    ),
    "secondary-sanctions": PolicySpec(
        description="credible pressure plus secondary sanctions on third parties' support",
        base="credible-pressure",
        events=[_ev("secondary", 1, "secondary_step")],
    ),
    "more-aid": PolicySpec(
        description="more military aid to the defender from month 1 (arrives over aid_lag)",
        events=[_ev("aid", 1, "aid_step")],
    ),
}


@dataclass(frozen=True)
class Event:
    """A lever event at a month, its intensity and (threats) deadline and enforcement prob.

    ``intensity``/``enforce`` are floats or arrays of shape (paths,) (drawn parameters).
    ``index`` numbers the threats of a mix so each draws its enforcement from its own stream.
    """

    kind: str
    month: int
    intensity: float | np.ndarray
    deadline: int = 1
    enforce: float | np.ndarray = 1.0
    index: int = 0


def policy_names(spec: WarSpec | None) -> list[str]:
    """Built-in mixes first, then the scenario's own (a scenario mix may replace a built-in)."""
    names = list(BUILTIN_POLICIES)
    if spec is not None:
        names += [n for n in spec.policies if n not in BUILTIN_POLICIES]
    return names


def get_policy(spec: WarSpec | None, name: str) -> PolicySpec:
    """The mix called ``name``: the scenario's definition wins over a built-in one."""
    if spec is not None and name in spec.policies:
        return spec.policies[name]
    if name in BUILTIN_POLICIES:
        return BUILTIN_POLICIES[name]
    raise DetenteError(
        f"unknown policy mix {name!r}; the mixes are: {', '.join(policy_names(spec))}"
    )


def policy_events(spec: WarSpec | None, name: str) -> list[EventSpec]:
    """A mix's events, with its ``base`` chain's events first."""
    chain: list[str] = []
    current: str | None = name
    while current is not None:
        if current in chain:
            raise DetenteError(f"policy mix {name!r}: its 'base' chain loops ({current!r})")
        chain.append(current)
        current = get_policy(spec, current).base
    events: list[EventSpec] = []
    for link in reversed(chain):
        events += get_policy(spec, link).events
    return events


def resolve_events(
    spec: WarSpec | None,
    name: str,
    months: int,
    params: dict[str, float | np.ndarray],
    levers: dict[str, float] | None = None,
) -> list[Event]:
    """Expand repeats up to ``months`` and look up parameter references; apply lever scaling."""
    from detente.scenario.war_schema import EVENT_KINDS

    levers = dict(levers or {})
    for k, v in levers.items():
        if not np.isfinite(v) or v < 0:
            raise DetenteError(f"lever {k!r}: the factor must be a non-negative number, not {v}")
    for kind in levers:
        if kind not in EVENT_KINDS:
            raise DetenteError(f"unknown lever {kind!r}; the levers are: {', '.join(EVENT_KINDS)}")
    out: list[Event] = []
    threats = 0
    for ev in policy_events(spec, name):
        intensity = _number(ev.intensity, params) * float(levers.get(ev.kind, 1.0))
        enforce = _number(ev.enforce, params)
        last = min(months, ev.until if ev.until is not None else months)
        step = ev.every or 10**9
        month = ev.month
        while month <= last:
            index = threats if ev.kind == "threat" else 0
            threats += ev.kind == "threat"
            out.append(Event(ev.kind, month, intensity, ev.deadline, enforce, index))
            month += step
    return out


def _number(value: Estimate | str, params: dict[str, float | np.ndarray]) -> float | np.ndarray:
    if isinstance(value, str):
        return params[value]
    return float(value.value)
