"""Inter-state conflict episodes of the UCDP/PRIO Armed Conflict Dataset, for a second check of
the war model's durations (issue 11, item 3).

Data: UCDP/PRIO Armed Conflict Dataset (Gleditsch et al. 2002; Davies, Pettersson & Öberg 2023),
in the one-row-per-state form that ``ucdp_acd.csv`` has (peacesciencer's ``ucdp_acd``: a
conflict-year whose side lists several states is split over several rows; comma-separated lists in
a cell are read as well). Capabilities: COW National Material Capabilities (CINC; Singer, Bremer &
Stuckey 1972).

An *episode* is a run of active years of one conflict: the rows sharing ``conflict_id`` and
``start_date2`` (the date of the episode's first battle death). It lasts from ``start_date2`` to
the ``ep_end_date`` of its year with ``ep_end = 1``; an episode with no such year is still going
at the data's end (right-censored: kept and flagged, its duration counted to 31 December of its
last year). An episode *reached war intensity* when some year has ``intensity_level`` 2 (at least
1,000 battle deaths), the threshold of the COW wars the model is calibrated on; the others are
minor. Side A's states are every ``gwno_a`` and ``gwno_a_2nd`` of the episode's rows, side B's
every ``gwno_b`` and ``gwno_b_2nd`` (as COW sums a war side's participants, the states that join
later count too); each side's capability is the sum of its states' CINC in the episode's start
year, or in the last NMC year for episodes that start after NMC ends. A side none of whose states
has a CINC that year leaves the episode out (counted). UCDP does not say who attacked: side A
(usually the state that UCDP lists first) stands in for the attacker, which the duration check
can afford -- durations depend on the capability ratio, and ``|ln ratio|`` does not care which
side is which.

Gleditsch-Ward (GW) state codes equal COW's for most states; :data:`GW_TO_COW` lists the
differences that matter here. ``start_prec2`` 5 is the lowest precision of a start date in the
file, and most such dates (483 of 511 rows) are a 31 December, a placeholder for "some day that
year": those episodes' durations are rough (several war-intensity episodes last "one day").
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from detente.scenario.errors import DetenteError

ACD_FILE = "ucdp_acd.csv"
NMC_FILE = "cow_nmc.csv"
COW_FILE = "Inter-StateWarData_v4.0.csv"
DAYS_PER_MONTH = 30.44
ROUGH_PREC = 5  # start_prec2 at or above this: the start date is rough (see module doc)

# (GW code, from year, COW code, why): GW codes that COW numbers differently from that year on.
# Checked against the inter-state rows: only 678 (Yemen 2024) occurs with a different code; 751
# (Hyderabad 1948) has no COW code at all, so its episode is left out. The others are listed
# because they are the usual traps (Gleditsch & Ward 1999, table 1; COW State System v2016).
GW_TO_COW: tuple[tuple[int, int, int, str], ...] = (
    (678, 1991, 679, "Yemen: GW 678 goes on as unified Yemen; COW codes it 679 from 1990"),
    (260, 1991, 255, "Germany: GW 260 goes on as unified Germany; COW codes it 255 from 1990"),
    (340, 2006, 345, "Serbia: GW 340 from 2006; COW keeps 345 (Yugoslavia, then Serbia)"),
)
REQUIRED = (
    "conflict_id",
    "year",
    "gwno_a",
    "gwno_b",
    "intensity_level",
    "type_of_conflict",
    "start_date2",
    "ep_end",
    "ep_end_date",
)


def cow_code(gw: int, year: int) -> int:
    """The COW state code of GW state ``gw`` in ``year`` (see :data:`GW_TO_COW`)."""
    for code, since, cow, _ in GW_TO_COW:
        if gw == code and year >= since:
            return cow
    return gw


def _codes(cell: Any) -> list[int]:
    """State codes in a cell: empty, a number, or a comma-separated list of numbers."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return []
    if isinstance(cell, (int, float, np.integer, np.floating)):
        return [int(cell)]
    return [int(float(x)) for x in str(cell).replace(";", ",").split(",") if x.strip()]


def _is_interstate(value: Any) -> bool:
    return str(value).strip().lower() in ("interstate", "2", "2.0")


def load_cinc(path: str | os.PathLike[str]) -> dict[tuple[int, int], float]:
    """CINC by (COW code, year) from the NMC file (missing values, coded < 0, left out)."""
    import pandas as pd

    nmc = pd.read_csv(path)
    return {
        (int(c), int(y)): float(v)
        for c, y, v in zip(
            nmc["ccode"].to_numpy(), nmc["year"].to_numpy(), nmc["cinc"].to_numpy(), strict=True
        )
        if v >= 0
    }


def load_episodes(data_dir: str | os.PathLike[str]) -> Any:
    """The inter-state episodes of ``ucdp_acd.csv`` in ``data_dir``, with CINC per side from
    ``cow_nmc.csv`` (see module doc). A pandas DataFrame, one row per episode, columns:
    ``conflict_id``, ``start``, ``end`` (ISO dates; ``end`` the censoring date when censored),
    ``start_year``, ``start_prec``, ``months``, ``censored``, ``war`` (reached intensity 2),
    ``side_a``, ``side_b`` (GW codes, comma-separated), ``cow_a``, ``cow_b`` (their COW codes),
    ``cinc_year``, ``cinc_a``, ``cinc_b`` (NaN where a side has no CINC), ``no_cinc`` (codes
    without a CINC that year) and ``has_cinc``."""
    import pandas as pd

    path = Path(data_dir)
    acd, nmc = path / ACD_FILE, path / NMC_FILE
    for f in (acd, nmc):
        if not f.is_file():
            raise DetenteError(f"--data {path}: missing {f.name}")
    d = pd.read_csv(acd, dtype={"gwno_a": str, "gwno_a_2nd": str, "gwno_b": str, "gwno_b_2nd": str})
    missing = [c for c in REQUIRED if c not in d.columns]
    if missing:
        raise DetenteError(f"{acd}: missing column(s) {', '.join(missing)}")
    d = d[d["type_of_conflict"].map(_is_interstate)]
    cinc = load_cinc(nmc)
    last_nmc = max(y for _, y in cinc)
    start_all = pd.to_datetime(d["start_date2"], errors="coerce")
    bad = d.loc[start_all.isna(), "start_date2"]
    if len(bad):
        raise DetenteError(
            f"{acd}: field start_date2 = {bad.iloc[0]!r} is not a date (YYYY-MM-DD expected)"
        )
    rows = []
    for (cid, start_text), g in d.groupby(["conflict_id", "start_date2"], sort=True):
        start = pd.Timestamp(str(start_text))
        ended = g[pd.to_numeric(g["ep_end"], errors="coerce") == 1]
        end_dates = pd.to_datetime(ended["ep_end_date"], errors="coerce").dropna()
        censored = len(end_dates) == 0
        end = (
            pd.Timestamp(year=int(g["year"].max()), month=12, day=31)
            if censored
            else end_dates.max()
        )
        side: dict[str, list[int]] = {"a": [], "b": []}
        for s in ("a", "b"):
            for col in (f"gwno_{s}", f"gwno_{s}_2nd"):
                if col in g.columns:
                    for cell in g[col]:
                        side[s].extend(_codes(cell))
        a, b = sorted(set(side["a"])), sorted(set(side["b"]) - set(side["a"]))
        year = int(start.year)
        cyear = min(year, last_nmc)
        caps, no_cinc, cow = {}, [], {}
        for s, states in (("a", a), ("b", b)):
            cow[s] = [cow_code(c, year) for c in states]
            vals = [cinc.get((c, cyear)) for c in cow[s]]
            no_cinc += [c for c, v in zip(states, vals, strict=True) if v is None]
            got = [v for v in vals if v is not None]
            caps[s] = float(sum(got)) if got and sum(got) > 0 else np.nan
        prec = pd.to_numeric(g.get("start_prec2", pd.Series([np.nan])), errors="coerce").max()
        rows.append(
            {
                "conflict_id": int(str(cid)),
                "start": start.date().isoformat(),
                "end": pd.Timestamp(end).date().isoformat(),
                "start_year": year,
                "start_prec": float(prec),
                "months": max((pd.Timestamp(end) - start).days, 1) / DAYS_PER_MONTH,
                "censored": bool(censored),
                "war": bool((pd.to_numeric(g["intensity_level"], errors="coerce") == 2).any()),
                "side_a": ",".join(map(str, a)),
                "side_b": ",".join(map(str, b)),
                "cow_a": ",".join(map(str, cow["a"])),
                "cow_b": ",".join(map(str, cow["b"])),
                "cinc_year": cyear,
                "cinc_a": caps["a"],
                "cinc_b": caps["b"],
                "no_cinc": ",".join(map(str, no_cinc)),
            }
        )
    out = pd.DataFrame(rows)
    if len(out):
        out["has_cinc"] = out["cinc_a"].notna() & out["cinc_b"].notna()
    return out


def as_wars(episodes: Any) -> Any:
    """Episodes (rows of :func:`load_episodes` with CINC for both sides) as
    :class:`detente.war.calibration.Wars`, side A in the attacker's place (see module doc); their
    outcome is unknown here ("other")."""
    from detente.war.calibration import Wars

    return Wars(
        num=episodes["conflict_id"].to_numpy(),
        name=tuple(
            f"UCDP {c} from {s}"
            for c, s in zip(episodes["conflict_id"], episodes["start"], strict=True)
        ),
        start_year=episodes["start_year"].to_numpy(),
        months=episodes["months"].to_numpy(dtype=float),
        cinc_A=episodes["cinc_a"].to_numpy(dtype=float),
        cinc_D=episodes["cinc_b"].to_numpy(dtype=float),
        outcome=("other",) * len(episodes),
    )


def cow_overlap(
    episodes: Any, data_dir: str | os.PathLike[str], from_year: int
) -> list[str | None]:
    """Per episode: the name of a COW inter-state war that began in ``from_year`` or later and
    that it overlaps (dates intersect, and a state of each UCDP side fought on opposite COW
    sides), else None."""
    import pandas as pd

    from detente.war.baserates import _date

    d = pd.read_csv(Path(data_dir) / COW_FILE)
    start = _date(d["StartYear1"], d["StartMonth1"], d["StartDay1"])
    end1 = _date(d["EndYear1"], d["EndMonth1"], d["EndDay1"])
    end2 = _date(d["EndYear2"], d["EndMonth2"], d["EndDay2"])
    d = d.assign(start=start, end=pd.concat([end1, end2], axis=1).max(axis=1))
    wars = []
    for _, g in d.groupby("WarNum"):
        s, e = g["start"].min(), g["end"].max()
        if pd.isna(s) or pd.isna(e) or s.year < from_year:
            continue
        sides = {k: set(g.loc[g["Side"] == k, "ccode"].astype(int)) for k in (1, 2)}
        wars.append((str(g["WarName"].iloc[0]), s, e, sides[1], sides[2]))
    out: list[str | None] = []
    for row in episodes.itertuples():
        a = {int(x) for x in str(row.cow_a).split(",") if x}
        b = {int(x) for x in str(row.cow_b).split(",") if x}
        s, e = pd.Timestamp(row.start), pd.Timestamp(row.end)
        match = None
        for name, ws, we, s1, s2 in wars:
            if s <= we and ws <= e and ((a & s1 and b & s2) or (a & s2 and b & s1)):
                match = name
                break
        out.append(match)
    return out
