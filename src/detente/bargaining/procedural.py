"""A procedural model of EU legislation: Commission agenda setting, Council QMV, Parliament.

The spatial models of the legislative procedures compared in Thomson, Stokman, Achen & Koenig
(eds., 2006), *The European Union Decides* (CUP), ch. 3 (B. Steunenberg & T. Selck, "Testing
procedural models of EU legislative decision-making"), after Steunenberg (1994), "Decision making
under different institutional arrangements: legislation by the European Community", JITE 150(4):
642-669, and Tsebelis & Garrett (2000), "Legislative politics in the European Union", European
Union Politics 1(1): 9-36. In one dimension with a status quo d, by backward induction:

1. The Council accepts a proposal x when members holding at least a qualified majority q of the
   votes (capabilities) prefer x to d. With single-peaked symmetric preferences a member at p
   prefers x > d iff p > (d + x)/2, so the Council accepts every x in [d, 2 p_R - d], p_R the
   position of the pivotal member counted from the right (the largest t with a qualified
   majority at or above t), and likewise [2 p_L - d, d] on the left.
2. Under codecision the Parliament (one actor, its position e: the majority it represents) must
   accept too: |x - e| <= |d - e|.
3. The Commission, the agenda setter, proposes the acceptable point nearest its own position c.
4. Under consultation the Parliament's opinion does not bind, but the Council may amend a
   proposal by unanimity: a proposal outside the range of the members' positions would be
   amended into it, so the Commission's choice is confined to that range.

The procedure: ``procedure="auto"`` reads consultation where the Parliament's capability is 0
(the DEU loader's rule for CNS files) and codecision otherwise. Without a reference point (no
status quo to fall back on) the outcome is the Commission's position kept within the range of
the positions of those whose assent is needed (the Council, and the Parliament under
codecision). Without a Commission actor, the Council's weighted median plays the agenda setter;
where nobody has a vote, every member counts the same.
Actors are found by id (``commission``/``parliament`` parameters; the DEU loader uses ``com`` and
``ep``); everyone else is a Council member voting with its capability. Salience plays no role:
the model is about votes and vetoes, not intensity.
"""

from __future__ import annotations

import numpy as np

from detente.bargaining.inputs import BargainingInput, ModelResult
from detente.bargaining.registry import Param, register_model


def _pivot(pos: np.ndarray, votes: np.ndarray, q: float, from_right: bool) -> float:
    """The position of the member that completes a qualified majority counted from one end."""
    order = np.argsort(-pos if from_right else pos, kind="stable")
    cum = np.cumsum(votes[order])
    k = int(np.searchsorted(cum, q * cum[-1] - 1e-12 * cum[-1]))
    return float(pos[order][min(k, len(order) - 1)])


def procedural_outcome(
    council: np.ndarray,
    votes: np.ndarray,
    commission: float | None,
    parliament: float | None,
    status_quo: float | None,
    qmv: float,
    consultation: bool,
    low: float,
    high: float,
) -> float:
    """The equilibrium outcome of one issue (see the module doc)."""
    if len(council) == 0:
        return 0.5 * (low + high) if commission is None else commission
    if votes.sum() <= 0:
        votes = np.ones_like(votes)  # nobody has a vote: every member counts the same
    if commission is None:
        order = np.argsort(council, kind="stable")
        cum = np.cumsum(votes[order])
        commission = float(council[order][int(np.searchsorted(cum, 0.5 * cum[-1]))])
    if status_quo is None:
        # No reference point: no act is not on the table; the Commission's position, kept
        # within the range of the positions of those whose assent is needed.
        lo, hi = float(council.min()), float(council.max())
        if parliament is not None and not consultation:
            lo, hi = min(lo, parliament), max(hi, parliament)
        return float(min(max(commission, lo), hi))
    p_r = _pivot(council, votes, qmv, from_right=True)
    p_l = _pivot(council, votes, qmv, from_right=False)
    lo = min(status_quo, 2 * p_l - status_quo) if p_l < status_quo else status_quo
    hi = max(status_quo, 2 * p_r - status_quo) if p_r > status_quo else status_quo
    if parliament is not None and not consultation:
        reach = abs(status_quo - parliament)
        lo, hi = max(lo, parliament - reach), min(hi, parliament + reach)
    if consultation:
        lo, hi = max(lo, float(council.min())), min(hi, float(council.max()))
        if lo > hi:  # the status quo lies outside the Council's range: unanimity decides
            lo = hi = min(max(status_quo, float(council.min())), float(council.max()))
    lo, hi = max(lo, low), min(hi, high)
    return float(min(max(commission, lo), hi))


@register_model(
    "procedural",
    title="Procedural model (Commission agenda setter, Council QMV, Parliament)",
    citation=(
        "Steunenberg (1994), JITE 150(4); Tsebelis & Garrett (2000), EUP 1(1); Steunenberg & "
        "Selck (2006) in The European Union Decides"
    ),
    params=[
        Param(
            "qmv",
            0.71,
            "the qualified majority as a share of the Council's votes (71% under the EU-15 "
            "weights, 74% of the weighted votes under Nice, 65% of the population after 2014)",
            low=0.5,
            high=1.0,
        ),
        Param(
            "procedure",
            "auto",
            "'codecision' (the Parliament must accept), 'consultation' (it need not; the "
            "Council can amend by unanimity) or 'auto' (consultation where the Parliament's "
            "capability is 0)",
            kind="choice",
            choices=("auto", "codecision", "consultation"),
        ),
        Param(
            "commission",
            "com",
            "actor id of the Commission",
            kind="choice",
            choices=("com", "commission", "COM"),
        ),
        Param(
            "parliament",
            "ep",
            "actor id of the Parliament",
            kind="choice",
            choices=("ep", "parliament", "EP"),
        ),
    ],
)
def procedural(
    inp: BargainingInput,
    *,
    qmv: float = 0.71,
    procedure: str = "auto",
    commission: str = "com",
    parliament: str = "ep",
) -> ModelResult:
    """Forecast each issue at the procedural model's equilibrium (see the module doc)."""
    ids = [a.lower() for a in inp.actor_ids] or [str(i) for i in range(inp.n_actors)]
    ci = ids.index(commission.lower()) if commission.lower() in ids else None
    pi = ids.index(parliament.lower()) if parliament.lower() in ids else None
    members = [i for i in range(len(ids)) if i not in (ci, pi)]
    b, _, k = inp.positions.shape
    ref = inp.reference_batch()
    out = np.empty((b, k))
    for bb in range(b):
        for kk in range(k):
            x = inp.positions[bb, :, kk]
            com = None if ci is None else float(x[ci])
            low, high = float(inp.scale_low[kk]), float(inp.scale_high[kk])
            d = None if np.isnan(ref[bb, kk]) else float(ref[bb, kk])
            ep_cap = 0.0 if pi is None else float(inp.capabilities[bb, pi])
            cns = procedure == "consultation" or (procedure == "auto" and ep_cap <= 0)
            out[bb, kk] = procedural_outcome(
                x[members],
                inp.capabilities[bb, members],
                com,
                None if pi is None else float(x[pi]),
                d,
                float(qmv),
                cns,
                low,
                high,
            )
    return ModelResult("procedural", forecast=out)
