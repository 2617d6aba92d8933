"""Reading and writing scenarios: YAML (native), plain CSV (one row per actor), KTAB CSV and XML.

Everything a user's file can get wrong ends in a :class:`ScenarioError` naming the file, the field,
the value and the rule; no other exception escapes :func:`load`.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from detente.scenario.errors import NO_VALUE, DetenteError, ScenarioError, _short
from detente.scenario.schema import Scenario
from detente.scenario.validate import check_scenario

DEFAULT_SCENARIO = "ukraine-2025"
MAX_FILE_BYTES = 20 * 1024 * 1024  # a scenario is small; refuse to parse anything huge


def embedded_names() -> list[str]:
    """Names of the scenarios shipped inside the package."""
    root = resources.files("detente") / "scenarios"
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))


def embedded_text(name: str) -> str:
    """The YAML text of an embedded scenario."""
    return (resources.files("detente") / "scenarios" / f"{name}.yaml").read_text("utf-8")


def load(source: str | os.PathLike[str] | None = None) -> Scenario:
    """Load a scenario from a path, or by the name of an embedded one (default: ukraine-2025)."""
    if source is None:
        source = DEFAULT_SCENARIO
    text_source = str(source)
    path = Path(text_source)
    if not path.exists() and text_source in embedded_names():
        return loads(embedded_text(text_source), name=f"{text_source} (embedded)")
    if not path.exists():
        raise ScenarioError(
            text_source,
            "",
            NO_VALUE,
            "no such file, and no embedded scenario of that name "
            f"(embedded: {', '.join(embedded_names())})",
        )
    if path.is_dir():
        raise ScenarioError(text_source, "", NO_VALUE, "is a directory, not a scenario file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ScenarioError(
            text_source,
            "",
            NO_VALUE,
            f"is {size} bytes; scenario files are limited to {MAX_FILE_BYTES} bytes",
        )
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".xml":
        from detente.scenario import ktab

        return ktab.load_ktab_xml(path)
    text = decode(data, text_source)
    if suffix in (".txt", ".csv", ".dat"):
        from detente.scenario import decide

        if decide.looks_like_decide(text):  # Decide's #A/#P/#M/#D format
            return decide.loads_decide(text, text_source)
    if suffix == ".csv" and looks_like_ktab_csv(text):
        from detente.scenario import ktab

        return ktab.load_ktab_csv(path)
    if suffix == ".csv":
        return loads_csv(text, name=text_source)
    return loads(text, name=text_source)


def decode(data: bytes, name: str) -> str:
    """UTF-8 text of a file (a BOM is dropped), or a ScenarioError naming the bad byte."""
    if not data.strip():
        raise ScenarioError(name, "", NO_VALUE, "the file is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            name,
            "",
            NO_VALUE,
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8",
        ) from None
    if "\x00" in text:
        raise ScenarioError(name, "", NO_VALUE, "contains NUL bytes: not a text file")
    return text


def loads(text: str, name: str = "<text>") -> Scenario:
    """Parse and validate a YAML scenario."""
    if not text.strip():
        raise ScenarioError(name, "", NO_VALUE, "the file is empty")
    try:
        data = _safe_load(text, name)
    except yaml.constructor.ConstructorError as exc:
        tag = getattr(exc, "problem", "") or str(exc)
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        raise ScenarioError(
            name,
            f"line {line}",
            NO_VALUE,
            f"YAML tags that construct objects are not allowed ({tag.strip()})"
            if "constructor" in tag or "unhashable" in tag
            # A standard tag over the wrong kind of node, e.g. "!!map [1]".
            else f"is not valid YAML: {tag.strip()}",
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if "cannot start any token" in problem and "\t" in text:
            problem += " (a tab: indent YAML with spaces)"  # libyaml does not name the character
        raise ScenarioError(name, where, NO_VALUE, f"is not valid YAML: {problem}") from None
    except RecursionError:
        raise ScenarioError(name, "", NO_VALUE, "is nested too deeply to be a scenario") from None
    except ValueError:
        # PyYAML's int() on a number of more than 4300 digits (Python's conversion limit).
        raise ScenarioError(name, "", NO_VALUE, "holds a number with too many digits") from None
    return from_data(data, name)


# YAML aliases share nodes, so a few hundred bytes can stand for 10^9 nodes ("billion laughs"):
# harmless to PyYAML, but anything that walks the document (validation, error messages, hashing)
# would take exponential time. Aliases may add at most this many nodes beyond those written out.
MAX_ALIAS_EXPANSION = 100_000


# YAML 1.2's plain scalars that are not strings: (tag, pattern, first characters).
STRICT_SCALARS = (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^[-+]?[0-9]+$", "-+0123456789"),
    (
        "float",
        r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(?:\.[0-9]*)?[eE][-+]?[0-9]+)$"
        r"|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$",
        "-+0123456789.",
    ),
)
_NOT_A_STRING = re.compile("|".join(f"(?:{p})" for _, p, _ in STRICT_SCALARS))


def _strict_loader_class() -> type:
    """The safe loader with YAML 1.2's plain scalars: only ``true``/``false`` are booleans (not
    ``yes``/``no``/``on``/``off``, which YAML 1.1 reads as true/false and a number field then as
    1.0/0.0), and numbers are decimal digits (no sexagesimal ``1:30`` read as 90, no ``1_000``, no
    ``0x1F``). Anything else stays a string, which a number field reports as not a number."""
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class StrictLoader(base):  # type: ignore[valid-type, misc]
        pass

    strict_tags = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
    resolvers = {
        ch: [(tag, rx) for tag, rx in items if tag not in strict_tags]
        for ch, items in base.yaml_implicit_resolvers.items()
    }
    StrictLoader.yaml_implicit_resolvers = resolvers
    for tag, pattern, first in STRICT_SCALARS:
        StrictLoader.add_implicit_resolver(f"tag:yaml.org,2002:{tag}", re.compile(pattern), first)
    return StrictLoader


_STRICT_LOADER: type | None = None


def _safe_load(text: str, name: str) -> Any:
    """yaml.safe_load, refusing documents whose aliases expand to too many nodes."""
    # libyaml's safe loader when PyYAML has it: the same safe constructor (no object tags), a
    # nesting limit of its own, and ~20x faster; the pure-Python parser needs ~50 s for 1 MB of
    # short list items, which would let one web upload stall the app.
    global _STRICT_LOADER
    if _STRICT_LOADER is None:
        _STRICT_LOADER = _strict_loader_class()
    loader = _STRICT_LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        distinct, expanded = _node_counts(node)
        if expanded - distinct > MAX_ALIAS_EXPANSION:
            raise ScenarioError(
                name,
                "",
                NO_VALUE,
                f"uses YAML aliases (*name) that expand to {expanded} nodes; at most "
                f"{MAX_ALIAS_EXPANSION} may come from aliases",
            )
        try:
            return loader.construct_document(node)
        except (ValueError, AttributeError, KeyError, TypeError, OverflowError) as exc:
            # PyYAML's constructors fail so on explicit tags over bad values: "!!timestamp x"
            # (AttributeError), "!!bool x" (KeyError), "!!int x" and 4300+-digit ints (ValueError).
            if "digits" in str(exc):
                raise
            raise ScenarioError(
                name,
                "",
                NO_VALUE,
                f"has a value its YAML tag cannot build ({type(exc).__name__}: {str(exc)[:80]})",
            ) from None
    finally:
        loader.dispose()


def _node_counts(root: yaml.Node) -> tuple[int, int]:
    """(distinct nodes, nodes once every alias is expanded), without expanding anything."""
    size: dict[int, int] = {}
    entered: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:  # an iterative post-order walk: the document may be nested deeply
        node, children_done = stack.pop()
        if id(node) in size:
            continue
        if children_done:
            # A child still being walked is an alias back to an ancestor (a cycle): count it once.
            size[id(node)] = 1 + sum(size.get(id(c), 1) for c in _children(node))
        elif id(node) not in entered:
            entered.add(id(node))
            stack.append((node, True))
            stack.extend((c, False) for c in _children(node) if id(c) not in entered)
    return len(size), size[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def from_data(data: Any, name: str = "<data>") -> Scenario:
    """Validate a parsed document (a dict) as a scenario."""
    if data is None:
        raise ScenarioError(name, "", NO_VALUE, "the file is empty")
    if not isinstance(data, dict):
        raise ScenarioError(
            name,
            "",
            type(data).__name__,
            "the top level must be a mapping with meta, issues and actors",
        )
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc, name) from None
    except RecursionError:
        raise ScenarioError(name, "", NO_VALUE, "is nested too deeply to be a scenario") from None
    return check_scenario(scenario, name)


def from_validation_error(exc: ValidationError, name: str) -> ScenarioError:
    """The first pydantic error as one ScenarioError line."""
    err = exc.errors(include_url=False)[0]
    path = format_loc(err.get("loc", ()))
    value = err.get("input", NO_VALUE)
    if err.get("type") == "missing":
        value = NO_VALUE
    if isinstance(value, dict | list) and err.get("type") != "missing":
        value = NO_VALUE if len(_short(value, 61)) > 60 else value
    msg = err.get("msg", "is invalid")
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if err.get("type") == "missing":
        msg = "is required but missing"
    elif err.get("type") == "extra_forbidden":
        msg = "is not a known field"
        value = NO_VALUE
    return ScenarioError(name, path, value, msg)


def format_loc(loc: tuple[Any, ...]) -> str:
    """('actors', 3, 'positions', 'territory') -> 'actors[3].positions.territory'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part) in ("function-before[_from_number()]",):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


# --- CSV -------------------------------------------------------------------------------------

_ACTOR = ("actor", "stakeholder", "name")
_CAPABILITY = ("capability", "resources", "influence", "power", "clout")


def loads_csv(text: str, name: str = "<csv>") -> Scenario:
    """Parse a CSV scenario: KTAB's format (sniffed), or one row per actor.

    Plain CSV columns: ``Actor`` (or ``Stakeholder``), optional ``Description``, ``Capability`` (or
    ``Resources``/``Influence``), then either ``Position`` and ``Salience`` (one issue) or,
    per issue X, ``X Position`` and ``X Salience``. Saliences on 0-100 are divided by 100
    when any exceeds 1.
    A CSV has no scale row: each issue's scale runs from its lowest to its highest position (write
    YAML to set scales, labels and sources).
    """
    if looks_like_ktab_csv(text):
        return _load_ktab_csv_text(text, name)
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise ScenarioError(name, "", NO_VALUE, f"is not valid CSV: {exc}") from None
    rows = [[c.strip() for c in r] for r in rows if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise ScenarioError(name, "", NO_VALUE, "needs a header row and at least one actor row")
    header = [h.strip().lstrip("\ufeff") for h in rows[0]]
    lower = [h.lower() for h in header]
    actor_col = _find(lower, _ACTOR)
    cap_col = _find(lower, _CAPABILITY)
    if actor_col is None or cap_col is None:
        missing = "Actor (or Stakeholder)" if actor_col is None else "Capability (or Resources)"
        raise ScenarioError(name, "header", header, f"needs a column {missing}")
    desc_col = _find(lower, ("description",))
    issues: list[tuple[str, str, int, int]] = []  # (id, name, position col, salience col)
    if "position" in lower and "salience" in lower:
        issues.append(("issue", "Issue", lower.index("position"), lower.index("salience")))
    else:
        for c, h in enumerate(lower):
            if h.endswith(" position"):
                stem = header[c][: -len(" position")].strip()
                sal = _find(lower, (f"{stem.lower()} salience",))
                if sal is None:
                    raise ScenarioError(
                        name, "header", header[c], f"has no matching column '{stem} Salience'"
                    )
                issues.append((_slug(stem), stem, c, sal))
    if not issues:
        raise ScenarioError(
            name,
            "header",
            header,
            "needs Position and Salience columns (or 'X Position' and 'X Salience' per issue)",
        )
    table: list[dict[str, Any]] = []
    seen: dict[str, int] = {}  # actor name (case- and space-folded) -> its row
    for r, row in enumerate(rows[1:], start=1):
        if len(row) < len(header):
            row = row + [""] * (len(header) - len(row))
        cells: dict[str, Any] = {
            "name": row[actor_col],
            "capability": _number(row[cap_col], name, f"rows[{r}].{header[cap_col]}"),
            "description": row[desc_col] if desc_col is not None else None,
            "positions": {},
            "saliences": {},
        }
        for iid, _, pc, sc in issues:
            cells["positions"][iid] = _number(row[pc], name, f"rows[{r}].{header[pc]}")
            cells["saliences"][iid] = _number(row[sc], name, f"rows[{r}].{header[sc]}")
        if not cells["name"]:
            raise ScenarioError(name, f"rows[{r}].{header[actor_col]}", "", "must not be empty")
        key = " ".join(cells["name"].casefold().split())
        if key in seen:
            raise ScenarioError(
                name,
                f"rows[{r}].{header[actor_col]}",
                cells["name"],
                f"the same actor as rows[{seen[key]}]: give each actor one row",
            )
        seen[key] = r
        table.append(cells)
    scale = _salience_scale(table, issues, name)
    if scale == 100:
        for t in table:
            for iid, _, _, _ in issues:
                t["saliences"][iid] /= 100.0
    issue_docs = []
    for iid, iname, _, _ in issues:
        values = [t["positions"][iid] for t in table]
        lo, hi = min(values), max(values)
        if hi == lo:  # all at one position: give the scale a unit width around it
            lo, hi = lo - 0.5, hi + 0.5
        issue_docs.append({"id": iid, "name": iname, "scale": {"low": lo, "high": hi}})
    actors = []
    used: set[str] = set()
    for t in table:
        ident = _unique_slug(t["name"], used)
        doc = {
            "id": ident,
            "name": t["name"],
            "capability": t["capability"],
            "positions": t["positions"],
            "saliences": t["saliences"],
        }
        if t["description"]:
            doc["description"] = t["description"]
        actors.append(doc)
    data = {
        "meta": {
            "title": Path(name).stem,
            "description": f"Saliences read on the 0-{scale} scale"
            + (" (divided by 100)." if scale == 100 else "."),
            "sources": [f"CSV file {Path(name).name}"],
        },
        "issues": issue_docs,
        "actors": actors,
    }
    return _from_csv_data(data, name)


def _salience_scale(
    table: list[dict[str, Any]], issues: list[tuple[str, str, int, int]], name: str
) -> int:
    """1 when every salience is in [0, 1]; 100 when every one is in [0, 100] and some are above 1
    with none strictly between 0 and 1 (0.8 next to 1.9 could mean 0.8% or 80%: an error naming
    the values, not a guess)."""
    values = [(t["saliences"][iid], r, iid) for r, t in enumerate(table, 1) for iid, *_ in issues]
    if all(0 <= v <= 1 for v, _, _ in values):
        return 1
    above = [(v, r, i) for v, r, i in values if v > 1]
    fractions = [(v, r, i) for v, r, i in values if 0 < v < 1]
    over = [(v, r, i) for v, r, i in values if v > 100]
    if over:
        v, r, i = over[0]
        raise ScenarioError(name, f"rows[{r}].{i} salience", v, "saliences must be on 0-1 or 0-100")
    if fractions:

        def show(items: list[tuple[float, int, str]]) -> str:
            return ", ".join(f"{v:g} (rows[{r}])" for v, r, _ in items[:4]) + (
                ", ..." if len(items) > 4 else ""
            )

        raise ScenarioError(
            name,
            "saliences",
            NO_VALUE,
            f"mix two scales: {show(above)} only fit 0-100, {show(fractions)} look like 0-1; "
            "write them all on 0-1 or all on 0-100",
        )
    return 100


def looks_like_ktab_csv(text: str) -> bool:
    """KTAB's CSV starts with a scenario row, then a header row beginning with 'Actor'."""
    lines = [ln for ln in text.splitlines() if ln.strip()][:2]
    return (
        len(lines) == 2
        and not lines[0].strip().lower().startswith(_ACTOR)
        and lines[1].strip().lower().startswith("actor")
    )


def _load_ktab_csv_text(text: str, name: str) -> Scenario:
    # KTAB's reader works on files; hand it one, keeping the user's name in its errors.
    from detente.scenario import ktab

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / (Path(name).name or "upload.csv")
        path.write_text(text, encoding="utf-8")
        try:
            return ktab.load_ktab_csv(path)
        except ScenarioError as exc:
            raise ScenarioError(name, exc.field, exc.value, exc.rule) from None


def _from_csv_data(data: dict[str, Any], name: str) -> Scenario:
    try:
        return from_data(data, name)
    except ScenarioError as exc:
        # Map schema paths back onto the CSV's rows for the user.
        field = exc.field
        if field.startswith("actors["):
            field = "rows[" + str(int(field[7:].split("]")[0]) + 1) + "]" + field.split("]", 1)[1]
        raise ScenarioError(name, field, exc.value, exc.rule) from None


def _find(lower: list[str], names: tuple[str, ...]) -> int | None:
    for n in names:
        if n in lower:
            return lower.index(n)
    return None


_STRICT_NUMBER = re.compile(r"\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*\Z")


def _number(cell: str, name: str, field: str) -> float:
    # Strict: ASCII digits only. Python's float() also takes fullwidth digits, "1_000" and
    # "infinity"; a spreadsheet cell holding those is a mistake to report, not a number.
    if not (cell.isascii() and _STRICT_NUMBER.match(cell)):
        raise ScenarioError(
            name, field, cell, "must be a plain number (ASCII digits, e.g. 12.5 or 1e3)"
        )
    try:
        value = float(cell)
    except ValueError:
        raise ScenarioError(name, field, cell, "must be a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ScenarioError(name, field, cell, "must be a finite number (not NaN or inf)")
    return value


def _slug(text: str) -> str:
    # ASCII only: ids must match [A-Za-z0-9][A-Za-z0-9_.-]*, and str.isalnum() is true of
    # letters such as 'é' or '²' (an actor named "Côte d'Ivoire" failed validation).
    out = "".join(ch if ch.isascii() and ch.isalnum() else "_" for ch in text.strip()).strip("_")
    return (out or "x")[:60]


def _unique_slug(text: str, used: set[str]) -> str:
    base = _slug(text)
    ident, n = base, 2
    while ident in used:
        ident, n = f"{base}_{n}", n + 1
    used.add(ident)
    return ident


# --- writing ---------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """SafeDumper that writes strings holding U+0085 (NEL) double-quoted, where it is escaped:
    PyYAML writes it raw in single quotes, and a reader folds it into a space (found by fuzzing);
    and quotes strings that YAML 1.2 reads as numbers or booleans (``0E0``, ``1e5``), which
    PyYAML's YAML 1.1 rules would leave plain."""


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if "\x85" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style='"')
    if _NOT_A_STRING.match(data):
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="'")
    return dumper.represent_str(data)


def dump_yaml(data: Any, **options: Any) -> str:
    """YAML text of plain data that :func:`loads` reads back as it was (strings stay strings)."""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, **options)


_Dumper.add_representer(str, _represent_str)


def to_yaml(scenario: Scenario) -> str:
    """The scenario as YAML text (round-trips through :func:`loads`)."""
    data = scenario.model_dump(mode="json", exclude_none=True, exclude_defaults=False)
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def save(scenario: Scenario, path: str | os.PathLike[str]) -> Path:
    """Write the scenario as YAML atomically (a temporary file renamed over the target)."""
    target = Path(path)
    atomic_write_text(target, to_yaml(scenario))
    return target


def atomic_write_text(target: Path, text: str) -> None:
    """Write text so that readers see either the old file or the whole new one, never half."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


__all__ = [
    "DetenteError",
    "ScenarioError",
    "embedded_names",
    "load",
    "loads",
    "loads_csv",
    "from_data",
    "save",
    "to_yaml",
]
