"""Start-up as a user meets it: whole processes, medians of repeats, paired with KTAB's smpc.

Rows (seconds, median of ``REPEATS`` runs after one warm-up run; ``ratio`` > 1 is better):

- ``import detente``, ``detente --help`` against the 0.3 s aims (ratio = aim / time);
- ``detente forecast FILE --model smp`` on KTAB's SOE-Pol-Comp (13 actors), dummyData_6Dim (27
  actors x 6 issues), dummyData-a040 and dummyData-a080 as whole processes against smpc on the
  same file (ratio = smpc / detente), and the SMP compute alone (the model call in this
  process) beside it, so that start-up and compute can be told apart.

smpc: when ``$SMPC`` names an smpc binary built from KTAB's source (or ``smpc`` is on the PATH),
each smpc run is paired with a detente run in the same loop (alternating, same load); otherwise
the rows use smpc's recorded times on a 2-core machine (``shared/reference/oracles.md`` section 2:
0.5 s, 3.3 s, 6.9 s, 61 s) and say so. The runs store nothing (DETENTE_STORE=off) and write bytecode
caches as an installed package has them.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

KTAB = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "bargaining" / "ktab"
REPEATS = int(os.environ.get("BENCH_REPEATS", "5"))
RECORDED_SMPC = {
    "SOE-Pol-Comp.csv": 0.5,
    "dummyData_6Dim.csv": 3.3,
    "dummyData-a040.csv": 6.9,
    "dummyData-a080.csv": 61.0,
}
AIM = 0.3  # seconds: import detente, detente --help
AIM_FORECAST = 0.5  # seconds: detente forecast SOE-Pol-Comp --model smp


def _env() -> dict[str, str]:
    env = dict(os.environ, DETENTE_STORE="off")
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package has its .pyc files
    src = Path(__file__).resolve().parents[1] / "src"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(src), env.get("PYTHONPATH", "")) if p)
    return env


CPU: list[float] = []  # CPU seconds (user + sys) of each child run, beside its wall time


def _wall(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return wall


def _median(cmd: list[str], env: dict[str, str]) -> float:
    _wall(cmd, env)  # warm-up: bytecode, numba's cache, the OS file cache
    CPU.clear()
    return statistics.median(_wall(cmd, env) for _ in range(REPEATS))


def _cpu_note() -> str:
    # On a loaded machine wall time waits for the CPU; the CPU time is what an idle one needs.
    return f"; CPU {statistics.median(CPU):.2f} s" if CPU else ""


def _smpc() -> str | None:
    return os.environ.get("SMPC") or shutil.which("smpc")


def _compute(path: Path) -> float:
    """The SMP call alone (best of 3, after a warm-up), in this process."""
    from detente.bargaining.arrays import to_arrays
    from detente.bargaining.smp import smp
    from detente.scenario.ktab import load_ktab_csv

    inp = to_arrays(load_ktab_csv(path))
    smp(inp)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        smp(inp)
        best = min(best, time.perf_counter() - t0)
    return best


def run() -> list[dict]:
    env = _env()
    py = [sys.executable]
    cli = [*py, "-m", "detente.cli.main"]
    rows: list[dict] = []
    t_import = _median([*py, "-c", "import detente"], env)
    rows.append(
        {
            "name": f"start: import detente (whole process, median of {REPEATS}{_cpu_note()}) "
            f"vs {AIM} s aim",
            "value": t_import,
            "unit": "s",
            "baseline": AIM,
            "ratio": AIM / t_import,
        }
    )
    t_help = _median([*cli, "--help"], env)
    rows.append(
        {
            "name": f"start: detente --help (whole process, median of {REPEATS}{_cpu_note()}) "
            f"vs {AIM} s aim",
            "value": t_help,
            "unit": "s",
            "baseline": AIM,
            "ratio": AIM / t_help,
        }
    )
    smpc = _smpc()
    for fname, recorded in RECORDED_SMPC.items():
        path = KTAB / fname
        if not path.exists():
            continue
        cmd = [*cli, "forecast", str(path), "--model", "smp"]
        if smpc:
            # Paired: detente and smpc alternate, so both see the same load.
            _wall(cmd, env)
            ours, theirs, cpu = [], [], []
            for _ in range(REPEATS if recorded < 10 else 1):
                ours.append(_wall(cmd, env))
                cpu.append(CPU[-1])
                theirs.append(_wall([smpc, "--csv", str(path)], env, cwd=Path("/tmp")))
            value, base = statistics.median(ours), statistics.median(theirs)
            CPU[:] = cpu
            how = "smpc built from source, paired runs"
        else:
            value = _median(cmd, env)
            base = recorded
            how = "smpc's recorded time (oracles.md; no smpc binary here)"
        rows.append(
            {
                "name": f"forecast {fname} --model smp, whole process (median of {REPEATS}"
                f"{_cpu_note()}) vs smpc ({how})",
                "value": value,
                "unit": "s",
                "baseline": base,
                "ratio": base / value,
            }
        )
        compute = _compute(path)
        rows.append(
            {
                "name": f"  {fname}: SMP compute alone (in process) vs the whole process above",
                "value": compute,
                "unit": "s",
                "baseline": value,
                "ratio": value / compute,
            }
        )
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']}: {row['value']:.3f} s (baseline {row['baseline']:.3f})")
