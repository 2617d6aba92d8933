"""The DEU III data set as backtest cases.

Data: J. Arregui & C. Perarnaud (2021), "A new dataset on legislative decision-making in the
European Union: the DEU III dataset", at https://doi.org/10.34810/data53 (CC BY 4.0). detente
does not ship the file; a user who has it runs ``detente backtest deu PATH``.

Format read here: semicolon-separated text with a header row and one row per controversial issue.
``p<actor>`` / ``s<actor>`` hold each actor's position and salience on 0-100 (actor codes: ``com``
Commission, ``ep`` Parliament, and the member states, e.g. ``de``, ``fr``, ``bu`` or ``bg``), ``rp``
the reference point (status quo), ``out`` the outcome, ``isnr`` the issue number, and ``finact``
/ ``intro`` the dates of the final act and of the proposal. Missing values:

* a blank cell, ``NA``, ``.``, ``-`` or ``#NULL!``, or any number outside 0-100 (the codebook's
  999 and the like) is missing;
* an issue whose outcome is missing is skipped (nothing to score), as is one with fewer than two
  actors with a position;
* an actor without a position on an issue takes no part in it; an actor with a position but no
  salience gets salience 50, the middle of the scale (DEU replications commonly impute it so
  rather than drop a stated position);
* a missing reference point leaves the issue without one (Nash then uses each actor's worst end).

Anything else that is not a number (in a position, salience, ``rp`` or ``out`` column), a row
with the wrong number of cells, a duplicate issue number or a missing ``out`` column is an error
naming the file, the row and column, the value and the rule. A decimal comma is read as a point.

Capabilities (``weights="council"``, the default): the Council's qualified-majority voting
weights in force when the act was adopted (``finact``, else ``intro``; an issue without a
readable date gets the Nice weights, the rule for most of DEU III's period):

* before 1 May 2004: the EU-15 weights of 1995-2004 (rule name "amsterdam"; Germany, France,
  Italy, UK 10; Spain 8; Belgium, Greece, Netherlands, Portugal 5; Austria, Sweden 4; Denmark,
  Ireland, Finland 3; Luxembourg 2), 87 votes in all;
* 1 May 2004 to 31 October 2014: the Nice Treaty weights (Art. 205 TEC as amended by the 2003
  and 2005 Acts of Accession: 29 for the big four down to 3 for Malta; 352 in all with Croatia).
  The six-month transitional weighting of May-October 2004 is approximated by Nice's;
* from 1 November 2014: the Lisbon double majority (Art. 16(4) TEU, Art. 238(3) TFEU: 55% of
  the member states representing 65% of the population). A state's capability is the average of
  its share of the states (1/28) and its share of the EU population (the Council's figures for
  2016, Council Decision 2015/2393), scaled to the sum of the Nice weights so the periods are on
  one footing; from 1 February 2020 the same with the EU-27's figures for 2025. The transitional
  option to ask for a Nice-weights vote (until 31 March 2017) is ignored.

The Commission and the Parliament get the capability of the largest member state in force (29
under Nice): under the ordinary legislative procedure (codecision) each must agree to, or can
block, the act: a veto as strong as any single large state's, but not the whole Council's. Under
the consultation procedure (``proc`` reads CNS or "consultation") the Parliament only gives an
opinion, so its capability there is 0: its position is kept but carries no weight. These are
choices, not findings (Thomson et al. 2006 weigh the institutions in several ways);
``weights="equal"`` gives every actor the same capability, the alternative the literature reports
beside it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from detente.analysis.backtest import Case
from detente.scenario import io as scenario_io
from detente.scenario.errors import NO_VALUE, ScenarioError

NAMES: dict[str, str] = {
    "com": "European Commission",
    "ep": "European Parliament",
    "at": "Austria",
    "be": "Belgium",
    "bg": "Bulgaria",
    "hr": "Croatia",
    "cy": "Cyprus",
    "cz": "Czech Republic",
    "dk": "Denmark",
    "ee": "Estonia",
    "fi": "Finland",
    "fr": "France",
    "de": "Germany",
    "el": "Greece",
    "hu": "Hungary",
    "ie": "Ireland",
    "it": "Italy",
    "lv": "Latvia",
    "lt": "Lithuania",
    "lu": "Luxembourg",
    "mt": "Malta",
    "nl": "Netherlands",
    "pl": "Poland",
    "pt": "Portugal",
    "ro": "Romania",
    "si": "Slovenia",
    "sk": "Slovakia",
    "es": "Spain",
    "se": "Sweden",
    "uk": "United Kingdom",
}
# Codes the DEU files and other sources use for the same actor.
ALIASES: dict[str, str] = {
    "bu": "bg",
    "cr": "hr",
    "gr": "el",
    "gb": "uk",
    "ger": "de",
    "commission": "com",
    "parl": "ep",
    "spa": "es",
    "swe": "se",
}
INSTITUTIONS = ("com", "ep")

AMSTERDAM = {
    "de": 10,
    "fr": 10,
    "it": 10,
    "uk": 10,
    "es": 8,
    "be": 5,
    "el": 5,
    "nl": 5,
    "pt": 5,
    "at": 4,
    "se": 4,
    "dk": 3,
    "ie": 3,
    "fi": 3,
    "lu": 2,
}
NICE = {
    "de": 29,
    "fr": 29,
    "it": 29,
    "uk": 29,
    "es": 27,
    "pl": 27,
    "ro": 14,
    "nl": 13,
    "be": 12,
    "cz": 12,
    "el": 12,
    "hu": 12,
    "pt": 12,
    "at": 10,
    "bg": 10,
    "se": 10,
    "dk": 7,
    "ie": 7,
    "lt": 7,
    "sk": 7,
    "fi": 7,
    "hr": 7,
    "cy": 4,
    "ee": 4,
    "lv": 4,
    "lu": 4,
    "si": 4,
    "mt": 3,
}
# Each member state's share of the EU population (%), as the Council set them for qualified-majority
# votes: for 2016 (EU-28; Council Decision (EU, Euratom) 2015/2393, Annex III of its Rules of
# Procedure, total 508,940,955) and for 2025 (EU-27; Council decision of December 2024, total
# 451,028,881); both as reported by Agence Europe, 9 Dec 2015 and 12 Dec 2024.
POPULATION_SHARE_2016 = {
    "de": 15.93,
    "fr": 13.04,
    "uk": 12.73,
    "it": 12.07,
    "es": 9.12,
    "pl": 7.47,
    "ro": 3.90,
    "nl": 3.37,
    "be": 2.21,
    "el": 2.13,
    "cz": 2.05,
    "pt": 2.04,
    "hu": 1.94,
    "se": 1.92,
    "at": 1.69,
    "bg": 1.42,
    "dk": 1.11,
    "fi": 1.08,
    "sk": 1.06,
    "ie": 0.91,
    "hr": 0.83,
    "lt": 0.57,
    "si": 0.41,
    "lv": 0.39,
    "ee": 0.26,
    "cy": 0.17,
    "lu": 0.11,
    "mt": 0.08,
}
POPULATION_SHARE_2025 = {
    "de": 18.49,
    "fr": 15.17,
    "it": 13.23,
    "es": 10.78,
    "pl": 8.33,
    "ro": 4.23,
    "nl": 4.01,
    "be": 2.62,
    "cz": 2.42,
    "pt": 2.36,
    "se": 2.34,
    "el": 2.31,
    "hu": 2.13,
    "at": 2.02,
    "bg": 1.43,
    "dk": 1.32,
    "fi": 1.25,
    "sk": 1.21,
    "ie": 1.19,
    "hr": 0.86,
    "lt": 0.64,
    "si": 0.47,
    "lv": 0.42,
    "ee": 0.30,
    "cy": 0.21,
    "lu": 0.15,
    "mt": 0.12,
}
NICE_FROM = dt.date(2004, 5, 1)
DOUBLE_MAJORITY_FROM = dt.date(2014, 11, 1)
EU27_FROM = dt.date(2020, 2, 1)  # the United Kingdom left the EU on 31 January 2020
MISSING_TEXT = frozenset({"", "na", "n/a", ".", "-", "nan", "#null!", "missing"})
SCALE = (0.0, 100.0)
MIN_ACTORS = 2


def double_majority(shares: dict[str, float]) -> dict[str, float]:
    """Capability under the double majority: the mean of a state's share of the member states and
    its share of the population, scaled to the Nice total (352) so the periods are comparable."""
    n = len(shares)
    total = sum(shares.values())
    scale = sum(NICE.values())
    return {c: scale * (0.5 / n + 0.5 * p / total) for c, p in shares.items()}


DOUBLE_MAJORITY = double_majority(POPULATION_SHARE_2016)
DOUBLE_MAJORITY_EU27 = double_majority(POPULATION_SHARE_2025)


def council_weights(date: dt.date | None) -> tuple[str, dict[str, float]]:
    """The rule in force on ``date`` and each member state's capability under it."""
    if date is not None and date < NICE_FROM:
        return "amsterdam", {k: float(v) for k, v in AMSTERDAM.items()}
    if date is not None and date >= EU27_FROM:
        return "double-majority-eu27", dict(DOUBLE_MAJORITY_EU27)
    if date is not None and date >= DOUBLE_MAJORITY_FROM:
        return "double-majority", dict(DOUBLE_MAJORITY)
    return "nice", {k: float(v) for k, v in NICE.items()}


@dataclass(frozen=True)
class DeuIssue:
    """One scoreable DEU issue as plain values (what the benchmark's array path reads)."""

    number: str
    proposal: str
    row: int
    actors: tuple[str, ...]
    positions: tuple[float, ...]
    saliences: tuple[float, ...]  # on 0-100, as in the file
    capabilities: tuple[float, ...]
    reference: float | None
    outcome: float
    rule: str
    consultation: bool


@dataclass
class DeuData:
    """The scoreable issues of a DEU file, and what was left out and why.

    ``issues[j]`` is ``cases[j]`` as plain values, with its proposal (``prnr``; issues of one
    proposal form one multi-issue negotiation). ``actor_weights`` holds the per-actor row of the
    public redistribution's layout (its second row, read but not used as capabilities unless
    ``weights="file"``); ``mangled_dates`` says whether ISO-looking dates were read as
    spreadsheet-mangled dd-mm-yy dates.
    """

    path: str
    cases: list[Case]
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (row, reason)
    rules: dict[str, int] = field(default_factory=dict)  # weighting rule -> issues
    weights: str = "council"
    issues: list[DeuIssue] = field(default_factory=list)
    actor_weights: dict[str, float] = field(default_factory=dict)
    mangled_dates: bool = False
    layout: str = "semicolon"

    @property
    def proposals(self) -> dict[str, list[int]]:
        """Proposal -> indices of its issues in ``issues`` (file order)."""
        out: dict[str, list[int]] = {}
        for j, issue in enumerate(self.issues):
            out.setdefault(issue.proposal, []).append(j)
        return out


_DATE_FORMATS = ("%d-%m-%y", "%d-%m-%Y", "%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d", "%d.%m.%Y")


_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
PLAUSIBLE_YEARS = (1995, 2021)  # DEU III's proposals and acts: 1996-2020


def unmangle_date(text: str) -> dt.date | None:
    """A dd-mm-yy date that a spreadsheet read as yy-mm-dd and wrote as ISO (``2023-07-01`` for
    ``23-07-01``, 23 July 2001; ``1930-07-08`` for ``30-07-08``): day = the ISO year's last two
    digits, month as written, year = the ISO day (+2000, or +1900 from 90). None if not such."""
    m = _ISO.match(text.strip())
    if not m:
        return None
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    full = 1900 + day if day >= 90 else 2000 + day
    try:
        return dt.date(full, month, year % 100)
    except ValueError:
        return None


def parse_date(text: str, mangled: bool = False) -> dt.date | None:
    """A date in one of the DEU files' forms (e.g. 21-10-09, 21/10/2009, 2009-10-21), else None.

    ``mangled``: ISO-looking dates are spreadsheet-mangled dd-mm-yy dates (:func:`unmangle_date`).
    """
    text = text.strip()
    if mangled and _ISO.match(text):
        return unmangle_date(text)
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _read_text(path: Path) -> str:
    name = str(path)
    if not path.exists():
        raise ScenarioError(name, "", NO_VALUE, "no such file")
    if path.is_dir():
        raise ScenarioError(name, "", NO_VALUE, "is a directory, not a DEU data file")
    size = path.stat().st_size
    if size > scenario_io.MAX_FILE_BYTES:
        raise ScenarioError(
            name, "", NO_VALUE, f"is {size} bytes; the limit is {scenario_io.MAX_FILE_BYTES}"
        )
    data = path.read_bytes()
    if not data.strip():
        raise ScenarioError(name, "", NO_VALUE, "the file is empty")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Files exported from statistics packages on Windows are often cp1252; names only.
        return data.decode("cp1252", errors="replace")


def _cell(raw: str, file: str, row: int, column: str) -> float | None:
    text = raw.strip()
    if text.lower() in MISSING_TEXT:
        return None
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise ScenarioError(
            file,
            f"row {row}, column {column}",
            raw,
            "must be a number on 0-100, or a missing-value code (blank, NA, 999 or another "
            "number outside 0-100)",
        ) from None
    if value != value or not SCALE[0] <= value <= SCALE[1]:
        return None  # out-of-range codes such as 999 mark a missing value
    return value


def _consultation(proc: str) -> bool:
    text = proc.strip().lower()
    return text.startswith("cns") or "consult" in text


def _slug(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_.\-]+", "-", text.strip()).strip("-.")
    return s[:60] or "x"


WEIGHTINGS = ("council", "equal", "file")


def _mangled(rows: list[list[str]], cols: list[int]) -> bool:
    # A file whose ISO-looking dates include years no DEU act has (1930, 2023) had its dd-mm-yy
    # dates rewritten by a spreadsheet; then every ISO-looking date in it is read that way.
    for cells in rows:
        for j in cols:
            m = _ISO.match(cells[j].strip()) if j < len(cells) else None
            if m and not PLAUSIBLE_YEARS[0] <= int(m.group(1)) <= PLAUSIBLE_YEARS[1]:
                return True
    return False


def load_deu(path: str | Path, weights: str = "council") -> DeuData:
    """Read a DEU III file into backtest cases: one case per issue with a known outcome.

    Two layouts: the original semicolon-separated file, and the public redistribution's
    tab-separated one (``blksv/predictioneers_game``'s ``deu3.csv`` layout: quoted header, a
    second row with one weight per actor in the position columns and no issue number, dates
    mangled by a spreadsheet). ``weights``: ``council`` (default), ``equal``, or ``file`` (the
    second row's per-actor weights as capabilities; only in the redistribution's layout).
    """
    if weights not in WEIGHTINGS:
        raise ScenarioError(str(path), "--weights", weights, "must be 'council', 'equal' or 'file'")
    path = Path(path)
    file = str(path)
    text = _read_text(path)
    first = text.splitlines()[0] if text.splitlines() else ""
    delimiter = "\t" if "\t" in first else ";"
    if delimiter not in first:
        raise ScenarioError(
            file,
            "row 1",
            first[:40],
            "the header must be semicolon- or tab-separated (the DEU III layouts)",
        )
    kind = "tab" if delimiter == "\t" else "semicolon"
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:  # a lone carriage return in a cell, a cell over 128 KiB, ...
        raise ScenarioError(
            file, "", NO_VALUE, f"is not valid {kind}-separated text: {exc}"
        ) from None
    header = [h.strip().lower() for h in rows[0]]
    col = {h: j for j, h in enumerate(header)}
    if "out" not in col:
        raise ScenarioError(file, "row 1", NO_VALUE, "has no 'out' column (the outcome)")
    actors = []  # (code, position column, salience column)
    for h in header:
        if len(h) > 1 and h[0] == "p" and ("s" + h[1:]) in col:
            code = ALIASES.get(h[1:], h[1:])
            actors.append((code, col[h], col["s" + h[1:]], h))
    if len(actors) < MIN_ACTORS:
        raise ScenarioError(
            file,
            "row 1",
            NO_VALUE,
            "needs position/salience column pairs p<actor>;s<actor> for at least two actors",
        )
    if weights == "council":
        for code, _, _, h in actors:
            if code not in INSTITUTIONS and code not in NICE:
                raise ScenarioError(
                    file,
                    f"row 1, column {h}",
                    h,
                    f"actor code {code!r} has no known Council weight; use --weights equal",
                )
    data = DeuData(path=file, cases=[], weights=weights, layout=kind)
    data.mangled_dates = _mangled(rows[1:], [col[c] for c in ("finact", "intro") if c in col])
    ids = [col[c] for c in ("isnr", "prnr", "out") if c in col]
    if len(rows) > 1 and not any(rows[1][j].strip() for j in ids if j < len(rows[1])):
        # The redistribution's second row: a weight per actor under its position column.
        for code, pj, _, h in actors:
            raw = rows[1][pj] if pj < len(rows[1]) else ""
            if raw.strip():
                try:
                    data.actor_weights[code] = float(raw.replace(",", "."))
                except ValueError:
                    raise ScenarioError(
                        file, f"row 2, column {h}", raw, "an actor weight must be a number"
                    ) from None
        rows = [rows[0], [""] * len(header)] + rows[2:]
    if weights == "file" and not data.actor_weights:
        raise ScenarioError(
            file, "row 2", NO_VALUE, "--weights file needs the second row of actor weights"
        )
    seen: dict[str, int] = {}
    for r, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        while len(cells) > len(header) and not cells[-1].strip():
            cells = cells[:-1]  # trailing empty cells (a spreadsheet's trailing ';')
        if len(cells) != len(header):
            raise ScenarioError(
                file, f"row {r}", NO_VALUE, f"has {len(cells)} cells; the header has {len(header)}"
            )
        get = lambda name, _c=cells: _c[col[name]] if name in col else ""  # noqa: E731
        number = get("isnr").strip() or str(r)
        if number in seen:
            raise ScenarioError(
                file,
                f"row {r}, column isnr",
                number,
                f"duplicates row {seen[number]}: issue numbers must be unique",
            )
        seen[number] = r
        outcome = _cell(get("out"), file, r, "out")
        ref = _cell(get("rp"), file, r, "rp") if "rp" in col else None
        placed = []
        for code, pj, sj, h in actors:
            pos = _cell(cells[pj], file, r, h)
            sal = _cell(cells[sj], file, r, "s" + h[1:])
            if pos is not None:
                placed.append((code, pos, 50.0 if sal is None else sal))
        if outcome is None:
            data.skipped.append((r, "outcome missing"))
            continue
        if len(placed) < MIN_ACTORS:
            data.skipped.append((r, f"{len(placed)} actor(s) with a position"))
            continue
        mangled = data.mangled_dates
        date = parse_date(get("finact"), mangled) or parse_date(get("intro"), mangled)
        consultation = _consultation(get("proc"))
        if weights == "file":
            rule = "file"
            caps = {c: data.actor_weights.get(c, 0.0) for c, _, _ in placed}
        elif weights == "council":
            rule, table = council_weights(date)
            big = max(table.values())
            caps = {c: (big if c in INSTITUTIONS else table.get(c, 0.0)) for c, _, _ in placed}
            if consultation and "ep" in caps:
                caps["ep"] = 0.0  # consultation: the Parliament's opinion does not bind
        else:
            rule, caps = "equal", {c: 1.0 for c, _, _ in placed}
        data.rules[rule] = data.rules.get(rule, 0) + 1
        data.issues.append(
            DeuIssue(
                number=number,
                proposal=get("prnr").strip() or number,
                row=r,
                actors=tuple(c for c, _, _ in placed),
                positions=tuple(p for _, p, _ in placed),
                saliences=tuple(v for _, _, v in placed),
                capabilities=tuple(float(caps[c]) for c, _, _ in placed),
                reference=ref,
                outcome=outcome,
                rule=rule,
                consultation=consultation,
            )
        )
        data.cases.append(
            _case(file, r, number, get("prname").strip(), placed, caps, ref, outcome, rule, date)
        )
    return data


def _case(
    file: str,
    row: int,
    number: str,
    proposal: str,
    placed: list[tuple[str, float, float]],
    caps: dict[str, float],
    ref: float | None,
    outcome: float,
    rule: str,
    date: dt.date | None,
) -> Case:
    issue_id = "issue"
    title = f"DEU issue {number}" + (f": {proposal[:200]}" if proposal else "")
    doc: dict[str, Any] = {
        "meta": {
            "id": f"deu-{_slug(number)}",
            "title": title,
            "date": None if date is None else date.isoformat(),
            "sources": [
                {
                    "title": "DEU III (Arregui & Perarnaud 2021), CC BY 4.0",
                    "url": "https://doi.org/10.34810/data53",
                    "note": f"{file}, row {row}; capabilities: {rule}",
                }
            ],
        },
        "issues": [
            {"id": issue_id, "name": f"DEU issue {number}", "scale": {"low": 0, "high": 100}}
            | ({"reference": ref} if ref is not None else {})
        ],
        "actors": [
            {
                "id": code,
                "name": NAMES.get(code, code.upper()),
                "capability": caps[code],
                "positions": {issue_id: pos},
                "saliences": {issue_id: sal / 100.0},
            }
            for code, pos, sal in placed
        ],
        "outcomes": {issue_id: {"value": outcome, "source": f"DEU III 'out', row {row}"}},
    }
    doc["meta"] = {k: v for k, v in doc["meta"].items() if v is not None}
    scenario = scenario_io.from_data(doc, f"{file}, row {row}")
    return Case(id=doc["meta"]["id"], title=title, scenario=scenario, origin=f"{file}, row {row}")
