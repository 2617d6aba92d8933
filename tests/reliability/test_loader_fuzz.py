"""Property-based fuzzing of every loader (hypothesis), plus a short run of the seeded fuzzer that
``make stress`` runs at a larger budget.

The contract (issue 8): every input either loads or raises a DetenteError with a one-line message;
no other exception escapes. A valid scenario written in any format loads back with its numbers.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tools.stress import (
    NASTY_TOKENS,
    fuzz_loaders,
    loaders,
    to_ktab_csv,
    to_ktab_xml,
    to_plain_csv,
    to_yaml_text,
)

from detente.scenario import io, ktab
from detente.scenario.errors import DetenteError

FUZZ = settings(
    max_examples=40,
    derandomize=True,  # the same examples on every run (make test must repeat itself)
    deadline=None,  # the loaders' speed is not under test here
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
LOADERS = loaders()
ident = st.from_regex(r"\A[A-Za-z][A-Za-z0-9_]{0,11}\Z")
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
# Names: any text YAML can carry (no surrogates: they are not Unicode scalar values).
names = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30).filter(
    lambda s: s.strip() != ""
)
# KTAB's files and our plain CSV writer do no quoting, and XML 1.0 cannot hold control
# characters: names there are printable text without separators.
plain_names = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters=',;"<>&'),
    min_size=1,
    max_size=30,
).filter(lambda s: s.strip() != "")


@st.composite
def scenario_docs(draw: st.DrawFn, ktab_safe: bool = False) -> dict[str, Any]:
    """A valid scenario document. ``ktab_safe``: scales 0-100 and saliences summing to <= 1."""
    n_issues = draw(st.integers(1, 4))
    n_actors = draw(st.integers(3 if ktab_safe else 1, 8))
    name = plain_names if ktab_safe else names
    issue_ids = draw(st.lists(ident, min_size=n_issues, max_size=n_issues, unique_by=str.lower))
    issues, scales = [], []
    for iid in issue_ids:
        if ktab_safe:
            lo, hi = 0.0, 100.0
        else:
            lo = draw(finite)
            hi = lo + draw(st.floats(min_value=1e-3, max_value=1e6))
        scales.append((lo, hi))
        issues.append({"id": iid, "name": draw(name), "scale": {"low": lo, "high": hi}})
    # A CSV names each actor in one row: duplicate names are an error (issue 16), so draw them
    # distinct (after trimming and ignoring case, as the loaders compare them).
    actor_names = draw(
        st.lists(
            name, min_size=n_actors, max_size=n_actors, unique_by=lambda s: s.strip().casefold()
        )
    )
    actors = []
    for n in range(n_actors):
        pos = {
            iid: draw(st.floats(lo, hi)) for iid, (lo, hi) in zip(issue_ids, scales, strict=True)
        }
        top = 1.0 / n_issues if ktab_safe else 1.0
        sal = {iid: draw(st.floats(0.0, top)) for iid in issue_ids}
        actors.append(
            {
                "id": f"a{n}",
                "name": actor_names[n],
                "capability": draw(st.floats(0.0, 1000.0 if ktab_safe else 1e9)),
                "positions": pos,
                "saliences": sal,
            }
        )
    return {"meta": {"title": draw(name)}, "issues": issues, "actors": actors}


def _check(call: Any) -> Any:
    """Run a loader: a scenario, or a DetenteError with one clear line; anything else fails."""
    try:
        return call()
    except DetenteError as exc:
        message = str(exc)
        assert message.strip() and "\n" not in message.strip(), message
        return None


# --- valid inputs load with their numbers ----------------------------------------------------


@FUZZ
@given(doc=scenario_docs())
def test_valid_yaml_and_data_load_exactly(doc: dict[str, Any]) -> None:
    # Exact equality: YAML writes floats with repr, which round-trips every float64.
    for scenario in (io.loads(to_yaml_text(doc)), io.from_data(doc)):
        for a, actor in enumerate(scenario.actors):
            for iid, value in doc["actors"][a]["positions"].items():
                assert actor.positions[iid].value == value
                assert actor.saliences[iid].value == doc["actors"][a]["saliences"][iid]
            assert actor.capability.value == doc["actors"][a]["capability"]
        assert io.loads(io.to_yaml(scenario)) == scenario


@FUZZ
@given(doc=scenario_docs(ktab_safe=True))
def test_valid_csv_and_ktab_files_load(doc: dict[str, Any], tmp_path: Path) -> None:
    # Plain CSV: positions exact (str(float) round-trips). KTAB: saliences are written on 0-100
    # with two decimals, so they come back within 0.005/100 (the rounding), positions exactly.
    for name, text in (
        ("p.csv", to_plain_csv(doc)),
        ("k.csv", to_ktab_csv(doc)),
        ("k.xml", to_ktab_xml(doc)),
    ):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        scenario = io.load(path)
        assert len(scenario.actors) == len(doc["actors"])
        for a, actor in enumerate(scenario.actors):
            want = list(doc["actors"][a]["positions"].values())
            got = [actor.positions[i.id].value for i in scenario.issues]
            assert got == want
            if name != "p.csv":
                sal = [actor.saliences[i.id].value for i in scenario.issues]
                want_sal = list(doc["actors"][a]["saliences"].values())
                assert all(
                    # half a unit of the second decimal on 0-100, plus float rounding of it
                    math.isclose(s, w, abs_tol=5e-5 + 1e-12)
                    for s, w in zip(sal, want_sal, strict=True)
                )


# --- corrupted inputs: load or a clear error ---------------------------------------------------

_NUMBER_TOKENS = st.one_of(
    st.sampled_from(NASTY_TOKENS),
    st.floats().map(lambda x: repr(x).encode()),
    st.integers(-(10**30), 10**30).map(lambda n: str(n).encode()),
    st.text(max_size=20).map(lambda t: t.encode("utf-8", "surrogatepass")),
)


@st.composite
def corrupted(draw: st.DrawFn, text: bytes) -> bytes:
    """``text`` damaged one to three times: truncated, a token replaced, bytes inserted or
    deleted, re-encoded, nested deeply, or given a very long string."""
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from(["truncate", "token", "insert", "encode", "nest", "delete", "long"])
        )
        at = draw(st.integers(0, len(text)))
        if kind == "truncate":
            text = text[:at]
        elif kind == "token":
            end = min(len(text), at + draw(st.integers(0, 8)))
            text = text[:at] + draw(_NUMBER_TOKENS) + text[end:]
        elif kind == "insert":
            text = text[:at] + draw(st.binary(min_size=1, max_size=40)) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 50)) :]
        elif kind == "long":  # a very long string (a name, a number, a header cell)
            text = text[:at] + b"x" * draw(st.sampled_from([600, 70_000, 300_000])) + text[at:]
        elif kind == "encode":
            codec = draw(st.sampled_from(["utf-16", "utf-32-le", "latin-1", "cp1252", "utf-7"]))
            text = text.decode("utf-8", "replace").encode(codec, "replace")
        else:
            depth = draw(st.sampled_from([50, 1000, 5000]))
            text = text[:at] + b"[" * depth + b"]" * depth + text[at:]
    return text


@st.composite
def corrupted_files(draw: st.DrawFn) -> tuple[str, bytes]:
    doc = draw(scenario_docs(ktab_safe=True))
    loader = draw(st.sampled_from(sorted(set(LOADERS) - {"deu"})))
    text = {
        "yaml": to_yaml_text,
        "csv": to_plain_csv,
        "ktab_csv": to_ktab_csv,
        "ktab_xml": to_ktab_xml,
    }[loader](doc).encode()
    return loader, draw(corrupted(text))


@FUZZ
@given(case=corrupted_files())
def test_corrupted_files_load_or_raise_detente_error(
    case: tuple[str, bytes], tmp_path: Path
) -> None:
    name, data = case
    loader = LOADERS[name]
    path = tmp_path / f"input{loader.suffix}"
    path.write_bytes(data)
    _check(lambda: loader.call(path))
    if loader.suffix != ".xml":  # the text entry points take what the file decodes to
        text = data.decode("utf-8", "replace")
        _check(lambda: io.loads(text) if name == "yaml" else io.loads_csv(text))


@FUZZ
@given(data=st.binary(max_size=2000), name=st.sampled_from(sorted(LOADERS)))
def test_raw_bytes_load_or_raise_detente_error(data: bytes, name: str, tmp_path: Path) -> None:
    loader = LOADERS[name]
    path = tmp_path / f"raw{loader.suffix}"
    path.write_bytes(data)
    _check(lambda: loader.call(path))


json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@FUZZ
@given(
    doc=scenario_docs(),
    where=st.integers(0, 10_000),
    value=json_values,
    part=st.sampled_from(
        ["capability", "positions", "saliences", "name", "id", "scale", "meta", "issues", "actors"]
    ),
)
def test_wrong_types_through_from_data(
    doc: dict[str, Any], where: int, value: Any, part: str
) -> None:
    # What the Python API and the web app's JSON hand in: any JSON value in any place.
    if part in ("meta", "issues", "actors"):
        doc[part] = value
    elif part in ("scale",):
        doc["issues"][where % len(doc["issues"])][part] = value
    else:
        doc["actors"][where % len(doc["actors"])][part] = value
    scenario = _check(lambda: io.from_data(doc, "<api>"))
    if scenario is not None:
        assert io.loads(io.to_yaml(scenario)) == scenario


def test_seeded_fuzzer_finds_nothing() -> None:
    # The fuzzer `make stress` runs with a budget of ~10^5, here at 1,200 inputs (a few seconds):
    # every input loads (and then holds finite numbers and round-trips) or raises a DetenteError.
    report = fuzz_loaders(1200, seed=8)
    assert report.tried == 1200
    assert report.loaded > 50 and report.rejected > 500  # both paths were exercised
    assert report.crashes == 0, report.findings[:3]
    assert report.findings == []


def test_seeded_fuzzer_repeats_itself() -> None:
    a = fuzz_loaders(60, seed=3)
    b = fuzz_loaders(60, seed=3)
    assert (a.loaded, a.rejected, a.by_loader) == (b.loaded, b.rejected, b.by_loader)


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_missing_and_directory_paths(name: str, tmp_path: Path) -> None:
    loader = LOADERS[name]
    assert _check(lambda: loader.call(tmp_path / f"absent{loader.suffix}")) is None
    folder = tmp_path / f"dir{loader.suffix}"
    folder.mkdir()
    assert _check(lambda: loader.call(folder)) is None


def test_ktab_xml_reader_rejects_non_scenario_root(tmp_path: Path) -> None:
    path = tmp_path / "x.xml"
    path.write_text("<Other/>")
    with pytest.raises(DetenteError, match="root element"):
        ktab.load_ktab_xml(path)
