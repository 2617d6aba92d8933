"""Small scenarios with known answers for the analysis tests."""

from __future__ import annotations

from typing import Any

from detente.scenario import io as scenario_io
from detente.scenario.schema import Scenario


def scenario(
    actors: list[dict[str, Any]],
    issues: list[str] | None = None,
    scale: tuple[float, float] = (0.0, 100.0),
) -> Scenario:
    """A scenario from short actor rows: {id, cap, pos: {issue: est}, sal: {issue: est}}."""
    issues = issues or ["x"]
    return scenario_io.from_data(
        {
            "meta": {"title": "test"},
            "issues": [
                {"id": i, "name": i, "scale": {"low": scale[0], "high": scale[1]}} for i in issues
            ],
            "actors": [
                {
                    "id": a["id"],
                    "name": a["id"],
                    "capability": a["cap"],
                    "positions": {i: a["pos"][i] for i in issues},
                    "saliences": {i: a.get("sal", {}).get(i, 1.0) for i in issues},
                }
                for a in actors
            ],
        },
        "test",
    )
