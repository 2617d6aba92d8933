"""Loading, round-tripping and the BDM-style CSV files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from detente.bargaining.arrays import to_arrays
from detente.scenario import load, loads, save, to_yaml
from tests.conftest import shared_path


def test_default_scenario_has_article_actors_and_issues() -> None:
    sc = load()
    assert {"RUS", "UKR", "USA", "EU", "CHN", "IND"} <= set(sc.actor_ids)
    assert {"territory", "security", "sanctions"} <= set(sc.issue_ids)
    for actor in sc.actors:
        for est in [actor.capability, *actor.positions.values(), *actor.saliences.values()]:
            assert est.source, f"{actor.id}: every number needs a source note"


def test_yaml_round_trip(tmp_path: Path) -> None:
    sc = load()
    again = loads(to_yaml(sc))
    assert again == sc
    path = save(sc, tmp_path / "copy.yaml")
    assert load(path) == sc


def test_bdm_csv_loads_as_one_issue() -> None:
    sc = load(shared_path("data", "bargaining", "bdm", "ExampleActors.csv"))
    inp = to_arrays(sc)
    assert inp.positions.shape == (1, 10, 1)
    # Saliences 0-100 in the file become 0-1.
    np.testing.assert_allclose(inp.saliences[0, :3, 0], [0.8, 0.4, 0.2])
    assert sc.actors[0].name == "Netherlands"


def test_bdm_csv_with_stakeholder_and_resources_columns() -> None:
    sc = load(shared_path("data", "bargaining", "bdm", "ChinaData.csv"))
    assert len(sc.actors) == 24
    assert sc.actors[-1].name == "Guandung"
    honduras = load(shared_path("data", "bargaining", "bdm", "HondurasCrisisData.csv"))
    # Saliences already on 0-1 stay as they are.
    assert honduras.actors[2].saliences["issue"].value == 0.3


def test_multi_issue_csv(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text(
        "Actor,Capability,Oil Position,Oil Salience,Land Position,Land Salience\n"
        "A,1,0,50,10,20\nB,2,100,30,90,80\n",
        "utf-8",
    )
    sc = load(path)
    assert sc.issue_ids == ("Oil", "Land")
    assert sc.actor("B").saliences["Land"].value == 0.8


def test_unquoted_yaml_date_is_kept_as_text() -> None:
    text = (
        "meta: {title: t, date: 2025-09-09}\n"
        "issues: [{id: x, name: X}]\n"
        "actors: [{id: a, name: A, capability: 1, positions: {x: 5}, saliences: {x: 1}}]\n"
    )
    assert loads(text).meta.date == "2025-09-09"
