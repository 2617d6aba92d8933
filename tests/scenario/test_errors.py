"""Each bad input gives one clear line naming the file, the field, the value and the rule.

The CLI exits with code 2.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from detente.scenario import ScenarioError, load
from detente.scenario.io import embedded_text

BASE = yaml.safe_load(embedded_text("ukraine-2025"))


def _write(tmp_path: Path, data: object, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data, "utf-8")
    return path


def _mutated(fn) -> dict:
    import copy

    data = copy.deepcopy(BASE)
    fn(data)
    return data


def _set(path: list, value: object):
    def fn(data: dict) -> None:
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return fn


def _delete(path: list):
    def fn(data: dict) -> None:
        node = data
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return fn


CASES = {
    "missing field": (_delete(["actors", 1, "capability"]), "actors[1].capability", "missing"),
    "wrong type": (_set(["actors", 0, "capability"], "strong"), "actors[0].capability", "number"),
    "salience above 1": (
        _set(["actors", 3, "saliences", "territory"], 1.5),
        "actors[3].saliences",
        "[0, 1]",
    ),
    "negative capability": (
        _set(["actors", 2, "capability"], -0.5),
        "actors[2].capability",
        ">= 0",
    ),
    "unknown issue": (
        _set(["actors", 0, "positions", "oil"], 3.0),
        "actors[0].positions.oil",
        "unknown issue",
    ),
    "nan": (
        _set(["actors", 0, "positions", "territory"], float("nan")),
        "actors[0].positions",
        "finite",
    ),
    "inf": (_set(["actors", 4, "capability"], float("inf")), "actors[4].capability", "finite"),
    "duplicate ids": (_set(["actors", 1, "id"], "RUS"), "actors[1].id", "unique"),
    "position off the scale": (
        _set(["actors", 0, "positions", "security"], 140),
        "actors[0].positions.security",
        "scale",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_scenario_names_field_and_rule(tmp_path: Path, case: str) -> None:
    mutate, field, rule_word = CASES[case]
    path = _write(tmp_path, _mutated(mutate))
    with pytest.raises(ScenarioError) as info:
        load(path)
    msg = str(info.value)
    assert msg.startswith(str(path)), msg
    assert field in msg, msg
    assert rule_word.lower() in msg.lower(), msg
    assert "\n" not in msg


def test_position_for_unknown_actor_in_csv(tmp_path: Path) -> None:
    # A CSV row without an actor name cannot be placed.
    path = _write(tmp_path, "Actor,Capability,Position,Salience\n,1,50,0.5\nB,1,40,0.5\n", "a.csv")
    with pytest.raises(ScenarioError, match=r"rows\[1\]\.Actor"):
        load(path)


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"meta: {title: \xff\xfe bad}\n", "UTF-8"),
        (b"!!python/object/apply:os.system ['echo pwned']\n", "tags that construct objects"),
        (b"meta: [unclosed\n", "not valid YAML"),
        (b"- just\n- a list\n", "mapping"),
    ],
)
def test_bad_files(tmp_path: Path, content: bytes, rule: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    with pytest.raises(ScenarioError, match=rule):
        load(path)


def test_cli_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = _write(tmp_path, _mutated(_set(["actors", 3, "saliences", "territory"], 1.5)))
    proc = subprocess.run(
        [sys.executable, "-m", "detente.cli.main", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "actors[3].saliences" in lines[0] and "Traceback" not in proc.stderr
    assert "1.5" in lines[0]


def test_cli_missing_file_exit_2(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "detente.cli.main", "forecast", str(tmp_path / "nope.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "no such file" in proc.stderr
