"""Base rates of war duration, war termination and sanctions success, re-derived from the data.

Reads three public data sets (the files in ``shared/data/war``):

- Correlates of War, Inter-State War Data v4.0 (Sarkees & Wayman 2010): one row per participant;
  a war lasts from its earliest participant start to its latest participant end (second periods
  of participation included).
- UCDP Conflict Termination dataset, dyadic v2.0-2015 (Kreutz 2010): one row per dyad-year; an
  inter-state (TypeOfConflict 2) episode has ended where Dyadterm = 1, with Outcome 1 peace
  agreement, 2 ceasefire, 3/4 victory (side A/B), 5 low activity, 6 actor ceases to exist.
- Global Sanctions Data Base v3 (Felbermayr et al. 2020; Syropoulos et al. 2024): one row per
  case; the ``success`` column lists one assessment per objective.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from detente.scenario.errors import DetenteError

COW_FILE = "Inter-StateWarData_v4.0.csv"
UCDP_FILE = "ucdp-term-dyadic-2015.csv"
GSDB_FILE = "GSDB_V3.csv"

UCDP_OUTCOMES = {
    1: "peace agreement",
    2: "ceasefire",
    3: "victory",
    4: "victory",
    5: "low activity",
    6: "actor ceased to exist",
}


@dataclass(frozen=True)
class WarDurations:
    """COW inter-state wars: durations in days and how they ended."""

    wars: int
    first_year: int
    last_year: int
    median_days: float
    q25_days: float
    q75_days: float
    share_within_year: float
    longer_than_3_5_years: int
    with_winner: int
    durations_days: tuple[int, ...]


def _date(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Series:
    # COW codes unknown parts as -9 and "not applicable" as -8: such dates are missing.
    frame = pd.DataFrame(
        {
            "year": year.where(year > 0),
            "month": month.where(month > 0),
            "day": day.where(day > 0),
        }
    )
    return pd.to_datetime(frame, errors="coerce")


def cow_durations(path: str | os.PathLike[str]) -> WarDurations:
    """Durations and outcomes of the COW inter-state wars.

    Quartiles use the (n + 1) p rule (numpy's 'weibull' method, as in SPSS and Stata), the usual
    definition in the duration literature.
    """
    d = pd.read_csv(path)
    start = _date(d["StartYear1"], d["StartMonth1"], d["StartDay1"])
    end1 = _date(d["EndYear1"], d["EndMonth1"], d["EndDay1"])
    end2 = _date(d["EndYear2"], d["EndMonth2"], d["EndDay2"])
    d = d.assign(start=start, end=pd.concat([end1, end2], axis=1).max(axis=1))
    wars = d.groupby("WarNum").agg(start=("start", "min"), end=("end", "max"))
    days = (wars["end"] - wars["start"]).dt.days.to_numpy()
    # Outcome 1 = the participant won: a war "ends with a winner" if any participant won.
    winner = d.groupby("WarNum")["Outcome"].apply(lambda s: bool((s == 1).any()))
    q25, med, q75 = np.percentile(days, [25, 50, 75], method="weibull")
    return WarDurations(
        wars=len(wars),
        first_year=int(wars["start"].dt.year.min()),
        last_year=int(wars["end"].dt.year.max()),
        median_days=float(med),
        q25_days=float(q25),
        q75_days=float(q75),
        share_within_year=float(np.mean(days <= 365)),
        longer_than_3_5_years=int(np.sum(days > 3.5 * 365.25)),
        with_winner=int(winner.sum()),
        durations_days=tuple(int(x) for x in days),
    )


def ucdp_terminations(path: str | os.PathLike[str]) -> dict[str, Any]:
    """How the ended inter-state episodes of the UCDP termination data ended (shares)."""
    d = pd.read_csv(path, dtype={"Outcome": str})
    ended = d[(d["TypeOfConflict"] == 2) & (d["Dyadterm"] == 1)]
    # One row per ended episode: the episode's last year carries its outcome.
    ended = ended.sort_values("Year").groupby("DyadEp").tail(1)
    codes = pd.to_numeric(ended["Outcome"], errors="coerce")
    labels = codes.map(UCDP_OUTCOMES).dropna()
    counts = labels.value_counts()
    n = int(len(labels))
    shares = {k: float(counts.get(k, 0) / n) for k in dict.fromkeys(UCDP_OUTCOMES.values())}
    return {"episodes": n, "shares": shares}


def gsdb_success(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Share of concluded sanction objectives rated a total (or partial) success, and the state
    of the cases against Russia since 2014."""
    d = pd.read_csv(path)
    assessments = d["success"].dropna().astype(str).str.split(",").explode().str.strip()
    concluded = assessments[assessments != "ongoing"]
    russia = d[d["sanctioned_state"].astype(str).str.contains("Russia") & (d["begin"] >= 2014)]
    russia_assessments = russia["success"].astype(str).str.split(",").explode().str.strip()
    return {
        "cases": int(len(d)),
        "first_year": int(d["begin"].min()),
        "last_year": int(d["end"].max()),
        "objectives_concluded": int(len(concluded)),
        "total_success": float(np.mean(concluded == "success_total")),
        "total_or_partial": float(np.mean(concluded.isin(["success_total", "success_part"]))),
        "russia_cases_since_2014": int(len(russia)),
        "russia_all_ongoing": bool(len(russia) > 0 and (russia_assessments == "ongoing").all()),
    }


def find_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The war data folder: ``explicit`` (an error if it lacks the files), else
    ``../shared/data/war`` (or ``shared/data/war``) from the current directory or the repository,
    else None."""
    if explicit is not None:
        path = Path(explicit)
        missing = [f for f in (COW_FILE, UCDP_FILE, GSDB_FILE) if not (path / f).is_file()]
        if missing:
            raise DetenteError(f"--data {path}: missing {', '.join(missing)}")
        return path
    repo = Path(__file__).resolve().parents[3]
    for base in (Path.cwd(), repo):
        for rel in ("../shared/data/war", "shared/data/war"):
            cand = (base / rel).resolve()
            if (cand / COW_FILE).is_file():
                return cand
    return None


def base_rates(data_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """All three reference classes, from the files in ``data_dir`` (whichever are present)."""
    path = Path(data_dir)
    out: dict[str, Any] = {"data": str(path)}
    if (path / COW_FILE).is_file():
        cow = asdict(cow_durations(path / COW_FILE))
        cow.pop("durations_days")
        out["cow"] = cow
    if (path / UCDP_FILE).is_file():
        out["ucdp"] = ucdp_terminations(path / UCDP_FILE)
    if (path / GSDB_FILE).is_file():
        out["gsdb"] = gsdb_success(path / GSDB_FILE)
    return out
