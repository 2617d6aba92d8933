"""``make bench`` (``python -m benchmarks [NAME ...] [--json PATH]``): every benchmark, one table.

Each ``benchmarks/bench_*.py`` module defines ``run() -> list[dict]`` with rows ``{name, value,
unit, baseline, ratio}``: a figure, its baseline measured in the same run (a loop over draws, the
previous implementation, a published time) and their ratio (the speed-up, > 1 is better). The
harness imports every module (or only those named on the command line, e.g. ``smp analysis``),
runs it, and prints the rows in one rich table with each module's wall time; a module that fails
is reported in the table (its error on one line) and the others still run. ``--json PATH`` also
writes the rows as JSON.
"""

from __future__ import annotations

import importlib
import json
import math
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
REQUIRED = ("name", "value", "unit", "baseline", "ratio")


def modules(selected: list[str] | None = None) -> list[str]:
    """The benchmark modules' names (``bench_smp`` ...), sorted; only ``selected`` when given
    (with or without the ``bench_`` prefix)."""
    names = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if selected:
        want = {s if s.startswith("bench_") else f"bench_{s}" for s in selected}
        unknown = sorted(want - set(names))
        if unknown:
            raise SystemExit(
                f"benchmarks: no module {', '.join(unknown)}; there are: {', '.join(names)}"
            )
        names = [n for n in names if n in want]
    return names


def run_module(name: str) -> tuple[list[dict[str, Any]], float, str | None]:
    """(rows, seconds, error): the module's rows, checked for the five keys."""
    t0 = time.perf_counter()
    try:
        mod = importlib.import_module(f"benchmarks.{name}")
        rows = list(mod.run())
        for row in rows:
            missing = [k for k in REQUIRED if k not in row]
            if missing:
                raise ValueError(f"a row lacks {', '.join(missing)}: {row!r}")
        return rows, time.perf_counter() - t0, None
    except Exception as exc:  # one failing benchmark must not hide the others
        last = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        where = f" ({Path(last.filename).name}:{last.lineno})" if last else ""
        return [], time.perf_counter() - t0, f"{type(exc).__name__}: {exc}{where}"


def _fmt(x: Any) -> str:
    if not isinstance(x, int | float) or isinstance(x, bool):
        return str(x)
    if not math.isfinite(x):
        return str(x)
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:.3g}" if abs(x) < 100 else f"{x:.0f}"
    return f"{x:.3g}"


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    out_path = None
    if "--json" in args:
        i = args.index("--json")
        if i + 1 >= len(args):
            raise SystemExit("benchmarks: --json needs a PATH")
        out_path = Path(args[i + 1])
        del args[i : i + 2]
    err = Console(stderr=True)
    table = Table(
        title="detente benchmarks (each figure beside its baseline, measured in this run)",
        title_justify="left",
    )
    table.add_column("module")
    table.add_column("benchmark")
    table.add_column("value", justify="right")
    table.add_column("baseline", justify="right")
    table.add_column("unit")
    table.add_column("ratio", justify="right")
    results: dict[str, Any] = {}
    failed = 0
    for name in modules(args or None):
        with err.status(f"running {name} ..."):
            rows, seconds, error = run_module(name)
        short = name.removeprefix("bench_")
        results[name] = {"seconds": seconds, "error": error, "rows": rows}
        if error:
            failed += 1
            table.add_row(short, f"[red]failed: {error}[/red]", "", "", "", "")
        for row in rows:
            table.add_row(
                short,
                str(row["name"]),
                _fmt(row["value"]),
                _fmt(row["baseline"]),
                str(row["unit"]),
                f"{_fmt(row['ratio'])}x",
            )
        table.add_section()
        err.print(f"{name}: {len(rows)} rows in {seconds:.1f} s")
    table.caption = (
        "ratio: the speed-up over the baseline (> 1: faster), or the figure's "
        "ratio to it where a row's name says so"
    )
    Console().print(table)
    if out_path is not None:
        out_path.write_text(json.dumps(results, indent=2, default=float))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
