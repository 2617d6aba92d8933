"""KTAB SMP input files (CSV and XML) -> detente Scenario, and `detente import ktab`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detente.bargaining.arrays import to_arrays
from detente.cli.main import main
from detente.scenario import io as scenario_io
from detente.scenario.errors import ScenarioError
from detente.scenario.ktab import ktab_xml_params, load_ktab_csv, load_ktab_xml

KTAB = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "bargaining" / "ktab"


def _need(name: str) -> Path:
    path = KTAB / name
    if not path.exists():
        pytest.skip(f"shared KTAB data not present ({path})")
    return path


CSV_3 = """Tiny,"A tiny test",3,2,
Actor,Description,Influence,Pol Position,Pol Salience,Comp Position,Comp Salience,
A, first, 10, 20, 30, 40, 50,
B, second, 20.5, 60, 10, 70, 20,
C, , 5, 0, 100, 100, 0,
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_values_scales_and_saliences(tmp_path: Path) -> None:
    sc = load_ktab_csv(_write(tmp_path, "tiny.csv", CSV_3))
    assert sc.meta.title == "Tiny"
    assert [i.id for i in sc.issues] == ["Pol", "Comp"]
    assert all((i.scale.low, i.scale.high) == (0.0, 100.0) for i in sc.issues)
    assert [a.id for a in sc.actors] == ["A", "B", "C"]
    inp = to_arrays(sc)
    np.testing.assert_array_equal(inp.positions[0], [[20, 40], [60, 70], [0, 100]])
    # KTAB saliences are 0-100, detente's 0-1; capability is the raw power.
    np.testing.assert_allclose(inp.saliences[0], [[0.3, 0.5], [0.1, 0.2], [1.0, 0.0]])
    np.testing.assert_array_equal(inp.capabilities[0], [10, 20.5, 5])


def test_shipped_soe_file() -> None:
    sc = load_ktab_csv(_need("SOE-Pol-Comp.csv"))
    assert len(sc.actors) == 13 and [i.name for i in sc.issues] == ["Policy", "Competitive"]
    xj = sc.actor("XJ")
    assert xj.description == "Xi Jinping" and xj.capability.value == 100.0
    assert xj.positions["Policy"].value == 30 and xj.saliences["Competitive"].value == 0.48


def test_xml_equals_csv_for_dummy_data() -> None:
    a = to_arrays(load_ktab_csv(_need("dummyData_3Dim.csv")))
    b = to_arrays(load_ktab_xml(_need("dummyData_3Dim.xml")))
    for name in ("positions", "saliences", "capabilities"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_io_load_sniffs_ktab_files() -> None:
    for name in ("SOE-Pol-Comp.csv", "dummyData_3Dim.xml"):
        path = _need(name)
        sc = scenario_io.load(path)
        direct = load_ktab_xml(path) if name.endswith(".xml") else load_ktab_csv(path)
        assert sc == direct


def test_broken_smp_example_names_file_field_value_rule() -> None:
    path = _need("smpExample.xml")
    with pytest.raises(ScenarioError) as info:
        load_ktab_xml(path)
    err = info.value
    assert err.file == str(path)
    assert err.field == "Actors/Actor[0]/Position/dCoord[0]"
    assert err.value == ""
    msg = str(err)
    assert "smpExample.xml" in msg and "dCoord[0]" in msg and "number" in msg


def test_xml_model_parameters_are_mapped() -> None:
    params, unsupported = ktab_xml_params(_need("smpExample.xml"))
    assert params["transitions"] == "stochastic"
    assert "PCEModel=MarkovIncentive" in unsupported and "VotingRule=PropCbc" in unsupported


@pytest.mark.parametrize(
    ("text", "field", "rule"),
    [
        (
            CSV_3.replace('Tiny,"A tiny test",3', "Tiny,x,4"),
            "line 1, number of actors",
            "does not match",
        ),
        (CSV_3.replace("20.5", "lots"), "line 4 (B), Influence", "must be a number"),
        (
            CSV_3.replace("A, first, 10, 20", "A, first, 10, 120"),
            "line 3 (A), Pol Position",
            "[0, 100]",
        ),
        (
            CSV_3.replace("B, second, 20.5, 60, 10, 70, 20", "B, second, 20.5, 60, 60, 70, 50"),
            "line 4 (B), saliences",
            "at most 100",
        ),
        (CSV_3.replace("C, , 5, 0, 100, 100, 0,", "C, , 5, 0, 100,"), "line 5", "cells"),
        (CSV_3.replace("A, first, 10", "A, first, -1"), "line 3 (A), Influence", ">= 0"),
    ],
)
def test_csv_errors(tmp_path: Path, text: str, field: str, rule: str) -> None:
    path = _write(tmp_path, "bad.csv", text)
    with pytest.raises(ScenarioError) as info:
        load_ktab_csv(path)
    assert info.value.field == field
    assert rule in info.value.rule
    assert str(path) in str(info.value)


XML = """<?xml version="1.0" encoding="UTF-8"?>
<Scenario>
  <name>X</name><desc>d</desc><prngSeed>1</prngSeed>
  <Dimensions><dName>One</dName></Dimensions>
  <Actors>
    <Actor><name>A</name><description/><capability>CAP</capability>
      <Position><dCoord>10</dCoord></Position><Salience><dSal>50</dSal></Salience></Actor>
    <Actor><name>B</name><description/><capability>2</capability>
      <Position><dCoord>POS</dCoord></Position><Salience><dSal>50</dSal></Salience></Actor>
    <Actor><name>C</name><description/><capability>3</capability>
      <Position><dCoord>90</dCoord></Position><Salience><dSal>SAL</dSal></Salience></Actor>
  </Actors>
</Scenario>
"""


def _xml(cap: str = "1", pos: str = "50", sal: str = "50") -> str:
    return XML.replace("CAP", cap).replace("POS", pos).replace("SAL", sal)


def test_xml_reads_a_minimal_file(tmp_path: Path) -> None:
    sc = load_ktab_xml(_write(tmp_path, "ok.xml", _xml()))
    assert [a.id for a in sc.actors] == ["A", "B", "C"] and sc.issues[0].name == "One"
    np.testing.assert_array_equal(to_arrays(sc).positions[0, :, 0], [10, 50, 90])


@pytest.mark.parametrize(
    ("text", "field", "rule"),
    [
        (_xml(pos="101"), "Actors/Actor[1]/Position/dCoord[0]", "[0, 100]"),
        (_xml(sal="abc"), "Actors/Actor[2]/Salience/dSal[0]", "must be a number"),
        (_xml(cap="2000"), "Actors/Actor[0]/capability", "smpSchema.xsd"),
        (
            _xml().replace("<dCoord>90</dCoord>", "<dCoord>90</dCoord><dCoord>1</dCoord>"),
            "Actors/Actor[2]/Position",
            "dimensions",
        ),
        (_xml().replace("<name>X</name>", ""), "name", "required"),
        ("<Scenario><name>X</name>", "line 1, column 24", "not well-formed"),
        ("<Other/>", "Other", "<Scenario>"),
    ],
)
def test_xml_errors(tmp_path: Path, text: str, field: str, rule: str) -> None:
    path = _write(tmp_path, "bad.xml", text)
    with pytest.raises(ScenarioError) as info:
        load_ktab_xml(path)
    assert info.value.field == field
    assert rule in info.value.rule


def test_xml_entities_are_refused(tmp_path: Path) -> None:
    evil = (
        '<?xml version="1.0"?><!DOCTYPE s [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        "<Scenario><name>&e;</name></Scenario>"
    )
    with pytest.raises(ScenarioError, match="forbidden XML feature"):
        load_ktab_xml(_write(tmp_path, "evil.xml", evil))


def test_cli_import_writes_yaml_that_loads_back(tmp_path: Path) -> None:
    src = _write(tmp_path, "tiny.csv", CSV_3)
    out = tmp_path / "tiny.yaml"
    with pytest.raises(SystemExit) as info:
        main(["import", "ktab", str(src), "-o", str(out)])
    assert info.value.code in (0, None)
    back = scenario_io.load(out)
    assert back == load_ktab_csv(src)
    assert back.meta.title == "Tiny"


def test_cli_import_broken_file_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    path = _need("smpExample.xml")
    with pytest.raises(SystemExit) as info:
        main(["import", "ktab", str(path), "-o", "/nonexistent/never.yaml"])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Actors/Actor[0]/Position/dCoord[0]" in err
