"""Views of stored runs: a tidy table for export, and the comparison of two runs.

These work on any command's JSON result: a forecast's ``forecasts`` records become a table with
one row per model and issue; any other result is flattened to one row per scalar leaf
(``path``, ``value``), so nothing a command stored is lost in an export.
"""

from __future__ import annotations

import io
import json
import math
from typing import Any

import pandas as pd

from detente.store.runs import Run, StoreError

EXPORT_FORMATS = ("csv", "json", "parquet")


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """{'a': {'b': [1, 2]}} -> {'a.b[0]': 1, 'a.b[1]': 2}: every scalar leaf by its path."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{i}]"))
    else:
        out[prefix] = value
    return out


def forecast_frame(result: dict[str, Any]) -> pd.DataFrame:
    """A forecast result as one row per model x issue: the point forecast and, when the run drew
    Monte Carlo (``uncertainty``), its summary (draws, median, 50%/90% interval ends p25/p75 and
    p05/p95, mean, sd) and one ``P(ISSUE<=VALUE)`` column per threshold (on its issue's rows)."""
    frame = pd.DataFrame(result["forecasts"])
    mc = result.get("uncertainty") or result.get("montecarlo") or {}
    if not mc or frame.empty:
        return frame
    rows = []
    thresholds: list[str] = []
    for model, entry in mc.items():
        if not isinstance(entry, dict):
            continue
        for issue, s in (entry.get("issues") or {}).items():
            rec = {
                "model": model,
                "issue": issue,
                "draws": entry.get("draws"),
                "median": s.get("median"),
                "p25": (s.get("interval_50") or [None, None])[0],
                "p75": (s.get("interval_50") or [None, None])[1],
                "p05": (s.get("interval_90") or [None, None])[0],
                "p95": (s.get("interval_90") or [None, None])[1],
                "mean": s.get("mean"),
                "sd": s.get("sd"),
            }
            for t in entry.get("thresholds") or []:
                if t.get("issue") == issue:
                    col = f"P({t['threshold']})"
                    rec[col] = t.get("probability")
                    if col not in thresholds:
                        thresholds.append(col)
            rows.append(rec)
    if not rows:
        return frame
    summary = pd.DataFrame(rows)
    summary["draws"] = summary["draws"].astype("Int64")
    return frame.merge(summary, on=["model", "issue"], how="left")


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "str"


def leaves_frame(result: Any) -> pd.DataFrame:
    """Every scalar leaf of a result as rows ``path, type, value``: the value as it was stored
    (an int stays an int: ``seed,int,0``, not ``0.0``), its JSON type in ``type``."""
    leaves = flatten(result)
    return pd.DataFrame(
        {
            "path": list(leaves),
            "type": [_type_name(v) for v in leaves.values()],
            "value": pd.Series(list(leaves.values()), dtype=object),
        }
    )


def run_frame(run: Run, flat: bool = False) -> pd.DataFrame:
    """A run's result as one tidy table: a forecast run's forecasts per model x issue (with its
    Monte Carlo summaries), any other run's (or, with ``flat``, any run's) every scalar leaf."""
    result = run.result
    if not flat and isinstance(result, dict) and isinstance(result.get("forecasts"), list):
        frame = forecast_frame(result)
    else:
        frame = leaves_frame(result)
    frame.insert(0, "run_id", run.id)
    return frame


def export_run(run: Run, fmt: str, flat: bool = False) -> bytes:
    """The bytes of a run exported as csv (tidy table), json (the whole run) or parquet.

    In csv every value is written as stored (ints as ints, booleans as True/False). Parquet needs
    one type per column, so a leaves table keeps numbers in ``value`` (float64; ``type`` says
    which were ints or booleans) and text in ``text``."""
    fmt = fmt.lower()
    if fmt == "json":
        return (json.dumps(run.to_dict(), indent=2) + "\n").encode("utf-8")
    frame = run_frame(run, flat=flat)
    if fmt == "csv":
        # A label such as "=cmd|' /C calc'!A0" would run as a formula in a spreadsheet.
        from detente.safetext import csv_cell

        safe = frame.copy()
        for col in safe.columns:
            if safe[col].dtype == object:
                safe[col] = safe[col].map(csv_cell)
        safe.columns = [csv_cell(str(c)) for c in safe.columns]
        return safe.to_csv(index=False).encode("utf-8")
    if fmt == "parquet":
        if "value" in frame.columns and "type" in frame.columns:
            values = frame.pop("value")
            numeric = frame["type"].isin(["int", "float", "bool"])
            frame["value"] = pd.to_numeric(values.where(numeric), errors="coerce").astype("float64")
            frame["text"] = values.where(frame["type"] == "str").astype("string")
        buf = io.BytesIO()
        frame.to_parquet(buf, index=False)
        return buf.getvalue()
    raise StoreError(f"export format {fmt!r}: use one of {', '.join(EXPORT_FORMATS)}")


def _scalar(v: Any) -> bool:
    return v is None or isinstance(v, str | int | float | bool)


def result_tables(
    obj: Any, title: str = "", skip: tuple[str, ...] = (), depth: int = 0, max_rows: int = 200
) -> list[dict[str, Any]]:
    """Tables for any JSON result: its scalars as one key/value table, each list of records as a
    table, each mapping of records as a table with the key as first column (two levels deep).
    Each table: {title, columns, rows, truncated}. Used by ``runs show`` and the report."""
    out: list[dict[str, Any]] = []
    if isinstance(obj, list) and obj and all(isinstance(r, dict) for r in obj):
        cols: list[str] = []
        for r in obj:
            cols.extend(k for k, v in r.items() if k not in cols and _scalar(v))
        out.append(
            {
                "title": title,
                "columns": cols,
                "rows": [[r.get(c) for c in cols] for r in obj[:max_rows]],
                "truncated": max(0, len(obj) - max_rows),
            }
        )
        return out
    if not isinstance(obj, dict):
        return out
    scalars = [(k, v) for k, v in obj.items() if _scalar(v) and k not in skip]
    if scalars:
        out.append(
            {
                "title": title,
                "columns": ["", "value"],
                "rows": [[k, v] for k, v in scalars],
                "truncated": 0,
            }
        )
    if depth >= 2:
        return out
    for key, value in obj.items():
        if key in skip or _scalar(value):
            continue
        sub = f"{title} \u203a {key}" if title else str(key)
        if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
            # A mapping of records (e.g. policy -> its summary): one row per key, its scalar
            # leaves (nested ones by their dotted path; lists are left to --json) as columns.
            flat = {
                k: {p: x for p, x in flatten(v).items() if "[" not in p} for k, v in value.items()
            }
            cols = []
            for v in flat.values():
                cols.extend(k for k in v if k not in cols)
            out.append(
                {
                    "title": sub,
                    "columns": ["", *cols],
                    "rows": [[k, *(v.get(c) for c in cols)] for k, v in flat.items()],
                    "truncated": 0,
                }
            )
        else:
            out.extend(result_tables(value, sub, depth=depth + 1, max_rows=max_rows))
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def forecast_table(run: Run) -> pd.DataFrame | None:
    """model x issue forecasts of a run that has them, else None."""
    result = run.result
    if not (isinstance(result, dict) and isinstance(result.get("forecasts"), list)):
        return None
    frame = pd.DataFrame(result["forecasts"])
    if frame.empty or not {"model", "issue", "forecast"} <= set(frame.columns):
        return None
    return frame


def compare_runs(a: Run, b: Run, limit: int = 200) -> dict[str, Any]:
    """What differs between two runs: settings, the scenario, and the results.

    ``forecasts``: rows model, issue, a, b, diff (b - a) where both runs have forecasts;
    ``differences``: other result leaves that differ (path, a, b), at most ``limit`` of them.
    """
    settings = {}
    for key in ("command", "scenario_id", "scenario_sha256", "models", "params", "seed", "version"):
        va, vb = getattr(a, key), getattr(b, key)
        settings[key] = {"a": va, "b": vb, "same": va == vb}
    out: dict[str, Any] = {
        "a": a.id,
        "b": b.id,
        "settings": settings,
        "same_scenario": a.scenario_sha256 == b.scenario_sha256,
    }
    out["scenario_changes"] = _scenario_changes(a, b, limit)
    fa, fb = forecast_table(a), forecast_table(b)
    rows: list[dict[str, Any]] = []
    if fa is not None and fb is not None:
        merged = fa[["model", "issue", "forecast"]].merge(
            fb[["model", "issue", "forecast"]],
            on=["model", "issue"],
            how="outer",
            suffixes=("_a", "_b"),
        )
        for rec in merged.to_dict(orient="records"):
            va, vb = _num(rec["forecast_a"]), _num(rec["forecast_b"])
            rows.append(
                {
                    "model": rec["model"],
                    "issue": rec["issue"],
                    "a": va,
                    "b": vb,
                    "diff": None if va is None or vb is None else vb - va,
                }
            )
    out["forecasts"] = rows
    la, lb = flatten(a.result), flatten(b.result)
    diffs = []
    for path in sorted(set(la) | set(lb)):
        if path.startswith("forecasts[") and rows:
            continue  # already compared, by model and issue
        va, vb = la.get(path), lb.get(path)
        if not _equal(va, vb):
            diffs.append({"path": path, "a": va, "b": vb})
    out["n_differences"] = len(diffs)
    out["differences"] = diffs[:limit]
    return out


def _scenario_changes(a: Run, b: Run, limit: int) -> list[dict[str, Any]]:
    if a.scenario_json is None or b.scenario_json is None or a.scenario_sha256 == b.scenario_sha256:
        return []
    sa = flatten(json.loads(a.scenario_json))
    sb = flatten(json.loads(b.scenario_json))
    return [
        {"path": p, "a": sa.get(p), "b": sb.get(p)}
        for p in sorted(set(sa) | set(sb))
        if not _equal(sa.get(p), sb.get(p))
    ][:limit]


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _equal(a: Any, b: Any) -> bool:
    if _is_number(a) and _is_number(b):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
    return a == b
