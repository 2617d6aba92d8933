"""Reliability under bad input, faults and load: ``make stress`` (``python -m tools.stress``).

Three parts, each bounded and seeded so that a run repeats exactly:

* **Loader fuzzing.** Every scenario loader (YAML, plain CSV, KTAB CSV and XML, the DEU file when
  present, and :func:`detente.scenario.io.from_data` for Python objects) is fed valid inputs and
  inputs corrupted by seeded mutations: truncation, flipped/inserted/deleted bytes, splices, wrong
  types, huge numbers, NaN/inf, deep nesting, odd encodings (UTF-16/32, Latin-1, BOMs, NUL,
  surrogates), very long strings, YAML tags and alias bombs, XML entity bombs and external
  entities. Each input must either load or raise :class:`~detente.scenario.errors.DetenteError`
  with a one-line message; anything else is a crash. A scenario that loads must hold finite numbers
  and survive a YAML round trip.
* **Store faults.** Writer processes are killed with SIGKILL at random points; after each kill the
  store must open, every committed run must read back intact and no partial run may be visible.
  Two concurrent writers must lose nothing. Each run's content is derived from (writer, sequence)
  alone (:func:`expected_result`), so a reader can tell a whole run from a damaged or partial one.
* **Web load.** ``detente serve``'s app on loopback: a fixed number of requests from a fixed number
  of concurrent clients, each stopping after its share; requests per second, p50/p99 latency
  and the error count.

The fast versions of these checks live in ``tests/reliability`` and run in ``make test``.
"""

from __future__ import annotations

import copy
import math
import os
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import yaml

from detente.scenario import io
from detente.scenario.errors import DetenteError

# --- valid seeds -----------------------------------------------------------------------------


def random_scenario_data(rng: np.random.Generator, n_actors: int, n_issues: int) -> dict[str, Any]:
    """A valid scenario document (as parsed YAML) with positions/saliences KTAB also accepts.

    Positions lie on 0-100 and each actor's saliences sum to at most 1, so the same numbers can be
    written as KTAB CSV/XML (positions 0-100, saliences 0-100 summing to <= 100).
    """
    issues = [
        {
            "id": f"i{k}",
            "name": f"Issue {k}",
            "scale": {"low": 0.0, "high": 100.0, "low_label": "none", "high_label": "all"},
        }
        for k in range(n_issues)
    ]
    actors = []
    for n in range(n_actors):
        sal = rng.dirichlet(np.ones(n_issues)) * rng.uniform(0.2, 1.0)
        actors.append(
            {
                "id": f"a{n}",
                "name": f"Actor {n}",
                "capability": round(float(rng.uniform(0, 100)), 3),
                "positions": {
                    f"i{k}": round(float(rng.uniform(0, 100)), 2) for k in range(n_issues)
                },
                "saliences": {
                    f"i{k}": math.floor(float(sal[k]) * 1e4) / 1e4 for k in range(n_issues)
                },
            }
        )
    return {
        "meta": {"title": "fuzz seed", "sources": ["generated"]},
        "issues": issues,
        "actors": actors,
    }


def to_yaml_text(data: dict[str, Any]) -> str:
    # Flow style inside each actor keeps the seeds short (the YAML parser costs ~1 ms per KB).
    return io.dump_yaml(data, sort_keys=False, default_flow_style=None)


def to_plain_csv(data: dict[str, Any]) -> str:
    """One row per actor: Actor, Description, Capability, '<issue> Position', '<issue> Salience'."""
    ids = [i["id"] for i in data["issues"]]
    head = ["Actor", "Description", "Capability"]
    for i in ids:
        head += [f"{i} Position", f"{i} Salience"]
    lines = [",".join(head)]
    for a in data["actors"]:
        row = [a["name"], "d", str(a["capability"])]
        for i in ids:
            row += [str(a["positions"][i]), str(a["saliences"][i])]
        lines.append(",".join(row))
    return "\n".join(lines) + "\n"


def to_ktab_csv(data: dict[str, Any]) -> str:
    """KTAB smpc's CSV: scenario row, header row, one row per actor (saliences on 0-100)."""
    ids = [i["id"] for i in data["issues"]]
    lines = [f"Fuzz,generated,{len(data['actors'])},{len(ids)}"]
    head = ["Actor", "Description", "Influence"]
    for i in ids:
        head += [f"{i} Position", f"{i} Salience"]
    lines.append(",".join(head))
    for a in data["actors"]:
        row = [a["id"], a["name"], str(a["capability"])]
        for i in ids:
            row += [str(a["positions"][i]), f"{a['saliences'][i] * 100:.2f}"]
        lines.append(",".join(row))
    return "\n".join(lines) + "\n"


def to_ktab_xml(data: dict[str, Any]) -> str:
    """KTAB smpc's XML (smpSchema.xsd)."""
    ids = [i["id"] for i in data["issues"]]
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<Scenario>",
        "  <name>Fuzz</name>",
        "  <desc>generated</desc>",
        "  <prngSeed>42</prngSeed>",
        "  <ModelParameters><VictoryProbModel>Linear</VictoryProbModel>"
        "<VotingRule>Proportional</VotingRule></ModelParameters>",
        "  <Dimensions>",
    ]
    out += [f"    <dName>{escape(i)}</dName>" for i in ids]
    out += ["  </Dimensions>", "  <Actors>"]
    for a in data["actors"]:
        out.append("    <Actor>")
        out.append(f"      <name>{escape(a['id'])}</name>")
        out.append(f"      <description>{escape(a['name'])}</description>")
        out.append(f"      <capability>{min(a['capability'], 1000.0)}</capability>")
        out.append(
            "      <Position>"
            + "".join(f"<dCoord>{a['positions'][i]}</dCoord>" for i in ids)
            + "</Position>"
        )
        out.append(
            "      <Salience>"
            + "".join(f"<dSal>{a['saliences'][i] * 100:.2f}</dSal>" for i in ids)
            + "</Salience>"
        )
        out.append("    </Actor>")
    out += ["  </Actors>", "</Scenario>"]
    return "\n".join(out) + "\n"


def seed_corpus(seed: int = 0) -> dict[str, list[bytes]]:
    """Valid inputs per loader: small generated scenarios, plus the embedded default scenario."""
    from detente.scenario.io import embedded_text

    rng = np.random.default_rng(seed)
    datas = [random_scenario_data(rng, n, k) for n, k in ((3, 1), (4, 2), (5, 3), (3, 3), (8, 2))]
    corpus: dict[str, list[bytes]] = {
        "yaml": [to_yaml_text(d).encode() for d in datas],
        "csv": [to_plain_csv(d).encode() for d in datas],
        "ktab_csv": [to_ktab_csv(d).encode() for d in datas],
        "ktab_xml": [to_ktab_xml(d).encode() for d in datas],
    }
    # The default scenario is big for a pure-Python YAML parser: one seed in twenty-one.
    corpus["yaml"] += [embedded_text("ukraine-2025").encode()] + corpus["yaml"] * 3
    deu = _deu_seeds()
    if deu:
        corpus["deu"] = deu
    return corpus


# --- loaders ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Loader:
    """A loader under test: a name, the file suffix it reads, and how to call it on a path."""

    name: str
    suffix: str
    call: Callable[[Path], Any]


def _deu_loader() -> Callable[[Path], Any] | None:
    # The DEU file reader (detente.analysis.deu) lands later; fuzz it once it is there.
    try:
        from detente.analysis import deu  # type: ignore[attr-defined]
    except ImportError:
        return None
    for name in ("load_deu", "load", "read_deu", "load_csv"):
        fn = getattr(deu, name, None)
        if callable(fn):
            return fn
    return None


def _deu_seeds() -> list[bytes]:
    # The DEU III data set is not shipped; fuzz the reader with files in its format (see deu.py).
    if _deu_loader() is None:
        return []
    rng = np.random.default_rng(7)
    codes = ["com", "ep", "de", "fr", "it", "uk", "es", "nl", "bu", "gr", "pl", "se"]
    out = []
    for n_act, n_rows in ((3, 2), (6, 4), (12, 8)):
        head = ["isnr", "prname", "finact", "intro", "rp", "out"]
        for c in codes[:n_act]:
            head += [f"p{c}", f"s{c}"]
        lines = [";".join(head)]
        for r in range(n_rows):
            cells = [
                str(r + 1),
                f"COD/{2000 + r}/0{r}",
                f"{2001 + r}-0{1 + r % 9}-15",
                "2000-03-01",
                f"{rng.uniform(0, 100):.0f}",
                f"{rng.uniform(0, 100):.1f}",
            ]
            for _ in range(n_act):
                missing = rng.random() < 0.1
                cells += [
                    "" if missing else f"{rng.uniform(0, 100):.0f}",
                    ("999", "NA", "", f"{rng.uniform(0, 100):.0f}")[int(rng.integers(4))],
                ]
            lines.append(";".join(cells))
        out.append(("\n".join(lines) + "\n").encode())
    return out


def loaders() -> dict[str, Loader]:
    """Every loader detente has: the public ``load`` per format, the KTAB readers, the DEU file."""
    from detente.scenario import io, ktab

    out = {
        "yaml": Loader("yaml", ".yaml", io.load),
        "csv": Loader("csv", ".csv", io.load),
        "ktab_csv": Loader("ktab_csv", ".csv", ktab.load_ktab_csv),
        "ktab_xml": Loader("ktab_xml", ".xml", ktab.load_ktab_xml),
    }
    deu = _deu_loader()
    if deu is not None:
        out["deu"] = Loader("deu", ".csv", deu)
    return out


# --- byte-level mutations --------------------------------------------------------------------

_NUMBER = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
NASTY_TOKENS: tuple[bytes, ...] = (
    b"nan",
    b".nan",
    b"NaN",
    b"inf",
    b"-inf",
    b".inf",
    b"-.inf",
    b"Infinity",
    b"1e400",
    b"-1e400",
    b"1e-400",
    b"9" * 5000,
    b"-" + b"9" * 400,
    b"-0",
    b"0x10",
    b"0o17",
    b"1_000",
    b"",
    b"null",
    b"~",
    b"true",
    b"no",
    b"[]",
    b"{}",
    b"''",
    b'""',
    b"1e308",
    b"-1e308",
    b"4.9e-324",
    b"99999999999999999999",
    b"-1",
    b"101",
    b"1.0000000001",
    b"&a [*a]",
    b"*missing",
    b"!!python/object/apply:os.system ['true']",
    b"!!python/name:os.system",
    b"!!binary aGVsbG8=",
    b"!!timestamp 2001-12-14",
    b"!!timestamp x",
    b"!!bool x",
    b"!!int x",
    b"!!set {a, b}",
    b"2020-01-01",
    b"<x/>",
    b"&lt;",
    b"&amp;x;",
    b"&xxe;",
    b"]]>",
    b"\xff\xfe",
    b"\xed\xa0\x80",
    b"\x00",
    "\u00e9".encode(),
    "\u202e".encode(),
    "\U0001f600".encode(),
    b"\r",
    b"\x85",
    b"\t",
    b"#",
    b",",
    b'"',
    b":",
    b"- ",
    b"? ",
    b"|",
    b">",
    b"%",
    b"@",
    b"`",
    b"A" * 70_000,
)

_XML_BOMB = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
        for i in range(1, 10)
    )
    + b"]>\n"
)
_XML_XXE = b'<?xml version="1.0"?>\n<!DOCTYPE s [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
_YAML_BOMB = b"bomb:\n  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + b"".join(
    f"  {c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n".encode()
    for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)


def _truncate(data: bytes, rng: np.random.Generator, kind: str) -> bytes:
    return data[: int(rng.integers(0, len(data) + 1))]


def _flip(data: bytes, rng: np.random.Generator, kind: str) -> bytes:
    if not data:
        return data
    buf = bytearray(data)
    for _ in range(int(rng.integers(1, 9))):
        buf[int(rng.integers(len(buf)))] = int(rng.integers(256))
    return bytes(buf)


def _insert_random(data: bytes, rng: np.random.Generator, kind: str) -> bytes:
    at = int(rng.integers(0, len(data) + 1))
    return data[:at] + rng.bytes(int(rng.integers(1, 64))) + data[at:]


def _delete(data: bytes, rng: np.random.Generator, kind: str) -> bytes:
    if not data:
        return data
    a = int(rng.integers(len(data)))
    b = min(len(data), a + int(rng.integers(1, 200)))
    return data[:a] + data[b:]


def _duplicate(data: bytes, rng: np.random.Generator, kind: str) -> bytes:
    if not data:
        return data
    a = int(rng.integers(len(data)))
    b = min(len(data), a + int(rng.integers(1, 400)))
    at = int(rng.integers(0, len(data) + 1))
    return data[:at] + data[a:b] * int(rng.integers(1, 4)) + data[at:]


def _nasty_token(data: bytes, rng: np.random.Generator, kind: str) -> bytes:
    token = NASTY_TOKENS[int(rng.integers(len(NASTY_TOKENS)))]
    spans = [m.span() for m in _NUMBER.finditer(data)]
    if spans and rng.random() < 0.8:  # usually in place of a number, where a number is expected
        a, b = spans[int(rng.integers(len(spans)))]
    else:
        a = b = int(rng.integers(0, len(data) + 1))
    return data[:a] + token + data[b:]


def _reencode(data: bytes, rng: np.random.Generator, kind: str) -> bytes:
    text = data.decode("utf-8", errors="replace")
    codec = ("utf-16", "utf-16-be", "utf-32", "latin-1", "cp1252", "utf-8-sig", "utf-7")[
        int(rng.integers(7))
    ]
    return text.encode(codec, errors="replace")


def _line_endings(data: bytes, rng: np.random.Generator, kind: str) -> bytes:
    new = (b"\r\n", b"\r", b"\x85", "\u2028".encode(), b"\n\n\n", b" \n")[int(rng.integers(6))]
    return data.replace(b"\n", new)


def _nest(data: bytes, rng: np.random.Generator, kind: str) -> bytes:
    depth = int(rng.choice([10, 100, 1000, 20_000]))
    if kind == "ktab_xml":
        blob = b"<a>" * depth + b"</a>" * depth
    elif kind == "yaml" and rng.random() < 0.5:
        blob = b"".join(b"  " * i + b"k:\n" for i in range(min(depth, 2000))) + b"  " * depth + b"1"
    else:
        blob = b"[" * depth + b"]" * depth if rng.random() < 0.5 else b"{a: " * depth + b"}" * depth
    at = int(rng.integers(0, len(data) + 1))
    return data[:at] + blob + data[at:]


def _long_string(data: bytes, rng: np.random.Generator, kind: str) -> bytes:
    n = int(rng.choice([600, 25_000, 25_000, 200_000]))
    at = int(rng.integers(0, len(data) + 1))
    return data[:at] + b"x" * n + data[at:]


def _format_specific(data: bytes, rng: np.random.Generator, kind: str) -> bytes:
    choice = int(rng.integers(4))
    if kind == "ktab_xml" and rng.random() < 0.2:  # an encoding expat or Python cannot use
        codec = (b"UTF-7", b"ISO-2022-JP", b"UTF-16", b"bogus", b"", b"UTF-32BE")[choice]
        return data.replace(b'encoding="UTF-8"', b'encoding="' + codec + b'"', 1)
    if kind == "ktab_xml":
        if choice == 0:  # billion laughs: the document refers to the last entity
            return _XML_BOMB + data.split(b"?>", 1)[-1].replace(b"<name>Fuzz", b"<name>&lol9;", 1)
        if choice == 1:  # external entity
            return _XML_XXE + data.split(b"?>", 1)[-1].replace(b"<name>Fuzz", b"<name>&xxe;", 1)
        if choice == 2:
            return data.replace(b"<Actor>", b"<Actor><!-- c --><?pi x?><![CDATA[<z>]]>", 1)
        return data.replace(b"Scenario>", b"ns:Scenario>").replace(b"<Scenario", b"<ns:Scenario")
    if kind == "yaml":
        return (
            _YAML_BOMB + data,
            b"%YAML 1.1\n---\n" + data + b"\n---\nsecond: doc\n",
            data.replace(b"capability:", b"capability: &c", 1).replace(
                b"positions:", b"<<: *c\n  positions:", 1
            ),
            b"!!python/object:os.system\n" + data,
        )[choice]
    # CSV flavours: another delimiter, stray quotes, ragged rows, huge counts in KTAB's first row.
    return (
        data.replace(b",", (b";", b"\t", b"|")[int(rng.integers(3))]),
        data.replace(b",", b',"', int(rng.integers(1, 4))),
        data + b"x,y\n,,,,,,,,,,,,,,,,,,,,,,,,\n",
        re.sub(rb"^([^,\n]*,[^,\n]*,)\d+,\d+", rb"\g<1>1000000000,999999999", data, count=1),
    )[choice]


def _splice(data: bytes, rng: np.random.Generator, kind: str, other: bytes = b"") -> bytes:
    a = int(rng.integers(0, len(data) + 1))
    b = int(rng.integers(0, len(other) + 1))
    return data[:a] + other[b:]


MUTATIONS: tuple[Callable[[bytes, np.random.Generator, str], bytes], ...] = (
    _truncate,
    _flip,
    _insert_random,
    _delete,
    _duplicate,
    _nasty_token,
    _nasty_token,
    _nasty_token,
    _reencode,
    _line_endings,
    _nest,
    _long_string,
    _format_specific,
    _format_specific,
)


def mutate(
    data: bytes, rng: np.random.Generator, kind: str, corpus: dict[str, list[bytes]]
) -> bytes:
    """One to three seeded mutations of ``data`` (a splice draws its partner from ``corpus``)."""
    for _ in range(int(rng.integers(1, 4))):
        if rng.random() < 0.07:
            kinds = sorted(corpus)
            pool = corpus[kinds[int(rng.integers(len(kinds)))]]
            data = _splice(data, rng, kind, pool[int(rng.integers(len(pool)))])
        else:
            data = MUTATIONS[int(rng.integers(len(MUTATIONS)))](data, rng, kind)
    return data


# --- object-level mutations (from_data: what the Python API and the web app's JSON hand in) ---


def _recursive_list() -> list[Any]:
    loop: list[Any] = []
    loop.append(loop)
    return loop


def _deep(depth: int) -> Any:
    out: Any = 1
    for _ in range(depth):
        out = [out]
    return out


NASTY_VALUES: tuple[Callable[[], Any], ...] = (
    lambda: float("nan"),
    lambda: float("inf"),
    lambda: -float("inf"),
    lambda: 10**5000,
    lambda: 1e308,
    lambda: -1,
    lambda: -1e-320,
    lambda: True,
    lambda: None,
    lambda: "",
    lambda: "x" * 100_000,
    lambda: [],
    lambda: {},
    lambda: _deep(5000),
    lambda: b"bytes",
    lambda: object(),
    lambda: {1, 2},
    _recursive_list,
    lambda: complex(1, 2),
    lambda: np.float64("nan"),
    lambda: np.int64(3),
    lambda: {1: 2, None: 3},
    lambda: "1e400",
    lambda: "<script>alert(1)</script>",
    lambda: "\ud800",
    lambda: {"value": float("nan")},
    lambda: {"value": 5, "sd": -1},
    lambda: {"value": 5, "low": 9, "high": 1},
)


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if len(prefix) >= 6:  # a scenario is 5 deep; do not walk into nasty values (deep, cyclic)
        return out
    if isinstance(doc, dict):
        for key, value in doc.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            out += _paths(value, (*prefix, i))
    return out


def mutate_data(doc: dict[str, Any], rng: np.random.Generator) -> Any:
    """A deep copy of ``doc`` with one to three nodes replaced, deleted, or given an extra key."""
    doc = copy.deepcopy(doc)
    for _ in range(int(rng.integers(1, 4))):
        paths = [p for p in _paths(doc) if p]
        if not paths or not isinstance(doc, dict):
            return NASTY_VALUES[int(rng.integers(len(NASTY_VALUES)))]()
        path = paths[int(rng.integers(len(paths)))]
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        op = rng.random()
        if op < 0.7:
            parent[path[-1]] = NASTY_VALUES[int(rng.integers(len(NASTY_VALUES)))]()
        elif op < 0.85:
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent["unknown_field"] = 1
        else:
            try:
                parent.append(copy.deepcopy(parent[path[-1]]))  # e.g. a duplicate actor
            except RecursionError:  # the node is an earlier nasty value (deep or cyclic)
                pass
    return doc


# --- running inputs --------------------------------------------------------------------------


@dataclass
class Finding:
    """An input that broke the contract: a crash, a message of several lines, a broken scenario."""

    loader: str
    problem: str
    detail: str
    sample: str = ""


@dataclass
class FuzzReport:
    """What a fuzzing run tried and found."""

    tried: int = 0
    loaded: int = 0
    rejected: int = 0
    crashes: int = 0
    findings: list[Finding] = field(default_factory=list)
    by_loader: dict[str, Counter[str]] = field(default_factory=dict)
    seconds: float = 0.0
    slowest: float = 0.0

    def add(self, other: FuzzReport) -> None:
        self.tried += other.tried
        self.loaded += other.loaded
        self.rejected += other.rejected
        self.crashes += other.crashes
        self.findings += other.findings
        for name, counts in other.by_loader.items():
            self.by_loader.setdefault(name, Counter()).update(counts)
        self.seconds += other.seconds
        self.slowest = max(self.slowest, other.slowest)


def check_loaded(scenario: Any, round_trip: bool = True) -> str | None:
    """Why a loaded scenario is unusable (non-finite numbers, no YAML round trip), or None."""
    from detente.bargaining.arrays import to_arrays
    from detente.scenario.io import loads, to_yaml

    cases = getattr(scenario, "cases", None)
    if cases is not None:  # the DEU reader returns backtest cases, each with its scenario
        for case in cases:
            problem = check_loaded(case.scenario, round_trip)
            if problem:
                return f"{case.id}: {problem}"
        return None
    inp = to_arrays(scenario)
    for name in ("positions", "saliences", "capabilities", "scale_low", "scale_high"):
        if not np.all(np.isfinite(getattr(inp, name))):
            return f"{name} holds a non-finite number"
    if not np.all(inp.scale_high > inp.scale_low):
        return "an issue's scale has zero width"
    if round_trip and loads(to_yaml(scenario), name="<round trip>") != scenario:
        return "the scenario does not survive a YAML round trip"
    return None


def _outcome(report: FuzzReport, loader: str, fn: Callable[[], Any], sample: bytes) -> None:
    counts = report.by_loader.setdefault(loader, Counter())
    report.tried += 1
    counts["tried"] += 1
    start = time.perf_counter()
    try:
        result = fn()
    except DetenteError as exc:
        report.rejected += 1
        counts["rejected"] += 1
        message = str(exc)
        if not message.strip() or "\n" in message.strip():
            report.findings.append(
                Finding(loader, "unclear message", repr(message[:300]), repr(sample[:200]))
            )
    except Exception as exc:  # the contract: nothing but DetenteError may escape a loader
        report.crashes += 1
        counts["crashes"] += 1
        report.findings.append(
            Finding(loader, "crash", f"{type(exc).__name__}: {exc}"[:300], repr(sample[:200]))
        )
    else:
        report.loaded += 1
        counts["loaded"] += 1
        try:
            # The round trip costs two YAML passes: check one loaded scenario in ten.
            problem = check_loaded(result, round_trip=report.loaded % 10 == 1)
        except Exception as exc:  # a loaded scenario must be usable; say which way it is not
            problem = f"{type(exc).__name__} after loading: {exc}"[:300]
        if problem:
            report.findings.append(Finding(loader, "bad scenario", problem, repr(sample[:200])))
    report.slowest = max(report.slowest, time.perf_counter() - start)


def fuzz_loaders(
    budget: int,
    seed: int = 0,
    workers: int = 1,
    workdir: str | os.PathLike[str] | None = None,
    valid_share: float = 0.05,
) -> FuzzReport:
    """Feed ``budget`` seeded inputs (valid and corrupted) to every loader in turn.

    About ``valid_share`` of the inputs are unmodified seeds (they must load); the rest are
    mutated. ``workers`` processes share the budget, each with its own stream spawned from
    ``seed``: the same ``budget``, ``seed`` and ``workers`` give the same inputs.
    """
    if workers <= 1:
        return _fuzz_serial(budget, np.random.SeedSequence(seed), workdir, valid_share)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    streams = np.random.SeedSequence(seed).spawn(workers)
    shares = [budget // workers + (w < budget % workers) for w in range(workers)]
    report = FuzzReport()
    t0 = time.perf_counter()
    ctx = multiprocessing.get_context("fork")  # the children inherit the imported modules
    with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        futures = [
            pool.submit(_fuzz_serial, n, ss, workdir, valid_share)
            for n, ss in zip(shares, streams, strict=True)
        ]
        for fut in futures:
            report.add(fut.result())
    report.seconds = time.perf_counter() - t0
    return report


def _fuzz_serial(
    budget: int,
    seed: np.random.SeedSequence,
    workdir: str | os.PathLike[str] | None,
    valid_share: float,
) -> FuzzReport:
    from detente.scenario.io import from_data

    rng = np.random.default_rng(seed)
    corpus = seed_corpus(int(seed.generate_state(1)[0]))
    table = loaders()
    names = [*sorted(table), "from_data"]
    docs = [yaml.safe_load(s) for s in corpus["yaml"]]
    report = FuzzReport()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=workdir, prefix="detente-fuzz-") as tmp:
        for i in range(budget):
            name = names[i % len(names)]
            if name == "from_data":
                doc = docs[int(rng.integers(len(docs)))]
                value = doc if rng.random() < valid_share else mutate_data(doc, rng)
                _outcome(report, name, lambda v=value: from_data(v, "<fuzz>"), b"<object>")
                continue
            loader = table[name]
            seeds = corpus[name]
            data = seeds[int(rng.integers(len(seeds)))]
            if rng.random() >= valid_share:
                data = mutate(data, rng, name, corpus)
            path = Path(tmp) / f"input{i % 8}{loader.suffix}"
            path.write_bytes(data)
            _outcome(report, name, lambda p=path, ld=loader: ld.call(p), data)
    report.seconds = time.perf_counter() - t0
    return report


# --- store faults ----------------------------------------------------------------------------


def expected_result(writer: int, seq: int) -> dict[str, Any]:
    """The result writer ``writer`` stores as its run number ``seq``: derived from (writer, seq)
    alone, so a reader can tell a whole run from a damaged or partial one. 1-20 KB of JSON."""
    rng = np.random.default_rng([writer, seq])
    n = int(rng.integers(50, 1000))
    return {
        "writer": writer,
        "seq": seq,
        "values": rng.uniform(-1e6, 1e6, n).tolist(),
        "text": "x" * int(rng.integers(0, 4000)),
    }


def _store_scenarios() -> list[Any]:
    from detente.scenario.io import from_data

    rng = np.random.default_rng(99)
    return [from_data(random_scenario_data(rng, 3 + k, 2), f"store seed {k}") for k in range(3)]


def _writer(path: str, writer: int, journal: str, runs: int, pause_s: float) -> None:
    """A writer process: record ``runs`` runs (or until killed), journaling each committed id.

    ``pause_s`` > 0 sleeps inside each write transaction, just before COMMIT (the store's seam
    for crash tests), so that a kill often lands while a run is half-written.
    """
    from detente.store.runs import RunStore

    log = open(journal, "a", encoding="utf-8")  # noqa: SIM115 (the process is killed anyway)
    current = [0]

    class JournaledStore(RunStore):
        def _before_commit(self, conn: Any, run_id: int) -> None:
            # Inside the transaction: the run is written but not committed. A kill from here
            # until "done" is a kill in mid-write; the run must then be absent or whole.
            log.write(f"begin {run_id} {writer} {current[0]}\n")
            log.flush()
            if pause_s > 0:
                time.sleep(pause_s * ((run_id * 7919) % 10) / 10)

    store = JournaledStore(path)
    scenarios = _store_scenarios()
    for seq in range(runs):
        current[0] = seq
        run_id = store.record(
            "stress",
            scenarios[seq % len(scenarios)],
            {"writer": writer},
            seq,
            expected_result(writer, seq),
            {"total_s": 0.0},
            models=["median"],
            argv=["stress", str(writer), str(seq)],
        )
        # COMMIT has returned: this run is committed and must survive any later kill.
        log.write(f"done {run_id} {writer} {seq}\n")
        log.flush()
    log.close()


@dataclass
class StoreReport:
    """What the store fault test did and found."""

    kills: int = 0
    mid_write_kills: int = 0
    mid_write_rolled_back: int = 0
    survived: int = 0
    runs_committed: int = 0
    runs_in_store: int = 0
    runs_lost: int = 0
    runs_corrupt: int = 0
    problems: list[str] = field(default_factory=list)
    concurrent_writers: int = 0
    concurrent_runs: int = 0
    concurrent_lost: int = 0
    seconds: float = 0.0


def check_store(
    path: str | os.PathLike[str], journals: list[Path], checked: dict[int, tuple[int, int]]
) -> tuple[int, int, int, list[str]]:
    """Open the store as a new process would and check it.

    Returns (journaled runs, journaled runs missing, runs whose content is not exactly what
    their writer stored, problems). ``checked`` holds runs already compared (id -> (writer,
    seq)), so each run's content is compared once; every run is checked to be present each time.
    """
    from detente.store.runs import RunStore, StoreError

    problems: list[str] = []
    try:
        store = RunStore(path)
        problems += store.verify()  # SQLite integrity check, result hashes, scenario hashes
        rows = {r.id: r for r in store.list_runs(limit=None)}
    except (StoreError, OSError, ValueError) as exc:
        return 0, 0, 0, [f"the store does not open: {exc}"]
    committed: dict[int, tuple[int, int]] = {}
    for journal in journals:
        if journal.exists():
            for line in journal.read_text(encoding="utf-8").splitlines():
                state, *numbers = line.split()
                if state == "done" and len(numbers) == 3:
                    rid, writer, seq = (int(x) for x in numbers)
                    committed[rid] = (writer, seq)
    lost = sum(1 for rid in committed if rid not in rows)
    corrupt = 0
    for rid in rows:
        if rid in checked:
            continue
        try:
            full = store.get(rid)
            writer, seq = int(full.argv[1]), int(full.argv[2])
            ok = (
                full.result == expected_result(writer, seq)
                and full.seed == seq
                and full.scenario() is not None
                and committed.get(rid, (writer, seq)) == (writer, seq)
            )
        except Exception as exc:  # any failure to read a run back is a corrupt run
            problems.append(f"run {rid}: cannot be read back: {type(exc).__name__}: {exc}")
            ok = False
        if ok:
            checked[rid] = (writer, seq)
        else:
            corrupt += 1
    return len(committed), lost, corrupt, problems


def store_kill_test(
    kills: int,
    seed: int = 0,
    workdir: str | os.PathLike[str] | None = None,
    max_delay_s: float = 0.1,
) -> StoreReport:
    """Kill writer processes (SIGKILL) ``kills`` times at random points, checking the store after
    each kill; then two writers at once. Needs ``fork`` (Linux, macOS)."""
    import multiprocessing
    import signal

    ctx = multiprocessing.get_context("fork")
    rng = np.random.default_rng(seed)
    report = StoreReport()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=workdir, prefix="detente-store-") as tmp:
        path = str(Path(tmp) / "runs.sqlite")
        journals: list[Path] = []
        checked: dict[int, tuple[int, int]] = {}
        pending: list[tuple[int, int]] = []
        for k in range(kills):
            # One writer, sometimes two at once; each is killed after a random delay, some
            # while paused inside a write transaction.
            procs = []
            for j in range(1 + int(rng.random() < 0.3)):
                writer = 2 * k + j
                journal = Path(tmp) / f"journal-{writer}.txt"
                journals.append(journal)
                pause = float(rng.choice([0.0, 0.0, 0.02]))
                proc = ctx.Process(target=_writer, args=(path, writer, str(journal), 10_000, pause))
                proc.start()
                procs.append(proc)
            time.sleep(float(rng.uniform(0.0, max_delay_s)))
            for proc in procs:
                if proc.pid is not None:
                    os.kill(proc.pid, signal.SIGKILL)
                proc.join()
            report.kills += 1
            for journal in journals[-len(procs) :]:
                lines = journal.read_text(encoding="utf-8").splitlines() if journal.exists() else []
                if lines and lines[-1].startswith("begin "):
                    report.mid_write_kills += 1
                    _, _, writer, seq = lines[-1].split()
                    pending.append((int(writer), int(seq)))
            committed, lost, corrupt, problems = check_store(path, journals, checked)
            report.runs_committed, report.runs_lost = committed, lost
            report.runs_corrupt += corrupt
            report.problems += problems
            report.survived += int(lost == 0 and corrupt == 0 and not problems)
        report.runs_in_store = len(checked)
        # A run killed in mid-write was rolled back (absent) or, when the kill came after COMMIT
        # reached the disk, is whole (checked above with every other run).
        # (A rolled-back run's id is reused by the next run: compare by writer and sequence.)
        stored = set(checked.values())
        report.mid_write_rolled_back = sum(1 for key in pending if key not in stored)
        # Two writers at once, to the end: nothing lost, nothing doubled.
        path2 = str(Path(tmp) / "concurrent.sqlite")
        per_writer = 40
        js = [Path(tmp) / f"conc-{w}.txt" for w in range(2)]
        procs = [
            ctx.Process(target=_writer, args=(path2, 10_000 + w, str(js[w]), per_writer, 0.0))
            for w in range(2)
        ]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join()
            if proc.exitcode != 0:
                report.problems.append(f"concurrent writer exited with {proc.exitcode}")
        seen: dict[int, tuple[int, int]] = {}
        committed, lost, corrupt, problems = check_store(path2, js, seen)
        report.concurrent_writers = 2
        report.concurrent_runs = len(seen)
        want = {(10_000 + w, s) for w in range(2) for s in range(per_writer)}
        report.concurrent_lost = len(want - set(seen.values())) + lost
        report.runs_corrupt += corrupt
        report.problems += problems
    report.seconds = time.perf_counter() - t0
    return report


def print_store(report: StoreReport) -> None:
    r = report
    print(
        f"store: kills {r.kills} (SIGKILL; {r.mid_write_kills} inside a write transaction, "
        f"{r.mid_write_rolled_back} of those rolled back); store opened and checked after "
        f"each kill: {r.survived} of {r.kills} sound; committed runs {r.runs_committed}, "
        f"runs in store {r.runs_in_store}, lost {r.runs_lost}, corrupt or partial "
        f"{r.runs_corrupt}; two writers at once: {r.concurrent_runs} runs stored of 80, lost "
        f"{r.concurrent_lost}; {r.seconds:.1f} s"
    )
    for problem in r.problems[:20]:
        print(f"  PROBLEM {problem}")


# --- web load ----------------------------------------------------------------------------------


@dataclass
class BigRun:
    """One large forecast posted during the load test. Times are ``time.monotonic()`` (one clock
    for every process on the machine): posted, first seen running in a worker, seen finished."""

    submitted: float
    running: float | None = None
    finished: float | None = None
    state: str = "queued"  # queued, running, done, error, cancelled, refused, timeout
    status: int = 0
    message: str = ""

    @property
    def run_s(self) -> float:
        """Seconds it ran in a worker (first poll that saw it running to the poll that saw it
        done; polls are 0.25 s apart)."""
        if self.running is None or self.finished is None:
            return 0.0
        return self.finished - self.running

    @property
    def total_s(self) -> float:
        return (self.finished or self.submitted) - self.submitted


Stats = tuple[int, float, float]  # (count, p50 ms, p99 ms)


def _stats(values: list[float]) -> Stats:
    if not values:
        return (0, 0.0, 0.0)
    p50, p99 = np.percentile(values, [50, 99])
    return (len(values), float(p50), float(p99))


@dataclass
class LoadReport:
    """What the load test sent and measured."""

    requests: int = 0  # every request the clients sent (the mix and their job polls)
    mix_requests: int = 0  # the mix's requests (the clients' share of ``requests``)
    served: int = 0
    errors: int = 0
    clients: int = 0
    seconds: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    by_path: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    # per route (count, p50 ms, p99 ms): over the whole test, and while a large forecast ran
    routes: dict[str, Stats] = field(default_factory=dict)
    routes_under_load: dict[str, Stats] = field(default_factory=dict)
    server_errors: int = 0  # 5xx other than 503
    refused_503: int = 0  # overload answered with 503 + Retry-After (allowed)
    big_actors: int = 0
    big_runs: list[BigRun] = field(default_factory=list)
    # the forecast too large for the web app: (status, its one-line message, ms to answer)
    too_big: tuple[int, str, float] | None = None
    # /health from the prober (its own process and connection): outside and inside the windows
    # in which a large forecast ran in a worker
    health_idle: Stats = (0, 0.0, 0.0)
    health_under_load: Stats = (0, 0.0, 0.0)

    @property
    def rps(self) -> float:
        return self.served / self.seconds if self.seconds else 0.0

    @property
    def health_under_load_p99_ms(self) -> float:
        return self.health_under_load[2]


# The request mix of a person using the app: pages, partials, a cheap forecast (a job the client
# polls, as the page does, until its result; it also writes a run to the store), the war
# model's talks curves, the stylesheet. Weights sum to 1.
LOAD_MIX: tuple[tuple[str, str, float], ...] = (
    ("GET", "/", 0.25),
    ("GET", "/health", 0.20),
    ("GET", "/scenario?name=ukraine-2025", 0.15),
    ("GET", "/runs", 0.15),
    ("POST", "/forecast", 0.15),
    ("POST", "/talks", 0.05),
    ("GET", "/static/app.css", 0.05),
)
JOB_POLL_S = 0.4  # the page polls a running job this often (templates/_job.html)


def _serve(sock: Any, store: str) -> None:
    """Child process: the web app as ``detente serve`` runs it (the same uvicorn settings), on an
    already-bound loopback socket, rate limit off."""
    import logging

    import uvicorn

    from detente.web.app import create_app, server_options

    class Server(uvicorn.Server):
        # uvicorn stops gracefully on SIGTERM (the app's worker pool shut down), then raises
        # the signal again, which would end this process before multiprocessing's clean-up (the
        # worker pool's semaphores reported as leaked). The signal has done its work already.
        def handle_exit(self, sig: int, frame: Any) -> None:
            super().handle_exit(sig, frame)
            self._captured_signals.clear()

    logging.disable(logging.WARNING)
    config = uvicorn.Config(
        create_app(store, rate_limit=None),
        log_level="error",
        access_log=False,
        lifespan="on",
        **server_options(),
    )
    server = Server(config)
    # The socket object itself, not its fd: uvicorn rebuilds a socket from an fd as AF_UNIX, and
    # asyncio then leaves Nagle's algorithm on for every connection (see load_test).
    server.run(sockets=[sock])


def _connect(port: int, timeout: float = 120.0) -> Any:
    import http.client

    return http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)


def _job_id(page: str) -> str | None:
    found = re.search(r'id="job-(\d+)"', page)
    return found.group(1) if found else None


def _job_state(page: str) -> str:
    """A job's state as its fragment shows it (a finished job's fragment is its result)."""
    if 'class="job"' in page:
        found = re.search(r":\s*(queued|running|done) \d+/\d+", page)
        return found.group(1) if found else "queued"
    if "job-cancelled" in page:
        return "cancelled"
    if 'role="alert"' in page:
        return "error"
    return "done"


def _one_line(page: str) -> str:
    """The text of an error fragment, as one line."""
    text = re.sub(r"<[^>]+>", "", page)
    return " ".join(text.split())[:300]


def _route(method: str, path: str) -> str:
    path = path.split("?")[0]
    return f"{method} {'/jobs/N' if path.startswith('/jobs/') else path}"


class _Client:
    """One keep-alive connection that records every request: (route, start, ms, status)."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token
        self.conn = _connect(port)
        self.rows: list[tuple[str, float, float, int | str]] = []

    def call(self, method: str, path: str, body: str | None = None) -> tuple[int | str, str]:
        import http.client

        headers = {"X-CSRF-Token": self.token} if method == "POST" else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        t0 = time.monotonic()
        start = time.perf_counter()
        status: int | str
        try:
            self.conn.request(method, path, body=body, headers=headers)
            resp = self.conn.getresponse()
            text = resp.read().decode("utf-8", "replace")
            status = resp.status
        except (OSError, http.client.HTTPException) as exc:
            status, text = type(exc).__name__, ""
            self.conn.close()
            self.conn = _connect(self.port)
        self.rows.append((_route(method, path), t0, (time.perf_counter() - start) * 1000, status))
        return status, text

    def until_done(self, page: str, poll_s: float, deadline: float) -> tuple[str, str]:
        """Poll the job ``page`` started until it finishes: (state, last page)."""
        job = _job_id(page)
        state = _job_state(page) if job else "error"
        while job and state in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(poll_s)
            status, page = self.call("GET", f"/jobs/{job}")
            state = _job_state(page) if status == 200 else "error"
        return state, page


def _load_client(
    port: int,
    token: str,
    n: int,
    seq: np.random.SeedSequence,
    bodies: dict[str, str],
    out: str,
) -> None:
    """Child process: ``n`` requests of :data:`LOAD_MIX`; a forecast is polled to its result."""
    import json

    rng = np.random.default_rng(seq)
    weights = np.array([w for _, _, w in LOAD_MIX])
    client = _Client(port, token)
    for _ in range(n):
        method, path, _ = LOAD_MIX[int(rng.choice(len(LOAD_MIX), p=weights / weights.sum()))]
        t0, start = time.monotonic(), time.perf_counter()
        status, page = client.call(method, path, bodies.get(path))
        if path == "/forecast" and status == 200:
            state, _ = client.until_done(page, JOB_POLL_S, time.monotonic() + 300)
            ms = (time.perf_counter() - start) * 1000
            client.rows.append(
                ("forecast, posted to result", t0, ms, 200 if state == "done" else state)
            )
    client.conn.close()
    Path(out).write_text(json.dumps(client.rows))


def _probe(port: int, stop: str, out: str, interval: float) -> None:
    """Child process: GET /health every ``interval`` s on its own connection until the file
    ``stop`` exists.

    A process of its own, so that its timings are the server's and not those of a client
    process whose threads compete for the same GIL."""
    import json

    client = _Client(port, "")
    while not os.path.exists(stop):
        start = time.perf_counter()
        client.call("GET", "/health")
        time.sleep(max(0.0, interval - (time.perf_counter() - start)))
    client.conn.close()
    Path(out).write_text(json.dumps(client.rows))


def _big_forecast(port: int, token: str, body: str, deadline: float) -> BigRun:
    """Post one large forecast and poll it (every 0.25 s) until it finishes."""
    client = _Client(port, token)
    run = BigRun(submitted=time.monotonic())
    status, page = client.call("POST", "/forecast", body)
    run.status = status if isinstance(status, int) else 0
    if status != 200:
        run.state, run.message = "refused", _one_line(page) or str(status)
        return run
    job = _job_id(page)
    state = _job_state(page)
    while job and time.monotonic() < deadline:
        if state == "running" and run.running is None:
            run.running = time.monotonic()
        if state not in ("queued", "running"):
            break
        time.sleep(0.25)
        status, page = client.call("GET", f"/jobs/{job}")
        state = _job_state(page) if status == 200 else "error"
    else:
        state = "timeout" if job else "error"
    run.finished = time.monotonic()
    run.state = state
    if state != "done":
        run.message = _one_line(page)[:200]
    client.conn.close()
    return run


def big_scenario(actors: int, seed: int) -> dict[str, Any]:
    """The large forecast's scenario: ``actors`` random actors on two issues."""
    return random_scenario_data(np.random.default_rng(seed), actors, 2)


def load_test(
    requests: int,
    clients: int,
    seed: int = 0,
    workdir: str | os.PathLike[str] | None = None,
    big_actors: int = 0,
    big_draws: int = 10,
    too_big_actors: int = 1500,
    probe_interval: float = 0.05,
    min_big_s: float = 3.0,
) -> LoadReport:
    """``requests`` requests from ``clients`` concurrent keep-alive clients against ``detente
    serve``'s app (its uvicorn settings, worker pool and all) in its own process on 127.0.0.1
    (rate limit off: this measures capacity).

    Each client is a process of its own and sends its share of :data:`LOAD_MIX`, polling each
    forecast job to its result as the page does. A prober process asks for ``/health`` every
    ``probe_interval`` s on its own connection. With ``big_actors``, the test first posts an EUM
    forecast of ``too_big_actors`` actors, which the web app must refuse (a 4xx with one line)
    before starting it, then posts EUM forecasts of ``big_actors`` actors with ``big_draws``
    Monte Carlo draws (under the web app's cost limit, so admitted; one at a time, polled to
    their end) for as long as the clients run; one must run ``min_big_s`` s or more.
    ``/health`` and the routes are reported apart for the windows in which such a forecast ran
    in a worker. A request is an error when it raises or gets a status >= 400 (a 503 with
    Retry-After under overload is counted apart).
    """
    import json
    import multiprocessing
    import socket
    import urllib.parse

    from detente.scenario.io import load

    scenario_json = json.dumps(load().model_dump(mode="json"), separators=(",", ":"))
    bodies = {
        "/forecast": urllib.parse.urlencode({"scenario_json": scenario_json, "model": "median"}),
        "/talks": urllib.parse.urlencode({"scenario_json": scenario_json}),
    }
    report = LoadReport(mix_requests=requests, clients=clients, big_actors=big_actors)

    def eum_body(actors: int, draws: int = 0) -> str:
        data = json.dumps(big_scenario(actors, seed), separators=(",", ":"))
        form = {"scenario_json": data, "model": "eum", "draws": str(draws)}
        return urllib.parse.urlencode(form)

    ctx = multiprocessing.get_context("fork")
    with tempfile.TemporaryDirectory(dir=workdir, prefix="detente-load-") as tmp:
        # IPPROTO_TCP named: asyncio turns Nagle's algorithm off (TCP_NODELAY) only on sockets
        # whose proto says TCP, as those ``detente serve`` binds do. A plain socket.socket() has
        # proto 0, and every small response then waits ~40 ms for the client's delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(256)
        port = sock.getsockname()[1]
        server = ctx.Process(target=_serve, args=(sock, str(Path(tmp) / "runs.sqlite")))
        server.start()
        procs: list[Any] = []
        try:
            deadline = time.monotonic() + 60
            while True:  # wait until the app answers
                status, _ = _Client(port, "").call("GET", "/health")
                if status == 200:
                    break
                if time.monotonic() > deadline or not server.is_alive():
                    report.problems.append("the web app did not start")
                    return report
                time.sleep(0.1)
            # The page's CSRF token: every POST carries it, as the browser's does.
            status, page = _Client(port, "").call("GET", "/")
            found = re.search(r'name="csrf-token" content="([^"]+)"', page)
            token = found.group(1) if found else ""
            if big_actors and too_big_actors:
                # Refused before any work, with one line (the web app's cost limit).
                too_big = _Client(port, token)
                status, page = too_big.call("POST", "/forecast", eum_body(too_big_actors))
                report.too_big = (
                    status if isinstance(status, int) else 0,
                    _one_line(page),
                    too_big.rows[-1][2],
                )
                if not (isinstance(status, int) and 400 <= status < 500 or status == 503):
                    report.problems.append(
                        f"a {too_big_actors}-actor forecast was not refused: {status} "
                        f"{_one_line(page)[:120]!r}"
                    )
            stop = str(Path(tmp) / "stop")  # a file, not an Event: no semaphores to leak
            probe_out = str(Path(tmp) / "probe.json")
            prober = ctx.Process(target=_probe, args=(port, stop, probe_out, probe_interval))
            prober.start()
            big_body = eum_body(big_actors, big_draws) if big_actors else ""
            big_deadline = time.monotonic() + 600
            streams = np.random.SeedSequence(seed).spawn(clients)
            outs = [str(Path(tmp) / f"client{c}.json") for c in range(clients)]
            shares = [requests // clients + (c < requests % clients) for c in range(clients)]
            procs = [
                ctx.Process(
                    target=_load_client, args=(port, token, shares[c], streams[c], bodies, outs[c])
                )
                for c in range(clients)
            ]
            t0 = time.perf_counter()
            import threading

            big_thread: threading.Thread | None = None
            if big_actors:

                def drive() -> None:
                    # Large forecasts one after another while any client is still sending.
                    while time.monotonic() < big_deadline:
                        report.big_runs.append(_big_forecast(port, token, big_body, big_deadline))
                        if (
                            not any(p.is_alive() for p in procs)
                            or report.big_runs[-1].state != "done"
                        ):
                            break

                big_thread = threading.Thread(target=drive)
                big_thread.start()
                time.sleep(1.0)  # the first large forecast is queued before the clients start
            for p in procs:
                p.start()
            for p in procs:
                p.join(900)
            report.seconds = time.perf_counter() - t0
            if big_thread is not None:
                big_thread.join(900)
            Path(stop).touch()
            prober.join(60)
        finally:
            for p in procs:
                if p.is_alive():
                    p.kill()
            server.terminate()
            server.join(15)
            if server.is_alive():
                server.kill()
                server.join()
            sock.close()
        rows: list[tuple[str, float, float, int | str]] = []
        for out in outs:
            if Path(out).is_file():
                rows += [tuple(r) for r in json.loads(Path(out).read_text())]  # type: ignore[misc]
            else:
                report.problems.append(f"a load client left no results ({Path(out).name})")
        probes = json.loads(Path(probe_out).read_text()) if Path(probe_out).is_file() else []
    windows = [(r.running, r.finished) for r in report.big_runs if r.running and r.finished]

    def loaded(t: float) -> bool:
        return any(a <= t <= b for a, b in windows)

    requests_rows = [r for r in rows if not r[0].startswith("forecast, ")]
    report.requests = len(requests_rows)
    codes = Counter(r[3] for r in requests_rows + [tuple(p) for p in probes])
    report.server_errors = sum(
        n for code, n in codes.items() if isinstance(code, int) and code >= 500 and code != 503
    )
    report.refused_503 = codes.get(503, 0)
    by_path: Counter[str] = Counter()
    for route, _, _, status in requests_rows:
        ok = isinstance(status, int) and status < 400
        by_path[f"{'ok' if ok else 'ERROR'} {route} {status}"] += 1
    report.by_path = dict(sorted(by_path.items()))
    report.served = sum(n for k, n in by_path.items() if k.startswith("ok"))
    report.errors = report.requests - report.served - report.refused_503
    for route in sorted({r[0] for r in rows}):
        report.routes[route] = _stats([r[2] for r in rows if r[0] == route])
        under = [r[2] for r in rows if r[0] == route and loaded(r[1])]
        if under:
            report.routes_under_load[route] = _stats(under)
    bad_probes = [p for p in probes if p[3] != 200]
    if bad_probes:
        report.problems.append(f"/health failed {len(bad_probes)} times: {bad_probes[0][3]}")
    report.health_idle = _stats([p[2] for p in probes if not loaded(p[1])])
    report.health_under_load = _stats([p[2] for p in probes if loaded(p[1])])
    lat = np.array([r[2] for r in requests_rows])
    if lat.size:
        report.p50_ms, report.p99_ms = (float(x) for x in np.percentile(lat, [50, 99]))
        report.max_ms = float(lat.max())
    if big_actors:
        done = [r for r in report.big_runs if r.state == "done"]
        if not done:
            first = report.big_runs[0] if report.big_runs else None
            report.problems.append(
                f"no {big_actors}-actor forecast ran to its end"
                + (f": {first.state} {first.message[:160]!r}" if first else "")
            )
        elif max(r.run_s for r in done) < min_big_s:
            report.problems.append(
                f"the {big_actors}-actor forecasts ran only {max(r.run_s for r in done):.2f} s "
                f"(under {min_big_s:g} s): the check measured little"
            )
        if not report.health_under_load[0]:
            report.problems.append("no /health probe fell inside a large forecast's run")
    return report


def print_load(report: LoadReport) -> None:
    r = report
    print(
        f"web load: {r.mix_requests} requests of the mix from {r.clients} concurrent clients "
        f"(each its own process) on 127.0.0.1, {r.requests} with their job polls: served "
        f"{r.served}, errors {r.errors}; {r.rps:.1f} requests/s, latency p50 {r.p50_ms:.1f} ms, "
        f"p99 {r.p99_ms:.1f} ms, max {r.max_ms:.1f} ms; {r.seconds:.1f} s"
    )
    for key, n in r.by_path.items():
        print(f"  {key}: {n}")
    print("  latency per route (whole test | while a large forecast ran in a worker)")
    for route, (n, p50, p99) in r.routes.items():
        m, q50, q99 = r.routes_under_load.get(route, (0, 0.0, 0.0))
        print(
            f"    {route:<28} n={n:<5} p50 {p50:8.1f} ms  p99 {p99:8.1f} ms  |  "
            f"n={m:<5} p50 {q50:8.1f} ms  p99 {q99:8.1f} ms"
        )
    if r.too_big is not None:
        status, message, ms = r.too_big
        print(f"  too large: answered {status} in {ms:.0f} ms: {message[:200]}")
    if r.big_actors:
        runs = "; ".join(
            f"{b.state}, {b.run_s:.1f} s in a worker ({b.total_s:.1f} s posted to result)"
            for b in r.big_runs
        )
        print(f"  large forecast: {r.big_actors} actors (EUM), {len(r.big_runs)} posted: {runs}")
    n, p50, p99 = r.health_under_load
    m, q50, q99 = r.health_idle
    print(
        f"  /health (prober, own process, every 50 ms): while a large forecast ran n={n} p50 "
        f"{p50:.1f} ms p99 {p99:.1f} ms (target < 100 ms); otherwise n={m} p50 {q50:.1f} ms "
        f"p99 {q99:.1f} ms"
    )
    print(f"  5xx: {r.server_errors} (503 refusals with a retry hint: {r.refused_503})")
    for problem in r.problems:
        print(f"  PROBLEM {problem}")


# --- hostile requests through the CLI (issue 16) -----------------------------------------------

BIG = str(10**30)

# (argv, words the one error line must hold): each must be refused with one line and exit 2,
# before any work (tests/reliability/test_hostile_requests.py runs the same list in-process).
HOSTILE_REQUESTS: list[tuple[list[str], tuple[str, ...]]] = [
    # options: one line, not typer's usage box
    (["forecast", "--draws", "0"], ("--draws",)),
    (["forecast", "--draws", "-5"], ("--draws",)),
    (["forecast", "--draws", "3", "--seed", "-1"], ("--seed",)),
    (["forecast", "--draws", "3", "--seed", str(2**63)], ("'seed'", "9223372036854775807")),
    (["war", "--seed", str(2**63), "--no-plot"], ("'seed'",)),
    (["claims", "--seed", str(2**63)], ("'seed'",)),
    (["runs", "list", "--limit", BIG], ("'limit'",)),
    (["forecast", "--draws", "3", "--cluster", "garbage"], ("--cluster", "port")),
    (["forecast", "--draws", "3", "--cluster", "evil://h:1"], ("--cluster", "scheme")),
    (["forecast", "--param", "eum.q=" + "[" * 5000 + "]" * 5000], ("--param",)),
    (["forecast", "--param", "nope.x=1"], ("nope",)),
    (["forecast", "--param", "eum.nope=1"], ("nope",)),
    (["forecast", "--param", "eum.q=1:30"], ("1:30",)),
    (["forecast", "--param", "eum.q=yes"], ("yes",)),
    (["forecast", "--param", "eum.q=\uff10.5"], ("--param",)),
    (["forecast", "--param", "smp.min_turns=10**9"], ("min_turns",)),
    (["forecast", "--max-memory", "lots"], ("--max-memory",)),
    # size: refused before starting, naming the estimate, the limit and the option
    (["forecast", "--draws", "100000000"], ("needs about", "--max-memory")),
    (["forecast", "-m", "eum", "--draws", "100000", "--max-time", "5s"], ("--max-time",)),
    (["forecast", "--param", "smp.max_turns=1000000000"], ("--max-memory",)),
    (["whatif", "--draws", str(10**8), "--do", "remove IND"], ("--max-memory",)),
    (["report", "--draws", str(10**8), "-o", "r.html"], ("--max-memory",)),
    (["war", "--paths", "2000000", "--months", "1200", "--no-plot"], ("--max-memory",)),
    (
        [
            "sweep",
            "--lever",
            "USA.position.sanctions=0:100:1000",
            "--lever",
            "RUS.position.sanctions=0:100:1000",
        ],
        ("1,000,000 grid points", "--max-memory"),
    ),
    (["sweep", "--lever", "USA.position.sanctions=0:100:5", "--draws", str(10**8)], ("--max",)),
    (["sensitivity", "--model", "war", "--paths", str(10**8)], ("--max-time",)),
    (["sensitivity", "--n", str(10**8)], ("--max-memory",)),
    # silent nonsense
    (["war", "--lever", "threat=-1", "--no-plot"], ("threat",)),
    (["war", "--lever", "threat=\uff12", "--no-plot"], ("threat",)),
    (["claims", "--months", "0"], ("'months'",)),
    (["war", "--months", "0", "--no-plot"], ("months",)),
]

MARKUP_NAMES = (
    "[/x]",
    "[link=https://evil.example]click[/link]",
    "\x1b]8;;https://evil.example\x1b\\x\x1b[31mred",
    ":smile: \u202eevil \\[",
)


def _hostile_files(tmp: Path) -> list[tuple[str, list[str], str]]:
    """(name, argv, expect) for files: expect "error" (one line, exit 2) or "ok" (exit 0, the
    hostile text printed literally, no escape sequence)."""
    from detente.scenario import io as scenario_io

    base = scenario_io.embedded_text("ukraine-2025")
    doc = yaml.safe_load(base)
    out: list[tuple[str, list[str], str]] = []

    def write(name: str, text: str | bytes) -> str:
        path = tmp / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        return str(path)

    for i, mark in enumerate(MARKUP_NAMES):
        d = copy.deepcopy(doc)
        d["meta"]["title"] = f"T{mark}"
        d["meta"].pop("id", None)
        d["actors"][0]["name"] = mark
        f = write(f"markup{i}.yaml", yaml.safe_dump(d, allow_unicode=True))
        out += [
            (f"markup{i} validate", ["validate", f], "ok"),
            (f"markup{i} forecast", ["forecast", f, "-m", "compromise"], "ok"),
            (f"markup{i} war", ["war", f, "--paths", "50", "--months", "6", "--no-plot"], "ok"),
        ]
        xml = to_ktab_xml(random_scenario_data(np.random.default_rng(i), 4, 2))
        xml = xml.replace("<name>", f"<name>{escape(mark)}", 1)
        fx = write(f"markup{i}.xml", xml)
        # XML 1.0 forbids control characters: such a file is a clean loader error
        xml_expect = "error" if any(ord(c) < 32 for c in mark) else "ok"
        out.append(
            (f"markup{i} import", ["import", "ktab", fx, "-o", str(tmp / f"m{i}.yaml")], xml_expect)
        )
    csv_head = "Actor,Capability,Position,Salience\n"
    for name, body in (
        ("dup.csv", "USA,10,20,0.5\nRUS,20,80,0.5\nusa,5,50,0.2\n"),
        ("mixed.csv", "A,10,20,0.8\nB,20,80,0.5\nC,5,50,1.9\n"),
        ("fullwidth.csv", "A,10,\uff12\uff10,0.8\nB,20,80,0.5\n"),
    ):
        out.append((name, ["validate", write(name, csv_head + body)], "error"))
    for name, old, new in (
        ("cap1e308.yaml", "capability: {value: 1.0,", "capability: {value: 1e308,"),
        ("scale1e308.yaml", "scale: {low: 0, high: 100,", "scale: {low: -1e308, high: 1e308,"),
        ("yes.yaml", "capability: {value: 1.0,", "capability: {value: yes,"),
        ("sexagesimal.yaml", "capability: {value: 1.0,", "capability: {value: 1:30,"),
        ("attacker.yaml", "attacker: RUS", "attacker: XXX"),
        ("same-sides.yaml", "defender: UKR", "defender: RUS"),
    ):
        f = write(name, base.replace(old, new, 1))
        cmd = "war" if "sides" in name or "attacker" in name else "forecast"
        extra = ["--paths", "10", "--no-plot"] if cmd == "war" else []
        out.append((name, [cmd, f, *extra], "error"))
    claim = base.replace(
        "claims:",
        'claims:\n  - id: deep\n    statement: "'
        + "(" * 300
        + "1 < 2"
        + ")" * 300
        + '"\n    text: deep',
        1,
    )
    # A claim's statement is text (claims are tested by id since the war model's rebuild), so a
    # 300-deep one is no longer parsed at all: it completes, shown as having no test.
    out.append(("nested-claim.yaml", ["claims", write("nested.yaml", claim)], "ok"))
    # bounded completion: a modest Monte Carlo runs to the end
    out.append(("forecast --draws 2000", ["forecast", "-m", "compromise", "--draws", "2000"], "ok"))
    return out


def _store_cases(tmp: Path) -> list[tuple[str, list[str], str]]:
    """A store with a damaged JSON row, and one with markup in a stored title."""
    import sqlite3

    from detente.scenario import io as scenario_io
    from detente.store.runs import RunStore

    sc = scenario_io.load()
    damaged = RunStore(tmp / "damaged.sqlite")
    for i in range(3):
        damaged.record("forecast", sc, {"i": i}, i, {"v": i})
    with sqlite3.connect(damaged.path) as conn:
        conn.execute("UPDATE runs SET params = '{oops' WHERE id = 2")
    doc = sc.model_dump(mode="json")
    doc["meta"]["title"] = "[/x] [link=https://evil.example]x[/link]"
    marked = RunStore(tmp / "markup.sqlite")
    marked.record("forecast", scenario_io.from_data(doc), {}, 1, {"v": 1})
    d, m = str(damaged.path), str(marked.path)
    return [
        ("damaged: runs show 2", ["runs", "show", "2", "--store", d], "error"),
        ("damaged: runs list", ["runs", "list", "--store", d], "error"),
        ("damaged: runs show 3", ["runs", "show", "3", "--store", d], "ok"),
        ("damaged: runs verify", ["runs", "verify", "--store", d], "exit1"),
        ("markup store: runs list", ["runs", "list", "--store", m], "ok"),
        ("markup store: runs export", ["runs", "export", "1", "-o", "-", "--store", m], "ok"),
    ]


@dataclass
class HostileReport:
    tried: int = 0
    clean_errors: int = 0
    completed: int = 0
    tracebacks: int = 0
    runaway: int = 0
    peak_mb: float = 0.0
    slowest_s: float = 0.0
    problems: list[str] = field(default_factory=list)


def hostile_cli(
    timeout_s: float = 120.0, workdir: str | os.PathLike[str] | None = None
) -> HostileReport:
    """Every hostile request and file through ``detente`` in its own process, with a time limit:
    a run past it is a runaway. Peak memory is the largest child's maximum resident set."""
    import resource
    import subprocess

    report = HostileReport()
    import detente

    # The children run the same detente as this process (its source tree first on the path).
    src = str(Path(detente.__file__).resolve().parents[1])
    path = os.pathsep.join([src, *filter(None, [os.environ.get("PYTHONPATH")])])
    env = {
        **os.environ,
        "PYTHONPATH": path,
        "DETENTE_STORE": "off",
        "DETENTE_MAX_MEMORY": "8G",
        "COLUMNS": "200",
    }
    with tempfile.TemporaryDirectory(dir=workdir, prefix="detente-hostile-") as tmp_name:
        tmp = Path(tmp_name)
        cases = [(" ".join(a)[:60], a, "error") for a, _ in HOSTILE_REQUESTS]
        cases += _hostile_files(tmp) + _store_cases(tmp)
        for name, argv, expect in cases:
            report.tried += 1
            t0 = time.perf_counter()
            try:
                done = subprocess.run(
                    [sys.executable, "-m", "detente.cli.main", *argv],
                    capture_output=True,
                    text=True,
                    timeout=timeout_s,
                    env=env,
                    cwd=tmp,
                )
            except subprocess.TimeoutExpired:
                report.runaway += 1
                report.problems.append(f"{name}: still running after {timeout_s:.0f} s")
                continue
            seconds = time.perf_counter() - t0
            report.slowest_s = max(report.slowest_s, seconds)
            out, err = done.stdout, done.stderr
            if "Traceback" in err or "Traceback" in out:
                report.tracebacks += 1
                report.problems.append(f"{name}: traceback: {err.strip().splitlines()[-1][:160]}")
                continue
            if "\x1b" in out or "\x1b" in err:
                report.problems.append(f"{name}: an escape sequence reached the terminal")
            line = err.strip()
            if expect == "error":
                if (
                    done.returncode == 2
                    and line.startswith("detente: error: ")
                    and "\n" not in line
                ):
                    report.clean_errors += 1
                else:
                    report.problems.append(f"{name}: exit {done.returncode}: {line[:200]!r}")
            elif expect == "exit1":
                if done.returncode == 1:
                    report.completed += 1
                else:
                    report.problems.append(f"{name}: exit {done.returncode}: {line[:200]!r}")
            elif done.returncode == 0:
                report.completed += 1
            else:
                report.problems.append(f"{name}: exit {done.returncode}: {line[:200]!r}")
    report.peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return report


def print_hostile(r: HostileReport) -> None:
    print(
        f"hostile requests: {r.tried} tried through the CLI, {r.clean_errors} clean one-line "
        f"errors (exit 2), {r.completed} completed as expected, tracebacks {r.tracebacks}, "
        f"runaway runs {r.runaway}, peak memory {r.peak_mb:.0f} MB, slowest {r.slowest_s:.1f} s"
    )
    for problem in r.problems:
        print(f"  PROBLEM {problem}")


# --- report ----------------------------------------------------------------------------------


def print_fuzz(report: FuzzReport) -> None:
    print(
        f"fuzz: inputs tried {report.tried}, loaded {report.loaded}, rejected with a "
        f"DetenteError {report.rejected}, crashes (uncaught exceptions) {report.crashes}, "
        f"other findings {len(report.findings) - report.crashes}; "
        f"{report.tried / max(report.seconds, 1e-9):.0f} inputs/s, slowest input "
        f"{report.slowest:.2f} s"
    )
    for name, counts in sorted(report.by_loader.items()):
        print(
            f"  {name:<10} tried {counts['tried']:>7}  loaded {counts['loaded']:>6}  "
            f"rejected {counts['rejected']:>7}  crashes {counts['crashes']}"
        )
    seen: set[tuple[str, str, str]] = set()
    for f in report.findings:
        key = (f.loader, f.problem, f.detail[:80])
        if key in seen:
            continue
        seen.add(key)
        print(f"  FINDING {f.loader}: {f.problem}: {f.detail}\n    input: {f.sample[:160]}")
        if len(seen) >= 30:
            break


def main(argv: list[str] | None = None) -> int:
    """``make stress``: the fuzzing, the store fault test and the load test, with their figures."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tools.stress", description=__doc__)
    parser.add_argument("--fuzz", type=int, default=105_000, help="inputs to try (all loaders)")
    parser.add_argument("--seed", type=int, default=20250909)
    parser.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1))
    parser.add_argument("--kills", type=int, default=220, help="writer processes to SIGKILL")
    parser.add_argument("--requests", type=int, default=800, help="web load test: requests")
    parser.add_argument("--clients", type=int, default=8, help="web load test: clients")
    parser.add_argument(
        "--big-actors",
        type=int,
        default=400,
        help="web load test: actors of the large forecast posted while the load runs (0: none)",
    )
    parser.add_argument(
        "--hostile-timeout", type=float, default=120.0, help="seconds before a CLI run is runaway"
    )
    parser.add_argument("--no-hostile", action="store_true", help="skip the hostile CLI requests")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    print(
        f"detente stress (seed {args.seed}): fuzzing {args.fuzz} inputs with {args.workers} "
        f"workers, {args.kills} store kills, {args.requests} web requests",
        flush=True,
    )
    hostile = HostileReport() if args.no_hostile else hostile_cli(args.hostile_timeout)
    if not args.no_hostile:
        print_hostile(hostile)
    fuzz = fuzz_loaders(args.fuzz, seed=args.seed, workers=args.workers)
    print_fuzz(fuzz)
    store = store_kill_test(args.kills, seed=args.seed) if args.kills else StoreReport()
    if args.kills:
        print_store(store)
    load = (
        load_test(args.requests, args.clients, seed=args.seed, big_actors=args.big_actors)
        if args.requests
        else LoadReport()
    )
    if args.requests:
        print_load(load)
    failures = [
        fuzz.crashes > 0,
        bool(fuzz.findings),
        bool(store.problems),
        store.runs_lost > 0,
        store.runs_corrupt > 0,
        store.concurrent_lost > 0,
        load.errors > 0,
        bool(load.problems),
        hostile.tracebacks > 0,
        hostile.runaway > 0,
        bool(hostile.problems),
        load.server_errors > 0,
        bool(args.requests and args.big_actors and load.health_under_load_p99_ms >= 100),
    ]
    print()
    print("summary")
    print(f"  hostile requests        {hostile.tried} ({hostile.clean_errors} clean errors)")
    print(f"  tracebacks              {hostile.tracebacks + fuzz.crashes}")
    print(f"  runaway runs            {hostile.runaway}")
    print(f"  peak memory (CLI runs)  {hostile.peak_mb:.0f} MB")
    print(f"  5xx                     {load.server_errors}")
    if args.requests and args.big_actors:
        n, p50, p99 = load.health_under_load
        runs = [b for b in load.big_runs if b.state == "done"]
        ran = ", ".join(f"{b.run_s:.1f} s" for b in runs) or "none ran"
        print(
            f"  /health p50/p99         {p50:.0f} / {p99:.0f} ms while a {load.big_actors}-actor "
            f"forecast ran in a worker (n={n}; runs: {ran}); target p99 < 100 ms"
        )
    print(f"  inputs tried            {fuzz.tried}")
    others = len(fuzz.findings) - fuzz.crashes
    print(f"  crashes                 {fuzz.crashes} (other findings {others})")
    print(f"  store kills survived    {store.survived} of {store.kills}")
    print(
        f"  runs lost               {store.runs_lost + store.concurrent_lost} "
        f"(corrupt or partial {store.runs_corrupt})"
    )
    print(
        f"  requests served         {load.served} of {load.requests} ({load.rps:.1f}/s, p50 "
        f"{load.p50_ms:.0f} ms, p99 {load.p99_ms:.0f} ms)"
    )
    print(f"  errors                  {load.errors}")
    print(
        f"  verdict                 {'FAIL' if any(failures) else 'PASS'} "
        f"({time.perf_counter() - t0:.0f} s)"
    )
    return 1 if any(failures) else 0


if __name__ == "__main__":
    sys.exit(main())
