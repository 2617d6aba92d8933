"""An uncertain reference point (status quo) is drawn like any other input."""

from __future__ import annotations

import numpy as np

from detente import api
from detente.analysis.uncertainty import REFERENCE_OWNER, param_table
from detente.bargaining import get_model, make_input
from detente.bargaining.inputs import BargainingInput


def test_reference_points_are_inputs() -> None:
    table = param_table(api.load("ukraine-2025"))
    refs = [n for n in table.names if n.startswith(f"{REFERENCE_OWNER}.reference.")]
    # ukraine-2025 gives every issue's status quo an uncertainty (low/high or sd).
    assert sorted(refs) == sorted(
        f"{REFERENCE_OWNER}.reference.{i}" for i in ("territory", "security", "sanctions")
    )
    j = table.names.index(f"{REFERENCE_OWNER}.reference.territory")
    assert (table.lo[j], table.hi[j]) == (82.0, 88.0)


def test_nash_with_per_draw_reference_equals_separate_runs() -> None:
    # Two actors on the same side of the status quo: the Nash solution moves with it.
    refs = np.array([[0.0], [1.0], [2.5]])
    one = [
        get_model("nash")(make_input([4.0, 6.0], 1.0, [1.0, 2.0], 0, 10, reference=r)).forecast[
            0, 0
        ]
        for r in refs[:, 0]
    ]
    base = make_input(np.tile([[4.0], [6.0]], (3, 1, 1)), 1.0, [1.0, 2.0], 0, 10)
    batch = BargainingInput(
        base.positions,
        base.saliences,
        base.capabilities,
        base.scale_low,
        base.scale_high,
        refs,
        base.actor_ids,
        base.issue_ids,
    )
    np.testing.assert_allclose(get_model("nash")(batch).forecast[:, 0], one, atol=1e-12)
    # A status quo nearer the actors leaves less to gain, so the solution shifts: not constant.
    assert len(set(np.round(one, 9))) == 3


def test_monte_carlo_spreads_the_status_quo_outcome() -> None:
    # On ukraine-2025 the actors straddle the status quo, so Nash with a costless breakdown
    # (cost 0: Nash 1950 with the status quo as disagreement) mostly returns it: its 90%
    # interval must then lie within the status quo's stated range (territory: uniform on
    # [82, 88]) and be about as wide as 90% of it (5.4).
    fc = api.forecast(
        "ukraine-2025", model="nash", params={"nash": {"cost": 0.0}}, draws=4000, seed=3
    )
    territory = fc.to_dict()["uncertainty"]["nash"]["issues"]["territory"]
    low, high = territory["interval_90"]
    assert 82.0 <= low < high <= 88.0
    assert high - low > 4.0
