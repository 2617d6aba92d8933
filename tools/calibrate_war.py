"""Fit the war model's structural parameters on the COW wars before 1946 and ship the draws.

Usage: ``python tools/calibrate_war.py [--data ../shared/data/war] [--candidates N]`` (``make
calibrate``). Writes src/detente/war/data/calibration.json (the accepted draws with their
provenance), then the hindcast of ukraine-2025 from 24 February 2022 and the backtest on the wars
from 1946 on, into the same file's ``checks`` entry, so that every figure the docs quote is
reproducible from this one command.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> int:
    from detente.war.baserates import find_data_dir
    from detente.war.calibration import calibrate

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None, help="folder of the COW files (../shared/data/war)")
    ap.add_argument("--candidates", type=int, default=40000)
    ap.add_argument("--accept", type=int, default=200)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument(
        "--out", default=str(ROOT / "src/detente/war/data/calibration.json"), help="output file"
    )
    args = ap.parse_args()
    data = find_data_dir(args.data)
    if data is None:
        print("calibrate: ../shared/data/war not found; pass --data", file=sys.stderr)
        return 2
    cal = calibrate(
        data, candidates=args.candidates, accept=args.accept, reps=args.reps, seed=args.seed
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(cal, indent=1) + "\n")
    print(f"wrote {out}: {len(cal['draws'])} draws of {cal['candidates']} ({cal['runtime_s']} s)")
    from detente.war import calibration

    calibration._CACHE.clear()
    calibration._CACHE["cal"] = cal
    try:
        from detente.war.backtest import backtest, hindcast

        cal["checks"] = {"backtest": backtest(data).to_dict(), "hindcast": hindcast(data_dir=data)}
        out.write_text(json.dumps(cal, indent=1) + "\n")
        print(json.dumps(cal["checks"], indent=1))
    except ImportError as exc:  # pragma: no cover
        print(f"checks skipped: {exc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
