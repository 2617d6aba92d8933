"""What a request will cost, estimated before it starts, in one place.

Every command that can be asked for unbounded work (``forecast --draws``, ``whatif``/``report
--draws``, ``--param smp.max_turns``, ``war --paths x --months``, ``sweep`` grids, ``sensitivity
--n/--paths``, scenarios of thousands of actors) calls :func:`check` with a :class:`Cost` from one
of the ``*_cost`` functions here, before any work. Over a limit it raises :class:`BudgetError`,
one line naming the estimate, the limit and the option that raises it::

    forecast --draws 100000000 (eum, smp): needs about 36 GB of memory, over the limit of 8 GB
    (--max-memory SIZE raises it)

Limits: ``--max-memory`` (default: half of this machine's memory, or $DETENTE_MAX_MEMORY) and
``--max-time`` (default one hour, or $DETENTE_MAX_TIME). Work under the limits runs in chunks
(Monte Carlo, war paths) with a progress bar and time remaining.

The estimates are formulas in the sizes (draws, actors N, issues K, rounds T, paths, months) whose
constants were measured on a 2-core VM (``python tools/stress.py --calibrate`` prints them against
measured runs); they aim to be within a factor of 3, on the high side. A refusal costs nothing, so
the estimate is the upper bound a user can read and override.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from detente.scenario.errors import DetenteError

MAX_MEMORY_ENV = "DETENTE_MAX_MEMORY"
MAX_TIME_ENV = "DETENTE_MAX_TIME"
DEFAULT_MAX_SECONDS = 3600.0
_FLOAT = 8  # bytes

# Seconds of work, measured here on a 2-core VM (single runs of 50-300 random actors, K=3, and
# Monte Carlo batches of 400 draws of ukraine-2025): per (draw x round), an overhead ``c0`` plus
# ``c1`` x actors^p x issues^q. EUM and SMP grow as N^3 (every pair, every third party), the
# exchange model as N^4 K^2 (every pair of trades), one-shot models as N K.
_RATES: dict[str, tuple[float, float, int, int]] = {
    # model: (c0, c1, p, q)
    "median": (1e-6, 2e-8, 1, 1),
    "compromise": (1e-6, 2e-8, 1, 1),
    "nash": (2e-6, 4e-8, 1, 1),
    "eum": (1.3e-4, 3e-9, 3, 1),
    "smp": (3e-5, 4e-9, 3, 1),
    "exchange": (2e-5, 1.5e-11, 4, 2),
}
_TYPICAL_ROUNDS = {"eum": 10, "exchange": 10, "smp": 40}  # rounds a run usually takes
_WAR_SECONDS_PER_PATH_MONTH = 1.5e-7
_WAR_BYTES_PER_PATH = 40 * _FLOAT  # per-path state arrays of one block
_WAR_BYTES_PER_PATH_MONTH = 2 * _FLOAT  # the per-month curves kept per path


class BudgetError(DetenteError):
    """A request estimated to need more memory or time than allowed."""


@dataclass(frozen=True)
class Cost:
    """The estimated peak memory (bytes) and wall time (seconds) of a request ``what``."""

    what: str
    memory: float
    seconds: float

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.what, max(self.memory, other.memory), self.seconds + other.seconds)


@dataclass(frozen=True)
class Limits:
    max_memory: float
    max_seconds: float


_LIMITS: contextvars.ContextVar[Limits | None] = contextvars.ContextVar(
    "detente_budget_limits", default=None
)


def machine_memory() -> int:
    """This machine's physical memory in bytes (8 GiB when it cannot be read)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def default_limits() -> Limits:
    """Half the machine's memory and one hour, unless $DETENTE_MAX_MEMORY / $DETENTE_MAX_TIME."""
    mem_env, time_env = os.environ.get(MAX_MEMORY_ENV), os.environ.get(MAX_TIME_ENV)
    memory = parse_size(mem_env, MAX_MEMORY_ENV) if mem_env else machine_memory() / 2
    seconds = parse_duration(time_env, MAX_TIME_ENV) if time_env else DEFAULT_MAX_SECONDS
    return Limits(memory, seconds)


def current_limits() -> Limits:
    return _LIMITS.get() or default_limits()


@contextlib.contextmanager
def limits(max_memory: float | None = None, max_seconds: float | None = None) -> Iterator[Limits]:
    """Run a block under these limits (None: the default)."""
    base = default_limits()
    lim = Limits(
        base.max_memory if max_memory is None else max_memory,
        base.max_seconds if max_seconds is None else max_seconds,
    )
    token = _LIMITS.set(lim)
    try:
        yield lim
    finally:
        _LIMITS.reset(token)


_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgt]?)(i?b?)\s*\Z", re.IGNORECASE)
_DURATION = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(s|m|h|d)?\s*\Z", re.IGNORECASE)


def parse_size(text: str, option: str = "--max-memory") -> float:
    """``"512M"``, ``"8G"``, ``"8GiB"``, ``"2000000000"`` -> bytes (powers of 1024)."""
    m = _SIZE.match(text) if text.isascii() else None
    if not m:
        raise BudgetError(f"{option} {text[:30]!r}: write a size such as 512M, 8G or 64GiB")
    value = float(m.group(1)) * 1024 ** "_kmgt".index((m.group(2) or "_").lower())
    if not 0 < value < 2**60:
        raise BudgetError(f"{option} {text[:30]!r}: must be above 0 and below 1 EiB")
    return value


def parse_duration(text: str, option: str = "--max-time") -> float:
    """``"90"``, ``"90s"``, ``"10m"``, ``"2h"``, ``"1d"`` -> seconds."""
    m = _DURATION.match(text) if text.isascii() else None
    if not m:
        raise BudgetError(f"{option} {text[:30]!r}: write a duration such as 90s, 10m or 2h")
    unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}[(m.group(2) or "s").lower()]
    value = float(m.group(1)) * unit
    if not 0 < value < 1e9:
        raise BudgetError(f"{option} {text[:30]!r}: must be above 0 and below 30 years")
    return value


def fmt_bytes(n: float) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:.0f} bytes"


def fmt_seconds(s: float) -> str:
    if s >= 86400 * 365:
        return f"{s / (86400 * 365):.3g} years"
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if s >= size:
            return f"{s / size:.3g} {unit}"
    return f"{s:.3g} s"


def check(cost: Cost) -> Cost:
    """Raise :class:`BudgetError` when ``cost`` is over the current limits; else return it."""
    lim = current_limits()
    if cost.memory > lim.max_memory:
        raise BudgetError(
            f"{cost.what}: needs about {fmt_bytes(cost.memory)} of memory, over the limit of "
            f"{fmt_bytes(lim.max_memory)} (--max-memory SIZE raises it)"
        )
    if cost.seconds > lim.max_seconds:
        raise BudgetError(
            f"{cost.what}: would take about {fmt_seconds(cost.seconds)}, over the limit of "
            f"{fmt_seconds(lim.max_seconds)} (--max-time DURATION raises it)"
        )
    return cost


# ---- estimates ------------------------------------------------------------------------------


def _rounds(model: str, params: Mapping[str, Any] | None) -> tuple[int, int]:
    """(rounds a run typically takes, the most it may take) under ``params``."""
    p = params or {}
    if model == "smp":
        most = int(p.get("max_turns", 100))
        return min(most, max(int(p.get("min_turns", 2)), _TYPICAL_ROUNDS["smp"])), most
    if model == "exchange":
        most = int(p.get("max_iterations", 50))
        return min(most, _TYPICAL_ROUNDS["exchange"]), most
    if model == "eum":
        most = int(p.get("rounds", 0) or _TYPICAL_ROUNDS["eum"])
        return most, most
    return 1, 1


def model_cost(
    model: str, n: int, k: int, batch: int, params: Mapping[str, Any] | None = None
) -> tuple[float, float]:
    """(peak bytes, seconds) of one model run on a batch of ``batch`` scenarios of N actors and K
    issues (the whole batch at once, as a forecast without draws or one Monte Carlo chunk)."""
    typical, most = _rounds(model, params)
    c0, c1, p, q = _RATES.get(model, (1e-4, 4e-9, 3, 1))
    b = float(batch)
    seconds = b * typical * (c0 + c1 * float(n) ** p * float(k) ** q)
    # pairwise work arrays (chunked over the batch at 16M floats) plus the trajectory, kept for
    # every round up to the most a run may take
    pairwise = min(b * n * n * (k * k if model == "exchange" else k), 16e6) if most > 1 else 0.0
    memory = _FLOAT * (pairwise * 4 + b * (most + 1) * n * k + b * n * k * 8)
    return memory, seconds


def forecast_cost(
    n: int,
    k: int,
    models: Sequence[str],
    params: Mapping[str, Mapping[str, Any]] | None = None,
    draws: int | None = None,
    what: str = "forecast",
    points: int = 1,
) -> Cost:
    """A forecast of each model (batch of ``points`` scenarios), and with ``draws`` a Monte Carlo
    of ``draws`` per point in chunks (memory: one chunk plus the kept forecasts, draws x K)."""
    params = params or {}
    memory, seconds = 0.0, 0.0
    for m in models:
        mem, sec = model_cost(m, n, k, points, params.get(m))
        memory, seconds = max(memory, mem), seconds + sec
        if draws:
            # only a Monte Carlo loads its module (and scipy): a point forecast needs neither
            from detente.analysis.montecarlo import chunk_size

            try:
                chunk = min(draws, chunk_size(m, n, k))
            except Exception:  # an unknown model: the registry names it later
                chunk = min(draws, 1024)
            mem, sec = model_cost(m, n, k, chunk, params.get(m))
            n_chunks = math.ceil(draws / chunk)
            kept = _FLOAT * float(draws) * k * points * 2 * max(1, len(models))
            memory = max(memory, mem + kept)
            seconds += sec * n_chunks * points
    if points > 1:  # one scenario copy per grid point
        memory += points * (2000.0 + 600.0 * n * k)
    return Cost(what, memory + 150e6, seconds)


def war_cost(paths: int, months: int, mixes: int = 1, what: str = "war") -> Cost:
    """``paths`` simulated paths x ``months`` for each of ``mixes`` policy mixes."""
    memory = float(paths) * (_WAR_BYTES_PER_PATH + _WAR_BYTES_PER_PATH_MONTH * months) * 2
    seconds = _WAR_SECONDS_PER_PATH_MONTH * float(paths) * months * mixes
    return Cost(what, memory + 150e6, seconds)


def _models_text(models: Sequence[str]) -> str:
    return f" ({', '.join(models)})" if models else ""


def check_forecast(
    scenario: Any,
    models: Sequence[str],
    params: Mapping[str, Mapping[str, Any]] | None = None,
    draws: int | None = None,
    *,
    command: str = "forecast",
    points: int = 1,
) -> Cost:
    """Refuse a forecast (or what-if, sweep, report) whose estimate is over the limits."""
    n, k = len(scenario.actors), len(scenario.issues)
    what = f"{command} of {n} actors x {k} issues"
    if points == 2 and command == "whatif":
        what += " (before and after)"
    elif points > 1:
        what += f" at {points:,} grid points"
    if draws:
        what += f" with --draws {draws}"
    what += _models_text(models)
    return check(forecast_cost(n, k, models, params, draws, what, points))


def check_war(paths: int, months: int, mixes: int = 1, command: str = "war") -> Cost:
    """Refuse a war simulation whose estimate is over the limits."""
    what = f"{command} --paths {paths} x --months {months} x {mixes} policy mix(es)"
    return check(war_cost(paths, months, mixes, what))


def check_sensitivity(
    scenario: Any,
    model: str,
    n_base: int,
    n_inputs: int,
    method: str = "sobol",
    paths: int = 0,
    months: int = 0,
) -> Cost:
    """Sobol' (Saltelli, second order) needs N (2D + 2) evaluations, Morris N (D + 1); each is one
    forecast, or for the war model ``paths`` x ``months``. The design matrix (evaluations x D) is
    held in memory."""
    evals = float(n_base) * (2 * n_inputs + 2 if method == "sobol" else n_inputs + 1)
    design = _FLOAT * evals * n_inputs * 3
    what = f"sensitivity --n {n_base} ({evals:,.0f} evaluations of {model}"
    if model == "war":
        what += f", {paths} paths x {months} months each)"
        sims = war_cost(int(min(paths * evals, 2e18)), months, 1, what)
        block = war_cost(int(min(paths * evals, 2_000_000)), months)
        return check(Cost(what, block.memory + design, sims.seconds))
    what += ")"
    n, k = len(scenario.actors), len(scenario.issues)
    mem, sec = model_cost(model, n, k, min(int(evals), 4096))
    seconds = sec * math.ceil(evals / 4096)
    return check(Cost(what, mem + design + _FLOAT * evals * k + 150e6, seconds))
