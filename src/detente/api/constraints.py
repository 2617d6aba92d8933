"""Every option and number a user gives, checked in one place before any work starts.

The CLI, the Python API and the web app call these checks; each failure is a
:class:`ConstraintError` (a :class:`~detente.scenario.errors.DetenteError`: one line, exit 2) in the
words scikit-learn uses for its parameter validation::

    The 'seed' parameter of forecast must be an integer in [0, 9223372036854775807]. Got -1 instead.

* :data:`OPTIONS` declares each command's numeric options (seeds in 0 ... 2^63 - 1, the range
  SQLite and numpy's SeedSequence both take; counts at least 1; months in 1 ... 1200).
* :func:`parse_params` reads ``--param MODEL.NAME=VALUE`` strictly (ASCII numbers, ``true`` /
  ``false`` or a word: no YAML, so no ``1:30`` read as 90, no ``yes`` read as true and no nesting)
  and checks the model and the parameter against the model registry at once.
* :func:`check_cluster` parses a ``--cluster`` address.
* :func:`check_finite` turns a non-finite forecast into an error naming the inputs behind it.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from detente.scenario.errors import DetenteError

SEED_MAX = 2**63 - 1  # as detente.analysis.uncertainty.SEED_MAX (that module needs scipy)

MONTHS_MAX = 1200  # a century of war: past this the monthly model has no data behind it
_PARAM_TEXT_MAX = 200


class ConstraintError(DetenteError):
    """An option or a number outside its declared constraint."""


@dataclass(frozen=True)
class Interval:
    """An integer (``kind="int"``) or real number in ``[low, high]`` (None: unbounded)."""

    kind: str = "int"
    low: float | None = None
    high: float | None = None

    def rule(self) -> str:
        what = "an integer" if self.kind == "int" else "a finite number"
        if self.high is None and self.low is not None:
            return f"{what} at least {_fmt(self.low)}"
        lo = "-inf" if self.low is None else _fmt(self.low)
        hi = "inf" if self.high is None else _fmt(self.high)
        return f"{what} in [{lo}, {hi}]"

    def holds(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if self.kind == "int" and not isinstance(value, int):
            return False
        if isinstance(value, float) and not math.isfinite(value):
            return False
        # Python ints compare exactly with any bound, however long (no float overflow).
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


SEED = Interval("int", 0, SEED_MAX)
COUNT = Interval("int", 1, None)
MONTHS = Interval("int", 1, MONTHS_MAX)

# The numeric options of each command (and api function of the same name).
OPTIONS: dict[str, dict[str, Interval]] = {
    "forecast": {"draws": COUNT, "seed": SEED},
    "whatif": {"draws": COUNT, "seed": SEED},
    "lever": {
        "draws": COUNT,
        "seed": SEED,
        "grid": Interval("int", 3, None),
        "prob": Interval("float", 0.0, 1.0),
    },
    "sweep": {"draws": COUNT, "seed": SEED},
    "sensitivity": {"n": COUNT, "seed": SEED, "paths": COUNT, "months": MONTHS, "top": COUNT},
    "war": {"draws": COUNT, "paths": COUNT, "months": MONTHS, "seed": SEED},
    "claims": {"draws": COUNT, "paths": COUNT, "months": MONTHS, "seed": SEED},
    "report": {"draws": COUNT, "seed": SEED, "paths": COUNT, "months": MONTHS},
    "runs list": {"limit": Interval("int", 1, SEED_MAX)},
}


def check_options(owner: str, **values: Any) -> None:
    """Check each given option of ``owner`` (a command) against :data:`OPTIONS`; None = not
    given. Raises :class:`ConstraintError` on the first that breaks its rule."""
    declared = OPTIONS.get(owner, {})
    for name, value in values.items():
        if value is None or name not in declared:
            continue
        rule = declared[name]
        if not rule.holds(value):
            raise ConstraintError(
                f"The {name!r} parameter (--{name}) of {owner} must be {rule.rule()}. "
                f"Got {_short(value)} instead."
            )


def check_seed(seed: Any, owner: str = "detente") -> None:
    """A seed must be an integer in 0 ... 2^63 - 1 (None: drawn fresh)."""
    if seed is not None and not SEED.holds(seed):
        raise ConstraintError(
            f"The 'seed' parameter of {owner} must be {SEED.rule()}. Got {_short(seed)} instead."
        )


def _short(value: Any, limit: int = 40) -> str:
    try:
        text = repr(value)
    except ValueError:  # an int of over 4300 digits
        text = f"an integer of over {len(str(abs(value) // 10**4000)) + 4000} digits"
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---- --param MODEL.NAME=VALUE -------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_INT = re.compile(r"[+-]?[0-9]+\Z")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*\Z")


def parse_value(raw: str, where: str) -> Any:
    """A parameter's value, read strictly: an ASCII number, ``true``/``false`` or a word.

    Fullwidth digits, ``1:30`` (YAML 1.1 reads it as 90), ``yes``/``on`` (read as true), ``.inf``,
    ``nan``, lists and nested brackets are refused with one line naming ``where``.
    """
    text = raw.strip()
    if len(text) > _PARAM_TEXT_MAX:
        raise ConstraintError(f"{where}: the value is {len(text)} characters long; at most 200")
    if text in ("true", "false"):
        return text == "true"
    if text.isascii() and _INT.match(text):
        if len(text.lstrip("+-")) > 19:
            raise ConstraintError(f"{where}: {text[:30]}... is too large a number")
        return int(text)
    if text.isascii() and _NUMBER.match(text):
        value = float(text)
        if not math.isfinite(value):
            raise ConstraintError(f"{where}: {text[:30]} is not a finite number")
        return value
    if text.isascii() and _WORD.match(text) and text.lower() not in _YAML_WORDS:
        return text
    raise ConstraintError(
        f"{where}: {_short(text)} is not a plain number (ASCII digits, e.g. 0.5 or 1e-3), "
        "true/false or a word"
    )


# Words YAML 1.1 reads as booleans or special floats: ambiguous, so refused.
_YAML_WORDS = frozenset(
    {"yes", "no", "on", "off", "y", "n", "null", "none", "nan", "inf", "infinity", "~"}
)


def parse_params(items: Iterable[str] | None) -> dict[str, dict[str, Any]]:
    """``["eum.q=0.5"]`` -> ``{"eum": {"q": 0.5}}``, each model and parameter checked against the
    registry (an unknown model or parameter, or a value outside its rule, is an error now,
    before any work, not silently ignored)."""
    from detente.bargaining.registry import ParameterError, get_model

    out: dict[str, dict[str, Any]] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        model, dot, name = key.strip().partition(".")
        shown = _short(item, 60)
        if not sep or not dot or not model or not name:
            raise ConstraintError(f"--param {shown}: write MODEL.NAME=VALUE, e.g. eum.q=0.5")
        value = parse_value(raw, f"--param {shown}")
        out.setdefault(model, {})[name] = value
    for model, values in out.items():
        try:
            get_model(model).resolve(values)
        except ParameterError as exc:
            raise ConstraintError(f"--param: {exc}") from None
    return out


# ---- --cluster ADDRESS --------------------------------------------------------------------------

_HOST = re.compile(r"(?=.{1,253}\Z)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?)+\Z")
_SCHEMES = ("tcp", "tls", "inproc", "ws", "wss", "ucx")


def check_cluster(address: str | None) -> str | None:
    """``None``/``""`` (this process), ``"local"`` or a Dask scheduler address
    ``[SCHEME://]HOST:PORT`` (host name, IPv4 or ``[IPv6]``; port 1-65535); returns it."""
    if address is None or address == "" or address == "local":
        return address or None
    rule = "write 'local' or a scheduler address such as tcp://10.0.0.5:8786"
    text = address.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "tcp", text
    if scheme not in _SCHEMES:
        raise ConstraintError(f"--cluster {_short(address)}: unknown scheme {scheme!r}; {rule}")
    host, colon, port = rest.rpartition(":")
    if not colon or not port.isascii() or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ConstraintError(f"--cluster {_short(address)}: no port (1-65535); {rule}")
    if host.startswith("[") and host.endswith("]"):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise ConstraintError(
                f"--cluster {_short(address)}: bad IPv6 address; {rule}"
            ) from None
    elif not (host.isascii() and _HOST.match(host)):
        raise ConstraintError(f"--cluster {_short(address)}: bad host name {host!r}; {rule}")
    return text


# ---- finite inputs and results ---------------------------------------------------------------


INPUT_MAGNITUDE_MAX = 1e100  # products of a few such numbers stay far inside float64 (1.8e308)


def check_inputs(scenario: Any) -> None:
    """Refuse, before any model runs, inputs whose products overflow float64: a capability or a
    scale bound beyond 1e100 in magnitude (1e308 gave ``inf`` in tables and ``null`` in JSON)."""
    name = scenario_name(scenario)
    for a in scenario.actors:
        cap = float(a.capability.value)
        if abs(cap) > INPUT_MAGNITUDE_MAX:
            raise ConstraintError(
                f"{name}: actors[{a.id}].capability = {cap:g}: too large to compute with; "
                f"keep inputs within +-{INPUT_MAGNITUDE_MAX:g} (rescale them: only ratios count)"
            )
    for issue in scenario.issues:
        s = issue.scale
        if max(abs(float(s.low)), abs(float(s.high))) > INPUT_MAGNITUDE_MAX:
            raise ConstraintError(
                f"{name}: issues[{issue.id}].scale = [{s.low:g}, {s.high:g}]: too large to compute "
                f"with; keep scale bounds within +-{INPUT_MAGNITUDE_MAX:g}"
            )


def check_finite(scenario: Any, results: Mapping[str, Any]) -> None:
    """A forecast (batch element 0, the central values) that is NaN or infinite is an error that
    names the model, the issue and the scenario's largest inputs, instead of ``inf`` in a table
    and ``null`` in JSON."""
    import numpy as np

    for model, res in results.items():
        values = np.asarray(res.forecast, dtype=float)
        bad = ~np.isfinite(values)
        if not bad.any():
            continue
        k = int(np.argwhere(bad)[0][-1])
        issue = scenario.issues[k]
        raise ConstraintError(
            f"{scenario_name(scenario)}: model {model} gives a non-finite forecast for issue "
            f"{issue.id!r}; {describe_extremes(scenario, k)}"
        )


def scenario_name(scenario: Any) -> str:
    return str(scenario.meta.id or scenario.meta.title or "scenario")


def describe_extremes(scenario: Any, k: int) -> str:
    """The inputs too large to compute with: the largest capability and the issue's scale."""
    caps = [(abs(float(a.capability.value)), a.id) for a in scenario.actors]
    cap, who = max(caps) if caps else (0.0, "-")
    s = scenario.issues[k].scale
    return (
        f"inputs too large to compute with: largest capability {cap:g} ({who}), scale of "
        f"{scenario.issues[k].id!r} [{s.low:g}, {s.high:g}]; keep capabilities and scale bounds "
        "under 1e12"
    )


# ---- war requests -------------------------------------------------------------------------------

LEVER_MAX = 100.0  # a lever scales every event of a kind; 100x is already far outside the data


def check_war_request(
    scenario: Any,
    *,
    command: str = "war",
    paths: int | None = None,
    months: int | None = None,
    seed: int | None = None,
    draws: int | None = None,
    levers: Mapping[str, float] | None = None,
    mixes: int = 1,
) -> None:
    """Everything a ``war`` or ``claims`` request must satisfy before it starts: the numeric
    options (:data:`OPTIONS`), the scenario's war block naming two different actors, lever
    factors in [0, 100], and the work within the budget (:mod:`detente.analysis.budget`).
    The war commands (CLI and web) call this first."""
    check_options(command, paths=paths, months=months, seed=seed, draws=draws)
    war = getattr(scenario, "war", None)
    name = scenario_name(scenario)
    if war is not None:
        ids = [a.id for a in scenario.actors]
        for role in ("attacker", "defender"):
            who = getattr(war, role, None)
            if who is not None and ids and who not in ids:
                raise ConstraintError(
                    f"{name}: war.{role} = {who!r} is not an actor of the scenario; "
                    f"the actors are: {', '.join(ids[:20])}"
                )
        if getattr(war, "attacker", None) is not None and war.attacker == war.defender:
            raise ConstraintError(
                f"{name}: war.attacker and war.defender are both {war.attacker!r}; "
                "a war needs two sides"
            )
    for kind, factor in (levers or {}).items():
        if not (isinstance(factor, int | float) and 0.0 <= factor <= LEVER_MAX):
            raise ConstraintError(
                f"--lever {kind}={factor!r}: a lever scales how often events of a kind happen; "
                f"it must be a number in [0, {LEVER_MAX:g}]"
            )
    if paths is not None and months is not None:
        from detente.analysis.budget import check_war

        total = paths * (draws or 1)
        check_war(total, months, mixes, command=command)
