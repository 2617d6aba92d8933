"""Read the Decide exchange model's input files (the ``#A``/``#P``/``#M``/``#D`` text format).

Decide (Stokman's group; the open implementation is ``foarsitter/decide-exchange-model``, whose
``docs/inputfiles.md`` defines the format) reads tab-separated rows, each starting with a tag:

* ``#A  KEY  NAME``: an actor; ``#P  KEY  NAME``: an issue (policy dimension);
* ``#M  ISSUE  POSITION  DESCRIPTION``: what a position on an issue means. The issue's scale
  runs from the smallest to the largest ``#M`` position; an issue without ``#M`` rows is 0-100;
* ``#D  ACTOR  ISSUE  POSITION  SALIENCE  POWER``: an actor's position, salience (0-1) and
  power (0-1) on an issue;
* ``#O``, ``#0`` and ``#/`` rows (and blank rows) are comments. Trailing empty cells are ignored.

Cells are tab-separated, optionally quoted (Decide's newer files quote each cell with ``'``);
other delimiters are found as Decide finds them (:class:`csv.Sniffer`).

In detente an actor has one capability. Decide's power is per actor and issue; where an actor's
power is the same on every issue (the common case) it is the capability. Where it differs, the
capability is the actor's largest power and the salience on each issue is scaled by
power / capability, so that power x salience, the weight every detente model uses, is Decide's;
the scenario's description says so. An actor without a ``#D`` row on an issue takes part there
with salience 0 at the issue's midpoint (no say), also noted in the description.

Errors name the file, the row, the value and the rule.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from detente.scenario import io as scenario_io
from detente.scenario.errors import NO_VALUE, ScenarioError
from detente.scenario.schema import Scenario

TAGS = ("#A", "#P", "#M", "#D")
COMMENTS = ("#O", "#0", "#/")


def _unquote(cell: str) -> str:
    cell = cell.strip()
    if len(cell) >= 2 and cell[0] == cell[-1] and cell[0] in "'\"":
        cell = cell[1:-1].strip()
    return cell


def _rows(text: str) -> list[list[str]]:
    """The file's rows as cells, one row per line. Decide writes tab-separated cells, in its
    newer files each quoted with ``'`` (``'#A'\t'USA'``), and reads whatever delimiter and
    quote character :class:`csv.Sniffer` finds; so does this."""
    import csv

    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters="\t;,")
    except csv.Error:
        dialect = csv.excel_tab
    out = []
    for line in text.splitlines():
        try:
            cells = next(csv.reader([line], dialect), []) if line.strip() else []
        except csv.Error:  # e.g. a cell past csv's field limit: plain tab-separated cells
            cells = line.split("\t")
        out.append([_unquote(c) for c in cells])
    return out


def looks_like_decide(text: str) -> bool:
    """Whether the text's first tagged rows are Decide's (``#A``, ``#P``, ``#O`` ...)."""
    for line in text.splitlines()[:20]:
        if not line.strip():
            continue
        first = _rows(line[:200])[0]  # the tag is in the first cell
        tag = first[0].upper() if first else ""
        return tag in TAGS or tag in COMMENTS
    return False


def _number(
    raw: str, file: str, row: int, what: str, low: float | None = None, high: float | None = None
) -> float:
    try:
        value = float(raw.strip().replace(",", "."))
    except ValueError:
        raise ScenarioError(file, f"row {row}, {what}", raw, "must be a number") from None
    if value != value or (low is not None and value < low) or (high is not None and value > high):
        rule = f"must be in [{low:g}, {high:g}]" if low is not None and high is not None else ""
        raise ScenarioError(file, f"row {row}, {what}", raw, rule or "must be a finite number")
    return value


def decide_data(text: str, file: str = "<decide>") -> dict[str, Any]:
    """The scenario document (plain data) of a Decide input text."""
    actors: dict[str, str] = {}
    issues: dict[str, str] = {}
    meanings: dict[str, list[tuple[float, str]]] = {}
    rows: list[tuple[int, str, str, float, float, float]] = []
    title = ""
    lines = text.splitlines()
    for r, cells in enumerate(_rows(text), start=1):
        line = lines[r - 1]
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            continue
        tag = cells[0].upper()
        if tag in ("#O", "#0") and len(cells) > 1 and not title:
            title = cells[1]
        if tag in COMMENTS:
            continue
        need = {"#A": 2, "#P": 2, "#M": 3, "#D": 6}.get(tag)
        if need is None:
            raise ScenarioError(
                file, f"row {r}", cells[0], "must start with #A, #P, #M, #D or a comment tag"
            )
        if len(cells) < need:
            raise ScenarioError(
                file, f"row {r}", line.strip()[:60], f"a {tag} row needs {need} tab-separated cells"
            )
        if tag == "#A":
            actors[cells[1]] = cells[2] if len(cells) > 2 and cells[2] else cells[1]
        elif tag == "#P":
            issues[cells[1]] = cells[2] if len(cells) > 2 and cells[2] else cells[1]
        elif tag == "#M":
            if cells[1] not in issues:
                raise ScenarioError(
                    file, f"row {r}, issue", cells[1], "is not defined by a #P row above"
                )
            pos = _number(cells[2], file, r, "position")
            meanings.setdefault(cells[1], []).append((pos, cells[3] if len(cells) > 3 else ""))
        else:
            if cells[1] not in actors:
                raise ScenarioError(
                    file, f"row {r}, actor", cells[1], "is not defined by an #A row"
                )
            if cells[2] not in issues:
                raise ScenarioError(file, f"row {r}, issue", cells[2], "is not defined by a #P row")
            rows.append(
                (
                    r,
                    cells[1],
                    cells[2],
                    _number(cells[3], file, r, "position"),
                    _number(cells[4], file, r, "salience", 0.0, 1.0),
                    _number(cells[5], file, r, "power", 0.0, 1.0),
                )
            )
    if len(actors) < 2 or not issues or not rows:
        raise ScenarioError(
            file, "", NO_VALUE, "needs at least two #A actors, one #P issue and #D rows"
        )
    scales: dict[str, tuple[float, float, str, str]] = {}
    for issue in issues:
        marks = sorted(meanings.get(issue, []))
        if len(marks) >= 2 and marks[-1][0] > marks[0][0]:
            first, last = marks[0], marks[-1]
            scales[issue] = (
                first[0],
                last[0],
                f"{first[0]:g}: {first[1]}",
                f"{last[0]:g}: {last[1]}",
            )
        else:
            scales[issue] = (0.0, 100.0, "0", "100")
    data: dict[tuple[str, str], tuple[float, float, float]] = {}
    for r, actor, issue, pos, sal, power in rows:
        lo, hi = scales[issue][:2]
        if not lo <= pos <= hi:
            raise ScenarioError(
                file,
                f"row {r}, position",
                pos,
                f"must lie on the issue's #M scale [{lo:g}, {hi:g}]",
            )
        if (actor, issue) in data:
            raise ScenarioError(
                file, f"row {r}", f"{actor} {issue}", "duplicates an earlier #D row"
            )
        data[(actor, issue)] = (pos, sal, power)
    notes = []
    docs = []
    for actor, name in actors.items():
        powers = [data[(actor, i)][2] for i in issues if (actor, i) in data]
        cap = max(powers) if powers else 0.0
        if powers and min(powers) != cap:
            notes.append(
                f"{actor}'s power varies by issue; capability {cap:g}, saliences scaled by "
                "power / capability"
            )
        positions, saliences = {}, {}
        for issue in issues:
            lo, hi = scales[issue][:2]
            if (actor, issue) in data:
                pos, sal, power = data[(actor, issue)]
                positions[issue] = pos
                saliences[issue] = sal * (power / cap if cap > 0 else 1.0)
            else:
                positions[issue] = 0.5 * (lo + hi)
                saliences[issue] = 0.0
                notes.append(f"{actor} has no #D row on {issue}: salience 0 there")
        docs.append(
            {
                "id": actor,
                "name": name,
                "capability": cap,
                "positions": positions,
                "saliences": saliences,
            }
        )
    stem = Path(file).stem or "decide"
    meta: dict[str, Any] = {
        "id": scenario_io_id(stem),
        "title": title or f"Decide input {Path(file).name}",
        "sources": [
            {"title": f"Decide input file {Path(file).name}", "note": "#A/#P/#M/#D format"}
        ],
    }
    if notes:
        meta["description"] = "Imported from Decide's format. " + "; ".join(notes[:40])
    return {
        "meta": meta,
        "issues": [
            {
                "id": issue,
                "name": name[:200],
                "scale": {
                    "low": scales[issue][0],
                    "high": scales[issue][1],
                    "low_label": scales[issue][2].rstrip(": ")[:200],
                    "high_label": scales[issue][3].rstrip(": ")[:200],
                },
            }
            for issue, name in issues.items()
        ],
        "actors": docs,
    }


def scenario_io_id(stem: str) -> str:
    """A scenario id from a file name (letters, digits, ``_.-``)."""
    import re

    s = re.sub(r"[^A-Za-z0-9_.\-]+", "-", stem).strip("-.")
    return (s or "decide")[:64]


def loads_decide(text: str, name: str = "<decide>") -> Scenario:
    """A Scenario from Decide input text."""
    return scenario_io.from_data(decide_data(text, name), name)


def load_decide(path: str | Path) -> Scenario:
    """A Scenario from a Decide input file."""
    p = Path(path)
    if not p.exists():
        raise ScenarioError(str(path), "", NO_VALUE, "no such file")
    return loads_decide(scenario_io.decode(p.read_bytes(), str(path)), str(path))
