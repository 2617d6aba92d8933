"""The intervention language: what-ifs over a scenario (the ``interventions:`` section, ``--do``).

One intervention per line of text, or the same as a mapping in a scenario file::

    set ACTOR.position.ISSUE VALUE      set CHN.salience.sanctions 0.2
    shift ACTOR.position.ISSUE DELTA    shift USA.position.sanctions -20
    scale ACTOR.capability FACTOR       scale EU.capability 1.5
    remove ACTOR[,ACTOR...]             remove IND
    merge A,B[,...] as ID               merge USA,EU as WEST
    add ID capability=V position.ISSUE=V salience.ISSUE=V ...   (every issue needs both)
    policy NAME [key=value ...]         policy arm_ukraine intensity=2   (the war model's policies)

Fields are ``position``, ``salience`` and ``capability`` (plurals and ``pos``/``sal``/``cap``
accepted). In a file, write the line as a string (``- "remove IND"``) or as a mapping
(``- {op: shift, target: USA.position.sanctions, value: -20}``). How each one changes a scenario is
in :mod:`detente.analysis.levers`. This module must not import ``schema.py`` (which imports it).
"""

from __future__ import annotations

import re
import shlex
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from detente.scenario.errors import DetenteError

Op = Literal["set", "shift", "scale", "remove", "merge", "add", "policy"]
FIELDS = {
    "position": "position",
    "positions": "position",
    "pos": "position",
    "salience": "salience",
    "saliences": "salience",
    "sal": "salience",
    "capability": "capability",
    "capabilities": "capability",
    "cap": "capability",
}
_ID = r"[A-Za-z0-9][A-Za-z0-9_\-]*"
_ID_RE = re.compile(rf"^{_ID}$")
_FORMS = (
    "set|shift ACTOR.FIELD[.ISSUE] NUMBER, scale ACTOR.capability FACTOR, remove ACTOR[,ACTOR], "
    "merge A,B as ID, add ID capability=V position.ISSUE=V salience.ISSUE=V, policy NAME [k=v]"
)


class InterventionError(DetenteError, ValueError):
    """An intervention that cannot be read or does not fit the scenario (one line for the user)."""


class InterventionSpec(BaseModel):
    """One intervention. ``text`` keeps the line it was read from, for reports."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    op: Op
    target: str | None = Field(default=None, max_length=200)
    value: float | None = Field(default=None, allow_inf_nan=False)
    actors: tuple[str, ...] = ()
    as_: str | None = Field(default=None, alias="as", max_length=64)
    name: str | None = Field(default=None, max_length=500)
    actor: dict[str, Any] | None = None
    policy: str | None = Field(default=None, max_length=200)
    params: dict[str, Any] = Field(default_factory=dict)
    text: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        if isinstance(data, str):
            return _parse(data)
        return data

    @model_validator(mode="after")
    def _complete(self) -> InterventionSpec:
        if self.op in ("set", "shift", "scale"):
            if self.target is None or self.value is None:
                raise InterventionError(f"{self.op!r} needs a target and a value")
            split_target(self.target)
            if self.op == "scale" and self.value < 0:
                raise InterventionError(f"scale factor must be >= 0; got {self.value:g}")
        elif self.op == "remove" and not self.actors:
            raise InterventionError("'remove' needs at least one actor")
        elif self.op == "merge":
            if len(self.actors) < 2 or not self.as_:
                raise InterventionError("'merge' needs two or more actors and 'as ID'")
            if not _ID_RE.match(self.as_):
                raise InterventionError(f"'merge ... as {self.as_}': not a valid actor id")
        elif self.op == "add" and not self.actor:
            raise InterventionError(
                "'add' needs the new actor (id, capability, positions, saliences)"
            )
        elif self.op == "policy" and not self.policy:
            raise InterventionError("'policy' needs a policy name")
        return self

    def describe(self) -> str:
        """The intervention as one line of the language."""
        if self.text:
            return self.text
        if self.op in ("set", "shift", "scale"):
            return f"{self.op} {self.target} {self.value:g}"
        if self.op == "remove":
            return "remove " + ",".join(self.actors)
        if self.op == "merge":
            return f"merge {','.join(self.actors)} as {self.as_}"
        if self.op == "add":
            return f"add {(self.actor or {}).get('id', '?')}"
        extra = " ".join(f"{k}={v}" for k, v in self.params.items())
        return f"policy {self.policy} {extra}".strip()


def split_target(target: str) -> tuple[str, str, str | None]:
    """``"USA.position.sanctions"`` -> ("USA", "position", "sanctions"); ``"USA.capability"`` ->
    ("USA", "capability", None)."""
    parts = target.split(".")
    if len(parts) < 2 or parts[1].lower() not in FIELDS:
        raise InterventionError(
            f"target {target!r}: write ACTOR.position.ISSUE, ACTOR.salience.ISSUE or "
            "ACTOR.capability"
        )
    actor, fld = parts[0], FIELDS[parts[1].lower()]
    issue = ".".join(parts[2:]) or None
    if fld == "capability" and issue is not None:
        raise InterventionError(f"target {target!r}: a capability has no issue (ACTOR.capability)")
    if fld != "capability" and issue is None:
        raise InterventionError(f"target {target!r}: name the issue (ACTOR.{fld}.ISSUE)")
    return actor, fld, issue


def parse_intervention(text: str) -> InterventionSpec:
    """Read one line of the intervention language; an unreadable line raises InterventionError."""
    data = _parse(text)  # raises InterventionError itself, naming the line
    try:
        return InterventionSpec.model_validate(data)
    except ValueError as exc:  # pydantic's ValidationError wraps the message of the first error
        errors = getattr(exc, "errors", None)
        msg = errors()[0]["msg"] if callable(errors) else str(exc)
        msg = msg.removeprefix("Value error, ")
        raise InterventionError(f"intervention {text!r}: {msg}") from None


def _number(text: str, line: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InterventionError(f"intervention {line!r}: {text!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InterventionError(f"intervention {line!r}: {text!r} must be finite")
    return value


def _ids(text: str, line: str) -> tuple[str, ...]:
    ids = tuple(p.strip() for p in text.split(",") if p.strip())
    for i in ids:
        if not _ID_RE.match(i):
            raise InterventionError(f"intervention {line!r}: {i!r} is not an actor id")
    return ids


def _parse(line: str) -> dict[str, Any]:
    try:
        words = shlex.split(line.strip())
    except ValueError as exc:
        raise InterventionError(f"intervention {line!r}: {exc}") from None
    if not words:
        raise InterventionError(f"empty intervention; the forms are: {_FORMS}")
    op = words[0].lower()
    if op in ("set", "shift", "scale"):
        if len(words) != 3:
            raise InterventionError(f"intervention {line!r}: write {op} ACTOR.FIELD[.ISSUE] NUMBER")
        return {"op": op, "target": words[1], "value": _number(words[2], line), "text": line}
    if op == "remove":
        if len(words) < 2:
            raise InterventionError(f"intervention {line!r}: write remove ACTOR[,ACTOR...]")
        return {"op": op, "actors": _ids(",".join(words[1:]), line), "text": line}
    if op == "merge":
        low = [w.lower() for w in words]
        if "as" not in low or low.index("as") < 2 or low.index("as") + 1 >= len(words):
            raise InterventionError(f"intervention {line!r}: write merge A,B[,...] as ID")
        at = low.index("as")
        rest = words[at + 2 :]
        return {
            "op": op,
            "actors": _ids(",".join(words[1:at]), line),
            "as": words[at + 1],
            "name": " ".join(rest) or None,
            "text": line,
        }
    if op == "add":
        if len(words) < 2:
            raise InterventionError(f"intervention {line!r}: write add ID capability=V ...")
        actor: dict[str, Any] = {"id": words[1], "name": words[1], "positions": {}, "saliences": {}}
        for item in words[2:]:
            key, sep, raw = item.partition("=")
            if not sep:
                raise InterventionError(f"intervention {line!r}: {item!r} is not KEY=VALUE")
            if key == "name":
                actor["name"] = raw
                continue
            parts = key.split(".")
            fld = FIELDS.get(parts[0].lower())
            if fld is None or (fld == "capability") != (len(parts) == 1):
                raise InterventionError(
                    f"intervention {line!r}: {key!r} should be capability, position.ISSUE or "
                    "salience.ISSUE"
                )
            value = _number(raw, line)
            if fld == "capability":
                actor["capability"] = value
            else:
                actor[fld + "s"][".".join(parts[1:])] = value
        return {"op": op, "actor": actor, "text": line}
    if op == "policy":
        if len(words) < 2:
            raise InterventionError(f"intervention {line!r}: write policy NAME [key=value ...]")
        params: dict[str, Any] = {}
        for item in words[2:]:
            key, sep, raw = item.partition("=")
            if not sep:
                raise InterventionError(f"intervention {line!r}: {item!r} is not key=value")
            try:
                params[key] = float(raw)
            except ValueError:
                params[key] = raw
        return {"op": op, "policy": words[1], "params": params, "text": line}
    raise InterventionError(
        f"intervention {line!r}: unknown operation {words[0]!r}; the forms are: {_FORMS}"
    )
