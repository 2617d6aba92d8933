"""Readers for KTAB's SMP input files (CSV and XML) into detente's Scenario.

KTAB (KAPSARC Toolkit for Behavioral Analysis, ``smpc``) reads two formats:

* CSV: a scenario row ``name, description, number of actors, number of dimensions``, a header
  row (``Actor, Description, Influence, <dim> Position, <dim> Salience, ...``), then one row per
  actor: name, description, capability, and a position and a salience (both 0-100) per dimension.
* XML (``smpSchema.xsd``): ``Scenario/name, desc, prngSeed, ModelParameters?, Dimensions/dName*,
  Actors/Actor*`` with ``name, description, capability, Position/dCoord*, Salience/dSal*``, and
  an optional ``IdealAdjustment``.

Each dimension becomes an issue on a 0-100 scale; saliences are divided by 100 (detente's are
0-1); capability is KTAB's raw power. Every rule a file can break raises a ScenarioError naming
the file, the field, the value and the rule. XML is parsed with defusedxml (no entities, no DTDs).
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path
from typing import Any

from detente.scenario.errors import NO_VALUE, ScenarioError
from detente.scenario.schema import Scenario

_MAX_BYTES = 20 * 1024 * 1024
# KTAB requires an actor's saliences to sum to at most 100; files written by spreadsheets sum to
# 99.99000000000001, hence the tolerance.
_SAL_SUM_TOL = 1e-6
# smpSchema.xsd bounds capability to [0, 1000] in XML files.
_XML_MAX_CAP = 1000.0
_XML_MIN_ACTORS = 3

# KTAB's ModelParameters names -> detente smp parameter values (only those smp implements).
_PARAM_MAP: dict[str, tuple[str, dict[str, Any]]] = {
    "VictoryProbModel": (
        "victory_model",
        {"Linear": "linear", "Square": "square", "Quartic": "quartic", "Octic": "octic"},
    ),
    "StateTransitions": (
        "transitions",
        {"Deterministic": "deterministic", "Stochastic": "stochastic"},
    ),
    "VotingRule": (
        "voting_rule",
        {"Proportional": "proportional", "Binary": "binary", "Cubic": "cubic"},
    ),
    "BigRAdjust": (
        "big_r_adjust",
        {
            "Full": "full",
            "TwoThirds": "two_thirds",
            "Half": "half",
            "OneThird": "one_third",
            "No": "none",
        },
    ),
    "BigRRange": ("big_r_range", {"Mid": "mid"}),
    "ThirdPartyCommit": ("third_party_commit", {"SemiCommit": "semi", "FullCommit": "full"}),
    "PCEModel": ("", {"Conditional": None}),
    "InterVecBrgn": ("", {"S2P2": None}),
    "BargnModel": ("", {"InitOnlyInterp": None}),
}


# --- CSV -------------------------------------------------------------------------------------


def load_ktab_csv(path: str | os.PathLike[str]) -> Scenario:
    """Read a KTAB SMP CSV file as a Scenario (issues on 0-100, saliences / 100)."""
    name = str(path)
    text = _read_text(Path(path), name)
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise ScenarioError(name, "", NO_VALUE, f"is not valid CSV: {exc}") from None
    # Keep line numbers (1-based) for messages; drop blank lines.
    lines = [
        (n + 1, [c.strip() for c in r]) for n, r in enumerate(rows) if any(c.strip() for c in r)
    ]
    if len(lines) < 3:
        raise ScenarioError(
            name,
            "",
            NO_VALUE,
            "needs a scenario row (name, description, actors, dimensions), a header row and "
            "at least one actor row",
        )
    (ln0, head), (ln1, header) = lines[0], lines[1]
    if len(head) < 4:
        raise ScenarioError(
            name,
            f"line {ln0}",
            head,
            "the scenario row needs: name, description, number of actors, number of dimensions",
        )
    n_act = _count(head[2], name, f"line {ln0}, number of actors")
    n_dim = _count(head[3], name, f"line {ln0}, number of dimensions")
    if n_dim < 1:
        raise ScenarioError(name, f"line {ln0}, number of dimensions", head[3], "must be >= 1")
    width = 3 + 2 * n_dim
    if len(header) < width or any(not header[c] for c in range(3, width, 2)):
        raise ScenarioError(
            name,
            f"line {ln1} (header)",
            header,
            f"needs Actor, Description, Influence and a Position and a Salience column for "
            f"each of the {n_dim} dimensions",
        )
    body = lines[2:]
    if len(body) != n_act:
        raise ScenarioError(
            name,
            f"line {ln0}, number of actors",
            n_act,
            f"does not match the {len(body)} actor rows that follow the header",
        )
    dim_names = [_dim_name(header[3 + 2 * d], d) for d in range(n_dim)]
    cap_col = header[2] or "Influence"
    checked = []
    for ln, row in body:
        if len(row) < width:
            raise ScenarioError(
                name,
                f"line {ln}",
                row[0] if row else NO_VALUE,
                f"has {len(row)} cells; an actor row needs {width} (name, description, "
                f"capability, then a position and a salience for each of {n_dim} dimensions)",
            )
        if not row[0]:
            raise ScenarioError(name, f"line {ln}, {header[0] or 'Actor'}", "", "must not be empty")
        where = f"line {ln} ({row[0]})"
        pos_fields = [f"{where}, {header[3 + 2 * d]}" for d in range(n_dim)]
        sal_fields = [f"{where}, {header[4 + 2 * d] or 'Salience'}" for d in range(n_dim)]
        cap = _num(row[2], name, f"{where}, {cap_col}")
        pos = [
            _num(row[3 + 2 * d], name, pos_fields[d], "a number in [0, 100]") for d in range(n_dim)
        ]
        sal = [
            _num(row[4 + 2 * d], name, sal_fields[d], "a number in [0, 100]") for d in range(n_dim)
        ]
        _check_actor(
            name,
            cap,
            pos,
            sal,
            pos_fields,
            sal_fields,
            f"{where}, {cap_col}",
            f"{where}, saliences",
            None,
        )
        checked.append((row[0], row[1], cap, pos, sal))
    return _build(name, head[0], head[1], dim_names, checked, "KTAB CSV", note=None)


# --- XML -------------------------------------------------------------------------------------


def load_ktab_xml(path: str | os.PathLike[str]) -> Scenario:
    """Read a KTAB SMP XML file (smpSchema.xsd) as a Scenario (issues on 0-100, saliences / 100).

    KTAB model parameters, the PRNG seed and any ideal adjustment are kept as a note on the
    scenario's source (detente's scenario has no place for them; see :func:`ktab_xml_params`).
    """
    name = str(path)
    root = _parse_xml(Path(path), name)
    scen_name = _text(root, "name", name, "name", required=True)
    desc = _text(root, "desc", name, "desc") or ""
    dims_el = root.find("Dimensions")
    dim_names: list[str] = []
    if dims_el is not None:
        for d, el in enumerate(dims_el.findall("dName")):
            dim_names.append((el.text or "").strip() or f"Dim{d}")
    actors_el = root.find("Actors")
    if actors_el is None:
        raise ScenarioError(name, "Actors", NO_VALUE, "is required but missing")
    actor_els = actors_el.findall("Actor")
    if len(actor_els) < _XML_MIN_ACTORS:
        raise ScenarioError(
            name,
            "Actors",
            len(actor_els),
            f"actors given; smpSchema.xsd requires at least {_XML_MIN_ACTORS}",
        )
    checked = []
    for a, el in enumerate(actor_els):
        base = f"Actors/Actor[{a}]"
        a_name = _text(el, "name", name, f"{base}/name", required=True)
        a_desc = _text(el, "description", name, f"{base}/description") or ""
        cap_text = _text(el, "capability", name, f"{base}/capability", required=True, empty=True)
        cap = _num(cap_text, name, f"{base}/capability")
        pos = _coords(el, "Position", "dCoord", name, base)
        sal = _coords(el, "Salience", "dSal", name, base)
        if not dim_names:
            dim_names = [f"Dim{d}" for d in range(len(pos))]
        for tag, values in (("Position/dCoord", pos), ("Salience/dSal", sal)):
            if len(values) != len(dim_names):
                raise ScenarioError(
                    name,
                    f"{base}/{tag.split('/')[0]}",
                    len(values),
                    f"{tag.split('/')[1]} values given; the scenario has {len(dim_names)} "
                    "dimensions (Dimensions/dName)",
                )
        _check_actor(
            name,
            cap,
            pos,
            sal,
            [f"{base}/Position/dCoord[{d}]" for d in range(len(pos))],
            [f"{base}/Salience/dSal[{d}]" for d in range(len(sal))],
            f"{base}/capability",
            f"{base}/Salience",
            _XML_MAX_CAP,
        )
        checked.append((a_name, a_desc, cap, pos, sal))
    raw = _raw_params(root)
    notes = []
    if raw:
        notes.append("KTAB ModelParameters: " + ", ".join(f"{k}={v}" for k, v in raw.items()))
    seed = _text(root, "prngSeed", name, "prngSeed")
    if seed:
        notes.append(f"prngSeed={seed}")
    if root.find("IdealAdjustment") is not None:
        notes.append("IdealAdjustment given (detente's smp uses KTAB's default identity)")
    return _build(
        name,
        scen_name or "",
        desc,
        dim_names,
        checked,  # type: ignore[arg-type]
        "KTAB XML",
        note="; ".join(notes),
    )


def ktab_xml_params(path: str | os.PathLike[str]) -> tuple[dict[str, Any], list[str]]:
    """The smp parameters a KTAB XML file's ModelParameters ask for, and those smp lacks.

    Returns (params for ``get_model("smp")(inp, **params)``, list of "Name=Value" that detente's
    smp does not implement and that are therefore left at their defaults).
    """
    name = str(path)
    root = _parse_xml(Path(path), name)
    params: dict[str, Any] = {}
    missing: list[str] = []
    for key, value in _raw_params(root).items():
        target, values = _PARAM_MAP.get(key, ("", {}))
        if value in values:
            if target and values[value] is not None:
                params[target] = values[value]
        else:
            missing.append(f"{key}={value}")
    return params, missing


# --- shared ----------------------------------------------------------------------------------


def _read_text(path: Path, name: str) -> str:
    data = _read_bytes(path, name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            name,
            "",
            NO_VALUE,
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
        ) from None
    if "\x00" in text:
        raise ScenarioError(name, "", NO_VALUE, "contains NUL bytes: not a text file")
    return text


def _read_bytes(path: Path, name: str) -> bytes:
    try:
        size = path.stat().st_size
        if size > _MAX_BYTES:
            raise ScenarioError(name, "", NO_VALUE, f"is {size} bytes; the limit is {_MAX_BYTES}")
        data = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(name, "", NO_VALUE, "no such file") from None
    except IsADirectoryError:
        raise ScenarioError(name, "", NO_VALUE, "is a directory, not a KTAB file") from None
    except OSError as exc:
        raise ScenarioError(name, "", NO_VALUE, f"cannot be read: {exc.strerror}") from None
    if not data.strip():
        raise ScenarioError(name, "", NO_VALUE, "the file is empty")
    return data


def _parse_xml(path: Path, name: str) -> Any:
    import defusedxml.ElementTree as det
    from defusedxml import DefusedXmlException

    data = _read_bytes(path, name)
    try:
        root = det.fromstring(data)
    except DefusedXmlException as exc:
        raise ScenarioError(
            name,
            "",
            NO_VALUE,
            f"uses a forbidden XML feature ({type(exc).__name__}): entities, DTDs and external "
            "references are not accepted",
        ) from None
    except det.ParseError as exc:
        line, col = getattr(exc, "position", ("?", "?"))
        raise ScenarioError(
            name, f"line {line}, column {col}", NO_VALUE, f"is not well-formed XML: {exc}"
        ) from None
    except (LookupError, ValueError) as exc:
        # <?xml encoding="..."?> names a codec Python does not know, or one expat cannot read
        # (UTF-7 and other multi-byte encodings: "multi-byte encodings are not supported").
        raise ScenarioError(
            name, "", NO_VALUE, f"has an XML encoding expat cannot use: {exc}"
        ) from None
    if root.tag != "Scenario":
        raise ScenarioError(name, root.tag, NO_VALUE, "the root element must be <Scenario>")
    return root


def _raw_params(root: Any) -> dict[str, str]:
    mp = root.find("ModelParameters")
    if mp is None:
        return {}
    return {child.tag: (child.text or "").strip() for child in mp}


def _text(
    el: Any, tag: str, name: str, field: str, required: bool = False, empty: bool = False
) -> str | None:
    child = el.find(tag)
    if child is None:
        if required:
            raise ScenarioError(name, field, NO_VALUE, "is required but missing")
        return None
    text = (child.text or "").strip()
    if required and not text and not empty:
        raise ScenarioError(name, field, text, "must not be empty")
    return text


def _coords(el: Any, group: str, tag: str, name: str, base: str) -> list[float]:
    g = el.find(group)
    if g is None:
        raise ScenarioError(name, f"{base}/{group}", NO_VALUE, "is required but missing")
    items = g.findall(tag)
    if not items:
        raise ScenarioError(name, f"{base}/{group}", NO_VALUE, f"needs at least one {tag}")
    what = "a number in [0, 100] (KTAB's " + ("position" if tag == "dCoord" else "salience") + ")"
    return [
        _num((c.text or "").strip(), name, f"{base}/{group}/{tag}[{d}]", what)
        for d, c in enumerate(items)
    ]


def _num(cell: str | None, name: str, field: str, what: str = "a number") -> float:
    text = (cell or "").strip()
    if not text:
        raise ScenarioError(name, field, text, f"is empty; it must be {what}")
    try:
        value = float(text)
    except ValueError:
        raise ScenarioError(name, field, text, f"must be {what}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ScenarioError(name, field, text, "must be a finite number (not NaN or inf)")
    return value


def _count(cell: str, name: str, field: str) -> int:
    value = _num(cell, name, field)
    if not value.is_integer() or value < 0:
        raise ScenarioError(name, field, cell, "must be a whole number >= 0")
    return int(value)


def _check_actor(
    name: str,
    cap: float,
    pos: list[float],
    sal: list[float],
    pos_fields: list[str],
    sal_fields: list[str],
    cap_field: str,
    sal_sum_field: str,
    max_cap: float | None,
) -> None:
    if cap < 0 or (max_cap is not None and cap > max_cap):
        rule = f"must be in [0, {max_cap:g}] (smpSchema.xsd)" if max_cap else "must be >= 0"
        raise ScenarioError(name, cap_field, cap, rule)
    for value, field in zip(pos, pos_fields, strict=True):
        if not 0.0 <= value <= 100.0:
            raise ScenarioError(name, field, value, "must be in [0, 100] (KTAB positions)")
    for value, field in zip(sal, sal_fields, strict=True):
        if not 0.0 <= value <= 100.0:
            raise ScenarioError(name, field, value, "must be in [0, 100] (KTAB saliences)")
    total = sum(sal)
    if total > 100.0 + _SAL_SUM_TOL:
        raise ScenarioError(
            name,
            sal_sum_field,
            round(total, 6),
            "is the sum of this actor's saliences; KTAB requires it to be at most 100",
        )


_ID_BAD = re.compile(r"[^A-Za-z0-9_.\-]")


def _ident(text: str, used: set[str], fallback: str) -> str:
    base = _ID_BAD.sub("_", text.strip()).lstrip("_.-")[:60] or fallback
    ident, n = base, 2
    while ident in used:
        ident, n = f"{base}_{n}", n + 1
    used.add(ident)
    return ident


def _dim_name(header: str, d: int) -> str:
    # "Policy Position" -> "Policy"; "Pstn1" stays.
    text = header.strip()
    stem = re.sub(r"\s*position\s*$", "", text, flags=re.IGNORECASE).strip()
    return stem or text or f"Dim{d}"


def _build(
    name: str,
    title: str,
    desc: str,
    dim_names: list[str],
    actors: list[tuple[str, str, float, list[float], list[float]]],
    kind: str,
    note: str | None,
) -> Scenario:
    from detente.scenario.io import from_data

    used_i: set[str] = set()
    issues = [
        {
            "id": _ident(dn, used_i, f"dim{d}"),
            "name": dn,
            "scale": {"low": 0.0, "high": 100.0, "low_label": "0", "high_label": "100"},
        }
        for d, dn in enumerate(dim_names)
    ]
    used_a: set[str] = set()
    docs = []
    for a, (a_name, a_desc, cap, pos, sal) in enumerate(actors):
        doc: dict[str, Any] = {
            "id": _ident(a_name, used_a, f"actor{a}"),
            "name": a_name,
            "capability": cap,
            "positions": {iss["id"]: p for iss, p in zip(issues, pos, strict=True)},
            # KTAB's saliences are 0-100; detente's are 0-1.
            "saliences": {iss["id"]: s / 100.0 for iss, s in zip(issues, sal, strict=True)},
        }
        if a_desc:
            doc["description"] = a_desc
        docs.append(doc)
    source: dict[str, Any] = {"title": f"{kind} file {Path(name).name}"}
    if note:
        source["note"] = note[:500]
    meta: dict[str, Any] = {"title": (title or Path(name).stem)[:500], "sources": [source]}
    if desc:
        meta["description"] = desc
    return from_data({"meta": meta, "issues": issues, "actors": docs}, name)
