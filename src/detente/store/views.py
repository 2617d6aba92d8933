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


def run_frame(run: Run) -> pd.DataFrame:
    """A run's result as one tidy table (forecasts per model x issue, else path/value rows)."""
    result = run.result
    if isinstance(result, dict) and isinstance(result.get("forecasts"), list):
        frame = pd.DataFrame(result["forecasts"])
    else:
        leaves = flatten(result)
        frame = pd.DataFrame(
            {"path": list(leaves), "value": [_text_or_number(v) for v in leaves.values()]}
        )
    frame.insert(0, "run_id", run.id)
    return frame


def _text_or_number(value: Any) -> Any:
    # One column must hold one type for parquet: numbers as float, the rest as text.
    if isinstance(value, bool) or value is None:
        return None if value is None else float(value)
    if isinstance(value, int | float):
        return float(value)
    return value


def export_run(run: Run, fmt: str) -> bytes:
    """The bytes of a run exported as csv (tidy table), json (the whole run) or parquet."""
    fmt = fmt.lower()
    if fmt == "json":
        return (json.dumps(run.to_json(), indent=2) + "\n").encode("utf-8")
    frame = run_frame(run)
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
        if "value" in frame.columns and frame["value"].map(type).nunique() > 1:
            # Mixed text and numbers: keep both, in two typed columns.
            values = frame.pop("value")
            frame["value"] = pd.to_numeric(values.where(values.map(_is_number)), errors="coerce")
            frame["text"] = values.where(~values.map(_is_number)).astype("string")
        buf = io.BytesIO()
        frame.to_parquet(buf, index=False)
        return buf.getvalue()
    raise StoreError(f"export format {fmt!r}: use one of {', '.join(EXPORT_FORMATS)}")


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
