"""`detente schema`, `detente show NAME`, `detente init`: the published JSON Schema accepts the
shipped scenarios and rejects what the loader rejects; show and init print loadable YAML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from detente.api.docs import embedded_case_names
from detente.cli.main import main
from detente.scenario import io as scenario_io

jsonschema = pytest.importorskip("jsonschema")


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def schema() -> dict:
    from detente.api.docs import scenario_schema_text

    return json.loads(scenario_schema_text())


def test_schema_command_validates_ukraine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _cli(["schema"], capsys)
    assert code == 0 and err == ""
    s = json.loads(out)  # `detente schema > s.json` is pure JSON
    jsonschema.Draft202012Validator.check_schema(s)
    data = yaml.safe_load(scenario_io.embedded_text("ukraine-2025"))
    jsonschema.validate(data, s)


def test_schema_accepts_every_shipped_case(schema: dict) -> None:
    for name in embedded_case_names():
        data = yaml.safe_load(scenario_io.embedded_text(f"cases/{name}"))
        data = json.loads(json.dumps(data, default=str))  # YAML dates as the text written
        jsonschema.validate(data, schema)


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d["war"]["parameters"].update(horizon=0.5),  # below its range [1, 600]
        lambda d: d["war"]["parameters"].update(no_such_parameter=1),
        lambda d: d["actors"][0].update(capability="strong"),
        lambda d: d.update(extra_field=1),
    ],
)
def test_schema_rejects_what_the_loader_rejects(schema: dict, edit) -> None:
    data = yaml.safe_load(scenario_io.embedded_text("ukraine-2025"))
    edit(data)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)
    with pytest.raises(Exception):  # noqa: B017 - the loader's own error class
        scenario_io.from_data(data, "edited")


def test_war_parameters_carry_unit_default_and_range(schema: dict) -> None:
    from detente.scenario.war_schema import PARAMETERS

    props = schema["$defs"]["WarSpec"]["properties"]["parameters"]["properties"]
    assert set(props) == set(PARAMETERS)
    tau = props["tau"]
    assert tau["default"] == PARAMETERS["tau"].default
    assert "share/month" in tau["description"] and "[0, 2]" in tau["description"]
    window = props["window"]
    assert window["default"] == PARAMETERS["window"].default == 12
    assert "months" in window["description"] and "[1, 120]" in window["description"]


def test_show_prints_the_embedded_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(["show", "ukraine-2025"], capsys)
    assert code == 0
    assert scenario_io.loads(out, "shown") == scenario_io.load("ukraine-2025")
    code, out, err = _cli(["show", "no-such"], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "ukraine-2025" in err


def test_init_writes_a_valid_template_and_keeps_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, _ = _cli(["init"], capsys)
    assert code == 0
    text = (tmp_path / "scenario.yaml").read_text()
    sc = scenario_io.load(str(tmp_path / "scenario.yaml"))
    assert len(sc.actors) == 2 and sc.war is None
    # the commented war, claims and outcomes parts are valid too once uncommented
    body = []
    for line in text.splitlines():
        keep = line.startswith("# ") and (
            line[2:3] == " " or line[2:].split(":")[0] in ("war", "claims", "outcomes")
        )
        body.append(line[2:] if keep else line)
    full = scenario_io.loads("\n".join(body), "uncommented")
    assert full.war is not None and full.claims and full.outcomes
    (tmp_path / "scenario.yaml").write_text("mine")
    code, _, err = _cli(["init"], capsys)
    assert code == 2 and "exists" in err
    assert (tmp_path / "scenario.yaml").read_text() == "mine"
