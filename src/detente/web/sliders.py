"""The Timing tab's policy levers: sliders that scale each kind of lever event.

A slider multiplies the intensity of every event of its kind in every policy mix
(``levers={"threat": 2.0}`` in :func:`detente.war.simulate`); the model's mechanisms decide what
that does. Every redraw uses the same seed, parameter draws and random numbers (common random
numbers), and the table shows each mix's change from the levers at 1x, so what moves is the
levers' effect, not simulation noise.
"""

from __future__ import annotations

from typing import Any

from detente.web.core import WebError

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
# A slider move re-simulates every mix on WEB_DRAWS parameter draws x WEB_PATHS_PER_DRAW paths
# (6,000 paths a mix: curves smooth to about +-0.006) over WEB_MONTHS months.
WEB_MONTHS, WEB_DRAWS, WEB_PATHS_PER_DRAW, WEB_SEED = 36, 60, 100, 1


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
            raise WebError(f"lever {kind}: {str(raw)[:20]!r} is not a number") from None
        if not SLIDER_MIN <= value <= SLIDER_MAX:
            raise WebError(f"lever {kind}: {value:g} is outside [{SLIDER_MIN:g}, {SLIDER_MAX:g}]")
        if value != 1.0:
            out[kind] = value
    return out


def talks_pair(
    sc: Any, policies: list[str] | None, levers: dict[str, float], progress: Any = None
) -> dict[str, Any]:
    """The talks curves at ``levers`` and, for the change column, at every lever 1x: the same
    seed, parameter draws and random numbers for both (common random numbers)."""
    from detente.api import workbench

    opts: dict[str, Any] = {
        "policies": policies,
        "months": WEB_MONTHS,
        "draws": WEB_DRAWS,
        "paths_per_draw": WEB_PATHS_PER_DRAW,
        "seed": WEB_SEED,
    }
    result = workbench.talks(sc, levers=levers, progress=progress, **opts)
    base = workbench.talks(sc, levers=None, **opts) if levers else result
    return {"result": result, "base": base}


def at(curve: list[float], month: int) -> float | None:
    """P(talks by ``month``) from a curve indexed by month - 1."""
    return curve[month - 1] if 0 < month <= len(curve) else None


def rows(result: dict[str, Any], base: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One row per mix: P(talks) by 6/12/24 months, and the change from the levers at 1x."""
    base_by = {p["name"]: p for p in (base or {}).get("policies", [])}
    out = []
    for p in result["policies"]:
        b = base_by.get(p["name"])
        by = {m: at(p["p_talks"], m) for m in (6, 12, 24)}
        delta: dict[int, float | None] = {}
        for m in (6, 12, 24):
            now, before = by[m], None if b is None else at(b["p_talks"], m)
            delta[m] = None if now is None or before is None else now - before
        s = p["summary"]
        out.append(
            {
                "policy": p["name"],
                "description": p["description"],
                "by": by,
                "delta": delta,
                "median_month": s.get("median_talks_month"),
                "terms": (s.get("terms") or {}).get("median"),
                "cost_A": (s.get("cost_A") or {}).get("median"),
                "cost_D": (s.get("cost_D") or {}).get("median"),
                "casualties_A": (s.get("casualties_A") or {}).get("median"),
                "casualties_D": (s.get("casualties_D") or {}).get("median"),
                "money_A": (s.get("money_A") or {}).get("median"),
                "money_D": (s.get("money_D") or {}).get("median"),
            }
        )
    return out
