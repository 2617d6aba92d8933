"""Issue 16: every `detente war` / `detente claims` error about a scenario file's war section is
one line, exit 2, naming the file and the field (``FILE: war.FIELD = VALUE: rule``, as the other
loaders write it). Each case edits the embedded ukraine-2025 scenario in one place."""

from __future__ import annotations

from pathlib import Path

import pytest

from detente.cli.main import main
from detente.scenario import io as scenario_io
from detente.scenario.errors import ScenarioError
from detente.scenario.war_schema import BUILTIN_MIXES, check_war

SRC = Path(__file__).resolve().parents[2] / "src" / "detente" / "scenarios" / "ukraine-2025.yaml"
EVENT = "- {kind: sanction, month: 2, intensity: 0.1,"

# (name, old, new, the field named, a word of the rule)
CASES = [
    (
        "kind",
        EVENT,
        "- {kind: bombard, month: 2, intensity: 0.1,",
        "war.policies.europe-alone.events[0].kind = 'bombard'",
        "threat",
    ),
    (
        "summit",
        EVENT,
        "- {kind: summit, month: 2, intensity: -0.5,",
        "war.policies.europe-alone.events[0].intensity = -0.5",
        ">= 0",
    ),
    (
        "threat",
        EVENT,
        "- {kind: threat, month: 2, intensity: -1,",
        "war.policies.europe-alone.events[0].intensity = -1",
        ">= 0",
    ),
    (
        "enforce",
        EVENT,
        "- {kind: threat, month: 2, intensity: 0.1, enforce: 2,",
        "war.policies.europe-alone.events[0].enforce = 2",
        "[0, 1]",
    ),
    (
        "ref",
        EVENT,
        "- {kind: sanction, month: 2, intensity: foo,",
        "war.policies.europe-alone.events[0].intensity = 'foo'",
        "war parameter",
    ),
    (
        "param",
        "    delta: {value: 0.99,",
        "    deltaa: {value: 0.99,",
        "war.parameters.deltaa",
        "not a war parameter",
    ),
    (
        "range",
        "    delta: {value: 0.99,",
        "    delta: {value: 7,",
        "war.parameters.delta = 7",
        "[0.5, 1]",
    ),
    ("attacker", "  attacker: RUS", "  attacker: XYZ", "war.attacker = 'XYZ'", "not an actor"),
    ("sides", "  attacker: RUS", "  attacker: UKR", "war.defender = 'UKR'", "two sides"),
    (
        "base",
        "    europe-alone:\n      description:",
        "    europe-alone:\n      base: nope\n      description:",
        "war.policies.europe-alone.base = 'nope'",
        "not a policy mix",
    ),
]
COMMANDS = {
    "war": ["war", "--paths", "10", "--months", "6", "--no-plot", "--no-store"],
    "claims": ["claims", "--draws", "2", "--paths", "5", "--no-store"],
}


def _variant(tmp_path: Path, name: str, old: str, new: str) -> Path:
    text = SRC.read_text(encoding="utf-8")
    assert text.count(old) >= 1, f"the case {name} no longer matches ukraine-2025.yaml"
    path = tmp_path / f"bad-{name}.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize(("name", "old", "new", "field", "rule"), CASES, ids=[c[0] for c in CASES])
def test_bad_war_section_is_one_line_naming_the_file(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
    name: str,
    old: str,
    new: str,
    field: str,
    rule: str,
) -> None:
    path = _variant(tmp_path, name, old, new)
    with pytest.raises(SystemExit) as exc:
        main([*COMMANDS[command], str(path)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"detente: error: {path}: {field}"), err
    assert rule in err, err


def test_no_war_section_names_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = SRC.read_text(encoding="utf-8")
    path = tmp_path / "nowar.yaml"
    path.write_text(text[: text.index("\nwar:")] + "\n", encoding="utf-8")
    for argv in COMMANDS.values():
        with pytest.raises(SystemExit) as exc:
            main([*argv, str(path)])
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith(f"detente: error: {path}: war: is missing")


def test_negative_sizes_stay_allowed_where_they_lower_a_level(tmp_path: Path) -> None:
    # lifting sanctions or cutting aid is a negative intensity: the file loads
    path = _variant(tmp_path, "lift", EVENT, "- {kind: sanction, month: 2, intensity: -0.1,")
    sc = scenario_io.load(str(path))
    assert sc.war is not None
    assert sc.war.policies["europe-alone"].events[0].intensity.value == -0.1


def test_builtin_mixes_listed_in_the_schema_are_the_engines() -> None:
    from detente.war.policies import BUILTIN_POLICIES

    assert tuple(BUILTIN_POLICIES) == BUILTIN_MIXES


def test_a_loop_of_bases_is_refused(tmp_path: Path) -> None:
    old = "    europe-alone:\n      description:"
    path = _variant(
        tmp_path, "loop", old, "    europe-alone:\n      base: other\n      description:"
    )
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("\nclaims:", "\n    other: {base: europe-alone}\nclaims:", 1), encoding="utf-8"
    )
    with pytest.raises(ScenarioError, match="loop: europe-alone -> other -> europe-alone") as exc:
        scenario_io.load(str(path))
    assert str(exc.value).startswith(f"{path}: war.policies.europe-alone.base = 'other'")
    # the same rule for a war section built in code
    sc = scenario_io.load("ukraine-2025")
    assert sc.war is not None
    check_war(sc.war, sc.actor_ids, "f.yaml")  # the shipped scenario passes
    with pytest.raises(ScenarioError, match="f.yaml: war.attacker = 'RUS': is not an actor"):
        check_war(sc.war, ("UKR", "USA"), "f.yaml")
