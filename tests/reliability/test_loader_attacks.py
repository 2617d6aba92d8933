"""Hostile files for every loader: entity bombs, external entities, object-constructing YAML tags,
alias bombs, huge numbers, deep nesting, odd encodings, oversized files. Each must load or raise a
DetenteError with one clear line; none may execute code, read other files or run for long.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tools.stress import (
    _XML_BOMB,
    _XML_XXE,
    _YAML_BOMB,
    random_scenario_data,
    to_ktab_csv,
    to_ktab_xml,
    to_plain_csv,
    to_yaml_text,
)

from detente.scenario import io, ktab
from detente.scenario.errors import DetenteError, ScenarioError

# A billion-laughs expansion or an exponential walk would run for minutes or exhaust memory; a
# refusal takes milliseconds. pytest-timeout turns such a hang into a failure (no timing is
# asserted: the limit is two orders of magnitude above the refusal).
pytestmark = pytest.mark.timeout(60)


def _valid(n_actors: int = 4, n_issues: int = 2) -> dict:
    import numpy as np

    return random_scenario_data(np.random.default_rng(1), n_actors, n_issues)


def _rejects(call, *needles: str) -> str:
    with pytest.raises(DetenteError) as info:
        call()
    message = str(info.value)
    assert message.strip() and "\n" not in message, message
    for needle in needles:
        assert needle in message, message
    return message


def test_xml_billion_laughs_is_refused(tmp_path: Path) -> None:
    text = to_ktab_xml(_valid()).encode()
    bomb = _XML_BOMB + text.split(b"?>", 1)[1].replace(b"<name>Fuzz", b"<name>&lol9;", 1)
    path = tmp_path / "bomb.xml"
    path.write_bytes(bomb)
    _rejects(lambda: ktab.load_ktab_xml(path), "forbidden XML feature")
    _rejects(lambda: io.load(path), "forbidden XML feature")


def test_xml_external_entity_is_refused_and_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    xxe = _XML_XXE.replace(b"file:///etc/passwd", secret.as_uri().encode())
    text = to_ktab_xml(_valid()).encode()
    path = tmp_path / "xxe.xml"
    path.write_bytes(xxe + text.split(b"?>", 1)[1].replace(b"<name>Fuzz", b"<name>&xxe;", 1))
    message = _rejects(lambda: ktab.load_ktab_xml(path), "forbidden XML feature")
    assert "TOP-SECRET" not in message


def test_xml_dtd_without_entities_is_refused(tmp_path: Path) -> None:
    # defusedxml forbids DTDs only when asked; an internal DTD without entities is harmless
    # either way, but must not crash.
    text = to_ktab_xml(_valid()).encode()
    path = tmp_path / "dtd.xml"
    path.write_bytes(
        b'<?xml version="1.0"?>\n<!DOCTYPE Scenario [<!ELEMENT Scenario ANY>]>\n'
        + text.split(b"?>", 1)[1]
    )
    try:
        scenario = ktab.load_ktab_xml(path)
    except DetenteError as exc:
        assert "\n" not in str(exc)
    else:
        assert len(scenario.actors) == 4


def test_yaml_python_object_tag_is_refused_and_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f"!!python/object/apply:os.system ['touch {marker}']\n"
    _rejects(lambda: io.loads(text), "YAML tags that construct objects are not allowed")
    doc = to_yaml_text(_valid()).replace(
        "title: fuzz seed", f"title: !!python/object/apply:os.system ['touch {marker}']"
    )
    _rejects(lambda: io.loads(doc), "not allowed")
    path = tmp_path / "tag.yaml"
    path.write_text(doc)
    _rejects(lambda: io.load(path), "not allowed")
    assert not marker.exists()


def test_yaml_alias_bomb_is_refused_quickly() -> None:
    # Nine levels of nine aliases: 9^9 (387 million) nodes once expanded, 1 KB of text.
    doc = _YAML_BOMB.decode() + to_yaml_text(_valid())
    _rejects(lambda: io.loads(doc), "aliases")


def test_yaml_modest_aliases_still_load() -> None:
    # Aliases are legal YAML: a few of them (one actor's saliences reused) must keep working.
    data = _valid(3, 2)
    text = to_yaml_text(data)
    import yaml

    doc = yaml.safe_load(text)
    for actor in doc["actors"]:
        actor["saliences"] = doc["actors"][0]["saliences"]
    aliased = yaml.safe_dump(doc, sort_keys=False)
    assert "*id" in aliased  # PyYAML wrote anchors and aliases for the shared mapping
    scenario = io.loads(aliased)
    assert [a.saliences["i0"].value for a in scenario.actors] == [
        doc["actors"][0]["saliences"]["i0"]
    ] * 3


@pytest.mark.parametrize(
    "token, needle",
    [
        ("9" * 5000, "too many digits"),
        ("9" * 400, "capability"),
        (".nan", "finite"),
        (".inf", "finite"),
        ("-1", "capability"),
        ("'12'", "capability"),
        ("[1, 2]", "capability"),
        ("{value: 1, sd: -1}", "capability"),
        ("{value: 5, low: 9, high: 1}", "capability"),
        ("[" * 5000 + "]" * 5000, ""),
    ],
)
def test_yaml_bad_numbers_are_clear_errors(token: str, needle: str) -> None:
    text = to_yaml_text(_valid()).replace("capability: ", f"capability: {token} #", 1)
    _rejects(lambda: io.loads(text), needle)


def test_python_objects_through_from_data_are_clear_errors() -> None:
    loop: list = []
    loop.append(loop)
    deep: object = 1
    for _ in range(5000):
        deep = [deep]
    for bad in (10**5000, float("nan"), loop, deep, object(), b"bytes", {1, 2}, complex(1, 2)):
        doc = _valid()
        doc["actors"][0]["capability"] = bad
        _rejects(lambda d=doc: io.from_data(d, "<api>"), "actors[0].capability")


@pytest.mark.parametrize("codec", ["utf-16", "utf-32", "latin-1", "utf-7"])
def test_odd_encodings_are_clear_errors_or_load(codec: str, tmp_path: Path) -> None:
    data = _valid()
    data["actors"][0]["name"] = "Côte d'Ivoire"
    for suffix, text in (
        (".yaml", to_yaml_text(data)),
        (".csv", to_plain_csv(data)),
        (".xml", to_ktab_xml(data)),
    ):
        path = tmp_path / f"enc{suffix}"
        path.write_bytes(text.encode(codec))
        try:
            scenario = io.load(path)
        except DetenteError as exc:
            assert "\n" not in str(exc)
        else:  # UTF-7 and Latin-1 of mostly-ASCII text can still be valid UTF-8 (or XML)
            assert len(scenario.actors) == 4


def test_utf8_bom_and_crlf_load(tmp_path: Path) -> None:
    data = _valid()
    for suffix, text in ((".yaml", to_yaml_text(data)), (".csv", to_plain_csv(data))):
        path = tmp_path / f"bom{suffix}"
        path.write_bytes(text.replace("\n", "\r\n").encode("utf-8-sig"))
        assert len(io.load(path).actors) == 4


def test_oversized_file_is_refused_without_reading(tmp_path: Path) -> None:
    for suffix in (".yaml", ".csv", ".xml"):
        path = tmp_path / f"huge{suffix}"
        with path.open("wb") as fh:  # a sparse file: big on paper, cheap to make
            fh.truncate(io.MAX_FILE_BYTES + 1)
        _rejects(lambda p=path: io.load(p), "bytes")


def test_nul_bytes_and_binary_are_clear_errors(tmp_path: Path) -> None:
    for suffix in (".yaml", ".csv"):
        path = tmp_path / f"bin{suffix}"
        path.write_bytes(b"meta:\x00\xff\xfe binary")
        _rejects(lambda p=path: io.load(p), str(path))


def test_ktab_csv_absurd_counts_are_clear_errors(tmp_path: Path) -> None:
    text = to_ktab_csv(_valid())
    first, rest = text.split("\n", 1)
    for counts in ("1000000000,999999999", "4,0", "-1,2", "4,1e400", "4,nan", "4.5,2"):
        path = tmp_path / "counts.csv"
        path.write_text(first.rsplit(",", 2)[0] + "," + counts + "\n" + rest)
        _rejects(lambda p=path: ktab.load_ktab_csv(p), "line ")


def test_long_strings_are_clear_errors() -> None:
    text = to_yaml_text(_valid()).replace("name: Actor 0", "name: " + "x" * 100_000, 1)
    _rejects(lambda: io.loads(text), "actors[0].name")


def test_messages_name_file_field_value_and_rule(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(to_yaml_text(_valid()).replace("capability: ", "capability: -3 #", 1))
    with pytest.raises(ScenarioError) as info:
        io.load(path)
    err = info.value
    assert err.file == str(path) and err.field == "actors[0].capability"
    assert "-3" in str(err) and ">= 0" in str(err)


@pytest.mark.parametrize("encoding", ["UTF-7", "ISO-2022-JP", "bogus-9", "UTF-16", "UTF-32"])
def test_xml_encoding_declarations_load_or_are_clear_errors(encoding: str, tmp_path: Path) -> None:
    # Found by the atheris harness: expat raised ValueError for UTF-7 ("multi-byte encodings are
    # not supported"); Python raises LookupError for an unknown codec. ASCII-compatible ones
    # (ISO-2022-JP on ASCII text) may load.
    text = to_ktab_xml(_valid()).replace('encoding="UTF-8"', f'encoding="{encoding}"')
    path = tmp_path / "enc.xml"
    path.write_bytes(text.encode("utf-8"))
    if encoding in ("UTF-7", "bogus-9"):
        _rejects(lambda: ktab.load_ktab_xml(path), str(path), "encoding")
        return
    try:
        scenario = ktab.load_ktab_xml(path)
    except DetenteError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc)
    else:
        assert len(scenario.actors) == 4


@pytest.mark.parametrize(
    "value, needle",
    [
        ("!!timestamp xyz", "YAML tag cannot build"),  # found by the stress fuzzer: AttributeError
        ("!!bool maybe", "YAML tag cannot build"),  # KeyError
        ("!!int abc", "YAML tag cannot build"),
        ("!!float x", "YAML tag cannot build"),
        ("!!timestamp 2001-13-45", "YAML tag cannot build"),
        ("!!map [1]", "is not valid YAML"),
        ("!!python/name:os.system", "not allowed"),
    ],
)
def test_yaml_explicit_tags_over_bad_values(value: str, needle: str) -> None:
    text = to_yaml_text(_valid()).replace("title: fuzz seed", f"title: {value}")
    _rejects(lambda: io.loads(text), needle)
