"""The web page's policy levers: sliders that scale each kind of lever event, and the war model's
P(talks by month) per policy, redrawn as the sliders move.

A slider multiplies the intensity of every event of its kind in every policy mix
(``levers={"threat": 2.0}`` in :func:`detente.war.simulate`); the model's mechanisms decide what
that does. When the war model is absent the panel says so instead of drawing anything.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from detente.scenario.errors import DetenteError
from detente.scenario.schema import Scenario

# Lever kinds a slider can scale (detente.scenario.war_schema.EVENT_KINDS), as the page names them.
LEVER_KINDS: dict[str, str] = {
    "threat": "sanction threats",
    "sanction": "sanctions",
    "secondary": "secondary sanctions",
    "aid": "military aid",
    "summit": "summits",
    "concession": "public concessions",
    "purchases": "third-party oil purchases",
    "dual_use": "dual-use exports",
}
SLIDER_MIN, SLIDER_MAX, SLIDER_STEP = 0.0, 3.0, 0.25
# A slider move re-simulates every policy: 25 parameter draws x 40 paths over 36 months answers
# in well under a second; the report uses more (100 x 50 over 48 months).
WEB_MONTHS, WEB_DRAWS, WEB_PATHS_PER_DRAW = 36, 25, 40


def available() -> bool:
    """Whether this build has the war model."""
    if importlib.util.find_spec("detente.war") is None:
        return False
    import detente.war as war

    return callable(getattr(war, "run_war", None))


def panel(sc: Scenario) -> dict[str, Any]:
    """The levers panel's content (sliders at 1x)."""
    if not available():
        return {
            "available": False,
            "reason": "the war model (detente.war.run_war) is not part of this build",
        }
    from detente.war.policies import policy_names

    return {
        "available": True,
        "levers": [{"kind": k, "label": v, "value": 1.0} for k, v in LEVER_KINDS.items()],
        "policies": policy_names(sc.war),
        "min": SLIDER_MIN,
        "max": SLIDER_MAX,
        "step": SLIDER_STEP,
    }


def lever_values(form: Any) -> dict[str, float]:
    """{kind: multiplier} from the form's ``lever:KIND`` sliders, each checked against the range;
    sliders left at 1x are left out (no change)."""
    out = {}
    for kind in LEVER_KINDS:
        raw = form.get(f"lever:{kind}")
        if raw in (None, ""):
            continue
        try:
            value = float(str(raw))
        except ValueError:
            raise DetenteError(f"lever {kind}: {str(raw)[:20]!r} is not a number") from None
        if not SLIDER_MIN <= value <= SLIDER_MAX:
            raise DetenteError(
                f"lever {kind}: {value:g} is outside [{SLIDER_MIN:g}, {SLIDER_MAX:g}]"
            )
        if value != 1.0:
            out[kind] = value
    return out


def talks(sc: Scenario, form: Any, seed: int = 1) -> dict[str, Any]:
    """The talks panel after a slider moved: the chart, and P(talks) by 6/12/24 months."""
    from detente.report import plots
    from detente.report.sections import talks_comparison

    ctx = panel(sc)
    if not ctx["available"]:
        return ctx
    levers = lever_values(form)
    chosen = [p for p in form.getlist("policy") if isinstance(p, str)] or None
    result = talks_comparison(
        sc,
        policies=chosen,
        months=WEB_MONTHS,
        draws=WEB_DRAWS,
        paths_per_draw=WEB_PATHS_PER_DRAW,
        seed=seed,
        levers=levers,
    )
    curves = plots.talks_curves(result)
    ctx["levers"] = [{**lv, "value": levers.get(lv["kind"], 1.0)} for lv in ctx["levers"]]
    ctx["chart"] = plots.to_inline_svg(plots.talks_figure(result))
    ctx["rows"] = [
        {"policy": c["label"] or c["policy"], "by": {m: _at(c, m) for m in (6, 12, 24)}}
        for c in curves
    ]
    ctx["result"] = result
    return ctx


def _at(curve: dict[str, Any], month: float) -> float | None:
    for m, p in zip(curve["months"], curve["p"], strict=False):
        if m >= month:
            return p
    return None
