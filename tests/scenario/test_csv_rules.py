"""Issue 16, CSV rules: one row per actor, one salience scale per file (stated by ``validate``),
and strict numbers (ASCII digits only)."""

from __future__ import annotations

import pytest

from detente.cli.main import main
from detente.scenario.errors import ScenarioError
from detente.scenario.io import loads_csv

HEAD = "Actor,Capability,Position,Salience\n"


def test_duplicate_actor_names_both_rows() -> None:
    with pytest.raises(ScenarioError) as info:
        loads_csv(HEAD + "USA,10,20,0.5\nRUS,20,80,0.5\n usa ,5,50,0.2\n", "dup.csv")
    msg = str(info.value)
    assert "dup.csv" in msg and "rows[3]" in msg and "rows[1]" in msg


def test_mixed_salience_scales_name_the_values() -> None:
    with pytest.raises(ScenarioError) as info:
        loads_csv(HEAD + "A,10,20,0.8\nB,20,80,0.5\nC,5,50,1.9\n", "mix.csv")
    msg = str(info.value)
    assert "mix.csv" in msg and "0.8" in msg and "1.9" in msg and "0-100" in msg


@pytest.mark.parametrize(
    ("rows", "scale", "expected"),
    [
        ("A,10,20,0.8\nB,20,80,0.5\n", 1, 0.8),
        ("A,10,20,80\nB,20,80,50\n", 100, 0.8),
        ("A,10,20,1\nB,20,80,0\n", 1, 1.0),
    ],
)
def test_one_scale_is_chosen_and_stated(rows: str, scale: int, expected: float) -> None:
    sc = loads_csv(HEAD + rows, "s.csv")
    assert sc.actors[0].saliences["issue"].value == pytest.approx(expected, abs=1e-12)
    assert f"0-{scale} scale" in (sc.meta.description or "")


def test_salience_over_100_is_an_error() -> None:
    with pytest.raises(ScenarioError, match="0-1 or 0-100"):
        loads_csv(HEAD + "A,10,20,80\nB,20,80,150\n", "big.csv")


@pytest.mark.parametrize("cell", ["\uff12\uff10", "1_000", "infinity", "0x10", "1:30", "yes"])
def test_strict_numbers(cell: str) -> None:
    with pytest.raises(ScenarioError, match="plain number|must be"):
        loads_csv(HEAD + f"A,10,{cell},0.5\nB,20,80,0.5\n", "n.csv")


def test_validate_states_the_scale(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "ok.csv"
    path.write_text(HEAD + "A,10,20,80\nB,20,80,50\n", encoding="utf-8")
    with pytest.raises(SystemExit) as info:
        main(["validate", str(path)])
    assert info.value.code in (0, None)
    assert "0-100 scale" in capsys.readouterr().out
