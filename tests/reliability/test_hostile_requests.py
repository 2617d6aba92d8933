"""Issue 16: huge requests, bad options and numbers, silent nonsense. Each case is one line on
stderr ("detente: error: ..."), exit code 2, no traceback, and refused before the work starts
(each case must finish in seconds although the request, if run, would take hours or gigabytes).

The CLI runs in-process (``detente.cli.main.main``) so the whole file stays fast.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from tools.stress import HOSTILE_REQUESTS

from detente.cli.main import main
from detente.scenario import io as scenario_io

pytestmark = pytest.mark.timeout(300)


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str, float]:
    t0 = time.perf_counter()
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err, time.perf_counter() - t0


def assert_one_line(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    line = err.strip()
    assert line.startswith("detente: error: "), err
    assert "\n" not in line and "Traceback" not in err, err
    for needle in needles:
        assert needle in line, (needle, line)


@pytest.fixture(autouse=True)
def _no_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DETENTE_STORE", "off")
    monkeypatch.setenv("DETENTE_MAX_MEMORY", "8G")  # the same refusals on any machine
    monkeypatch.delenv("DETENTE_MAX_TIME", raising=False)


def _variant(tmp: Path, name: str, old: str, new: str) -> str:
    text = scenario_io.embedded_text("ukraine-2025")
    assert old in text, old
    path = tmp / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return str(path)


# The same list make stress runs in subprocesses (tools/stress.py): (argv, words the line holds).
CASES = HOSTILE_REQUESTS


@pytest.mark.parametrize(("argv", "needles"), CASES, ids=[" ".join(c[0])[:50] for c in CASES])
def test_one_line_exit_2_before_any_work(
    argv: list[str], needles: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err, seconds = run_cli(argv, capsys)
    assert_one_line(code, err, *needles)
    assert seconds < 60, f"{argv}: took {seconds:.0f} s before refusing"


def test_max_memory_raises_the_limit(capsys: pytest.CaptureFixture[str]) -> None:
    # The refusal names --max-memory; with it the estimate is under the limit and the next check
    # (here the time limit, set low so nothing runs for long) is the one that speaks.
    argv = ["forecast", "--draws", "100000000", "--max-memory", "1000G", "--max-time", "1s"]
    code, _, err, _ = run_cli(argv, capsys)
    assert_one_line(code, err, "--max-time")


def test_nonfinite_inputs_name_the_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cap = _variant(tmp_path, "cap.yaml", "capability: {value: 1.0,", "capability: {value: 1e308,")
    code, _, err, _ = run_cli(["forecast", cap], capsys)
    assert_one_line(code, err, "capability", "1e+308")
    scale = _variant(
        tmp_path, "s.yaml", "scale: {low: 0, high: 100,", "scale: {low: -1e308, high: 1e308,"
    )
    code, _, err, _ = run_cli(["forecast", scale, "-m", "eum"], capsys)
    assert_one_line(code, err, "scale")


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        ("attacker: RUS", "attacker: XXX", "not an actor"),
        ("defender: UKR", "defender: RUS", "two sides"),
    ],
)
def test_war_sides_must_be_two_actors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, needle: str
) -> None:
    path = _variant(tmp_path, "w.yaml", old, new)
    code, _, err, _ = run_cli(["war", path, "--paths", "10", "--no-plot"], capsys)
    assert_one_line(code, err, needle)


@pytest.mark.parametrize("value", ["yes", "1:30", "\uff11\uff12"])
def test_strict_numbers_in_yaml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    path = _variant(
        tmp_path, "n.yaml", "capability: {value: 1.0,", f"capability: {{value: {value},"
    )
    code, _, err, _ = run_cli(["validate", path], capsys)
    assert_one_line(code, err, "n.yaml", "capability", "number")


def test_cost_estimates_track_the_sizes() -> None:
    """The estimate grows with what drives the work (an oracle: the formulas' own scaling)."""
    from detente.analysis.budget import forecast_cost, war_cost

    small = forecast_cost(6, 3, ["eum"], None, 1000)
    big = forecast_cost(6, 3, ["eum"], None, 1_000_000)
    assert 900 < big.seconds / small.seconds < 1100
    assert war_cost(20_000, 60).memory < war_cost(40_000, 60).memory
    assert forecast_cost(300, 3, ["eum"]).seconds > 50 * forecast_cost(60, 3, ["eum"]).seconds


def test_estimate_is_on_the_high_side_of_a_measured_run() -> None:
    """A small Monte Carlo, timed: the estimate may be high but not 3x low (tolerance 3x)."""
    from detente import api
    from detente.analysis.budget import forecast_cost
    from detente.analysis.montecarlo import monte_carlo

    sc = api.load(None)
    monte_carlo(sc, "smp", 20, seed=1)  # warm up
    t0 = time.perf_counter()
    monte_carlo(sc, "smp", 400, seed=1)
    measured = time.perf_counter() - t0
    est = forecast_cost(len(sc.actors), len(sc.issues), ["smp"], None, 400).seconds
    assert est > measured / 3, (est, measured)
