"""Services that describe the scenario format: its JSON Schema, the embedded scenarios' text, and
a commented template to start a new scenario from.

The JSON Schema is pydantic's schema of :class:`detente.scenario.schema.Scenario`, completed with
what pydantic cannot see: the shorthand forms the loader accepts (a bare number for an Estimate, a
text for a Source or an intervention, an unquoted YAML date), and the war model's parameters by
name, each with its unit, default and allowed range (from
:data:`detente.scenario.war_schema.PARAMETERS`). Editors that read JSON Schema (VS Code's YAML
extension, check-jsonschema) can then check a scenario file as it is written.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from detente.scenario import io as scenario_io
from detente.scenario.errors import DetenteError

SCHEMA_ID = "https://detente.invalid/schema/scenario.json"  # a name, not a download location


def _estimate_description(name: str, unit: str, default: float, low: float, high: float) -> str:
    def g(x: float) -> str:
        return "inf" if x == float("inf") else f"{x:g}"

    return f"{name}: unit {unit}; default {g(default)}; allowed range [{g(low)}, {g(high)}]"


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file, as a dict."""
    from detente.scenario.schema import Scenario
    from detente.scenario.war_schema import EVENT_KINDS, PARAMETERS

    schema = copy.deepcopy(Scenario.model_json_schema())
    defs = schema.setdefault("$defs", {})
    # Shorthands the loader accepts before pydantic validates (see the before-validators).
    short = {
        "Estimate": {"type": "number", "description": "a bare number: no uncertainty"},
        "Source": {"type": "string", "description": "a bare text: the source's title"},
        "InterventionSpec": {
            "type": "string",
            "description": 'a line of the intervention language, e.g. "remove IND"',
        },
    }

    def widen(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            name = ref.rsplit("/", 1)[-1] if ref.startswith("#/$defs/") else None
            if name in short and len(node) == 1:
                return {"anyOf": [dict(short[name]), {"$ref": ref}]}
            return {k: widen(v) for k, v in node.items()}
        if isinstance(node, list):
            return [widen(v) for v in node]
        return node

    schema = widen(schema)
    defs = schema["$defs"]
    # An unquoted YAML date (2025-09-09) is read as a date; the loader keeps its text.
    meta_date = defs["Meta"]["properties"]["date"]
    meta_date["description"] = "a date or any text (e.g. 2025-09-09, 'September 2025')"
    # The war parameters by name: unit, default, allowed range.
    war_params = defs["WarSpec"]["properties"]["parameters"]
    props = {}
    for pname, info in PARAMETERS.items():
        desc = _estimate_description(info.doc, info.unit, info.default, info.low, info.high)
        value_rule: dict[str, Any] = {"type": "number", "minimum": info.low}
        if info.high != float("inf"):
            value_rule["maximum"] = info.high
        props[pname] = {
            "description": desc,
            "default": info.default,
            "anyOf": [
                {**value_rule, "description": "a bare number: no uncertainty"},
                {"$ref": "#/$defs/Estimate"},
            ],
        }
    war_params.clear()
    war_params.update(
        {
            "type": "object",
            "description": "the war model's parameters, each an Estimate; unset ones take their "
            "default",
            "properties": props,
            "additionalProperties": False,
        }
    )
    kind = defs["EventSpec"]["properties"]["kind"]
    kind.setdefault("description", "one of: " + ", ".join(EVENT_KINDS))
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "detente scenario"
    return schema


def scenario_schema_text() -> str:
    """:func:`scenario_schema` as indented JSON text."""
    return json.dumps(scenario_schema(), indent=2) + "\n"


def embedded_scenario_text(name: str) -> str:
    """The YAML text of a scenario shipped with detente (``detente scenarios`` lists them)."""
    names = scenario_io.embedded_names()
    cases = embedded_case_names()
    base = name[:-5] if name.endswith(".yaml") else name
    base = base.removeprefix("cases/")
    if base in names:
        return scenario_io.embedded_text(base)
    if base in cases:
        return scenario_io.embedded_text(f"cases/{base}")
    raise DetenteError(
        f"no embedded scenario {name!r}; the embedded scenarios are: {', '.join(names)}; "
        f"the backtest cases: {', '.join(cases)}"
    )


def embedded_case_names() -> list[str]:
    """Names of the past negotiations shipped for backtests (scenarios/cases/*.yaml)."""
    from importlib import resources

    root = resources.files("detente") / "scenarios" / "cases"
    if not root.is_dir():
        return []
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))


TEMPLATE = """\
# A detente scenario. Check it with `detente validate FILE`; the full reference of every field
# is in the docs (`make docs`) and in the JSON Schema printed by `detente schema`.
#
# Every number is an Estimate: a bare number, or {value, sd | low/high, dist, source}.
# Monte Carlo (`--draws N`) draws the numbers that carry an sd or a low/high range.
meta:
  id: my-negotiation            # letters, digits, _ . - (used in file names and run lists)
  title: "My negotiation"
  date: "2026-01"               # any text
  description: >
    What is being negotiated, by whom, and as of when.
  sources:
    - title: "Where the numbers come from"
      url: "https://example.org"

issues:                         # one or more issues; each on its own numeric scale
  - id: terms
    name: "Terms of the deal"
    scale: {low: 0, high: 100, low_label: "side A's ideal", high_label: "side B's ideal"}
    reference: {value: 50, source: "the status quo"}   # the disagreement outcome (optional)

actors:                         # one or more actors
  - id: A
    name: "Side A"
    capability: {value: 60, sd: 10, source: "judgment"}   # >= 0, any common unit
    positions: {terms: 10}      # a position per issue, on the issue's scale
    saliences: {terms: 0.9}     # 0..1: how much the issue matters to the actor
  - id: B
    name: "Side B"
    capability: 40
    positions: {terms: {value: 85, low: 75, high: 95}}
    saliences: {terms: 0.7}

# --- optional: a war between two actors (detente war, detente claims) -----------------------
# The war model's structural parameters (beta, tau, sigma, battle_rate, cost, mobil0,
# mobil_rate, rate_disp) are calibrated on the COW wars before 1946: leave them unset and every
# run draws them from the calibration. Set what is specific to your war (`detente schema` lists
# every parameter with its unit, default and allowed range).
# war:
#   attacker: B
#   defender: A
#   parameters:                 # unset parameters take their defaults; the output says which
#     capability_A: {value: 0.02, source: "COW CINC share of the attacker, year before the war"}
#     capability_D: {value: 0.01, source: "COW CINC share of the defender"}
#     control0: {value: 0.2, low: 0.15, high: 0.25, source: "attacker's share of the territory"}
#     elapsed: {value: 6, source: "months the war has lasted at the forecast point"}
#   policies:                   # your own policy mixes, beside the six built-in ones
#     sanctions-now:
#       description: "sanctions raised by 0.2 in month 2"
#       events:
#         - {kind: sanction, month: 2, intensity: 0.2}
#
# claims:                       # which of the seven claims to test (by id; see docs/claims.md)
#   - id: credible-pressure     # appeasement, credible-pressure, empty-threats,
#                               # third-party-support, beliefs-converge, not-fast, uneven-costs
#     text: "Threats that are carried out bring settlement sooner"
#     statement: "settlement comes sooner with enforced threats than without"  # in words
#
# outcomes: {terms: 40}         # a past negotiation's known outcome (for backtests)
"""


def scenario_template() -> str:
    """A commented scenario template (valid as it stands; the optional parts are comments)."""
    return TEMPLATE
