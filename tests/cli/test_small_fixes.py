"""Issue 14's small things, each a test: the store is announced on first use, a 128-bit seed is
stored, `sweep` with two levers keeps `--threshold`, Morris by actor prints no nan."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detente.cli.main import main
from detente.store.runs import RunStore


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_default_store_is_announced_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from detente.store import runs

    default = tmp_path / "data" / "runs.sqlite"
    monkeypatch.delenv("DETENTE_STORE", raising=False)
    monkeypatch.setattr(runs, "default_path", lambda: default)
    code, out, err = _cli(["forecast", "-m", "median"], capsys)
    assert code == 0 and default.exists()
    assert f"storing runs in {default}" in err and err.count("\n") == 1
    assert "storing runs" not in out  # stdout stays the result
    code, _, err = _cli(["forecast", "-m", "median"], capsys)
    assert code == 0 and "storing runs" not in err  # only on first use
    # a store chosen by the user is never announced
    code, _, err = _cli(["forecast", "-m", "median", "--store", str(tmp_path / "p.sqlite")], capsys)
    assert code == 0 and "storing runs" not in err


def test_an_entropy_seed_is_stored_whole(tmp_path: Path) -> None:
    rs = RunStore(tmp_path / "runs.sqlite")
    big = 2**100 + 7
    run = rs.get(rs.record("forecast", None, {"draws": 5}, big, {"x": 1}))
    assert run.seed is None and run.params["seed_entropy"] == str(big)
    assert run.params["draws"] == 5


def test_sweep_with_two_levers_keeps_the_threshold(capsys: pytest.CaptureFixture[str]) -> None:
    from detente import api
    from detente.analysis.montecarlo import parse_threshold

    levers = ["USA.position.sanctions=0:100:3", "EU.position.sanctions=0,100"]
    argv = ["sweep", "-l", levers[0], "-l", levers[1], "-t", "sanctions<=50", "-n", "16"]
    code, out, _ = _cli([*argv, "--no-store"], capsys)
    assert code == 0
    assert "P(sanctions<=50)" in out
    sc = api.load(None)
    res = api.sweep(sc, levers=levers, draws=16, seed=0, thresholds=["sanctions<=50"])
    t = parse_threshold("sanctions<=50", sc.issue_ids)
    k = sc.issue_ids.index("sanctions")
    grid = out[out.index("P(sanctions<=50)") :]
    for i in range(3):
        for j in range(2):
            p = float(np.mean(t.test(res.forecasts[i, j, :, k])))
            assert f"{p:.3f}" in grid
    code, out, _ = _cli([*argv, "--no-store", "--json"], capsys)
    assert "P(sanctions<=50)" in out  # the JSON rows hold it too


def test_morris_by_actor_prints_no_nan(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    argv = ["sensitivity", "-m", "compromise", "--method", "morris", "--by", "actor", "--n", "4"]
    code, out, _ = _cli([*argv, "--no-store"], capsys)
    assert code == 0
    assert "nan" not in out and "mu_star" in out and "USA" in out
    assert "not defined" in out and "Campolongo" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["forecast", "-m", "median", "--draws", "5", "--seed", "1"],
        ["report", "-m", "median", "-n", "0", "--claims-draws", "1", "--claims-paths", "5"],
    ],
)
def test_no_blank_lines_when_piped(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    # Under pytest stdout and stderr are not terminals, as in `detente ... 2>&1 | head`.
    monkeypatch.chdir(tmp_path)
    code, out, err = _cli([*argv, "--no-store"], capsys)
    assert code == 0
    assert err == "" and out.strip() and not out.startswith("\n")
