"""The report's sections for the newer results: the DEU benchmark's leaderboard and errors plot
(issue 12 item 6), voting power beside capability, a discovery run's boxes and peeling plot, and
the forecast ledger's scores with its reliability diagram (issue 15 item 5). Each run is made by
the real command in a throw-away store; numbers are checked against the run's own JSON or a
closed form."""

from __future__ import annotations

import html as htmllib
import json
import re
from pathlib import Path

import pytest

from detente.cli.main import main

DEU = Path("../shared/data/bargaining/deu/deu3-train.csv")

# Three voters, quota 3 of weights 2, 1, 1: A is pivotal in 4 of the 6 orders (Shapley-Shubik
# 2/3, B and C 1/6 each); A swings in 3 coalitions, B and C in 1 each (Banzhaf 3/5, 1/5, 1/5).
VOTING = """\
meta: {id: council, title: A small council}
actors:
  - {id: A, name: Alpha, capability: 50, positions: {x: 0}, saliences: {x: 1}}
  - {id: B, name: Beta, capability: 30, positions: {x: 60}, saliences: {x: 1}}
  - {id: C, name: Gamma, capability: 20, positions: {x: 100}, saliences: {x: 1}}
issues:
  - {id: x, name: X, scale: {low: 0, high: 100}}
voting:
  name: weighted majority
  voters: [A, B, C]
  criteria:
    - {name: votes, quota: 3, weights: {A: 2, B: 1, C: 1}}
"""


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    try:
        main(argv)
    except SystemExit as exc:
        assert exc.code in (0, None), capsys.readouterr()
    return capsys.readouterr().out


def _sections(page: str) -> set[str]:
    return set(re.findall(r'<section id="([a-z]+)"', page))


def _report(argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    out = tmp_path / "r.html"
    text = _cli(["report", *argv, "--no-store", "-o", str(out)], capsys)
    assert "wrote" in text
    return out.read_text(encoding="utf-8")


@pytest.mark.skipif(not DEU.is_file(), reason="../shared/data/bargaining/deu is absent")
def test_deu_backtest_run_shows_leaderboard_and_errors_plot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "runs.sqlite"
    monkeypatch.setenv("DETENTE_STORE", str(store))
    argv = ["backtest", "deu", str(DEU), "-m", "compromise", "-m", "median"]
    payload = json.loads(_cli([*argv, "--reps", "100", "--folds", "2", "--json"], capsys))
    page = _report(["last"], tmp_path, capsys)
    assert "extra" in _sections(page) and 'id="leaderboard"' in page
    assert 'id="chart-benchmark"' in page and "<svg" in page
    board = page[page.index('id="leaderboard"') : page.index("</table>", page.index("leaderboard"))]
    for name, entry in payload["models"].items():
        # every model's row, with its MAE and the interval of its difference from compromise
        assert f"<strong>{name}</strong>" in board
        assert f"{entry['mae']:.2f}" in board
        d = entry["diff_vs_compromise"]
        if d["low"] is not None:
            assert f"[{d['low']:.2f}, {d['high']:.2f}]" in board
    # the plot draws one interval per model but compromise (the zero line)
    assert "Difference from compromise" in page and "Errors per model" in page
    text = htmllib.unescape(page)
    assert "MAE minus compromise's MAE, 95% interval (clustered by proposal)" in text


def test_voting_power_beside_capability(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "council.yaml"
    path.write_text(VOTING)
    page = _report([str(path), "-m", "compromise", "--draws", "0"], tmp_path, capsys)
    assert "power" in _sections(page) and 'id="chart-power"' in page
    table = page[page.index('id="power-table"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr><td>(\w)</td>((?:<td class=\"num\">[^<]*</td>)+)</tr>", table)
    cells = {v: re.findall(r">([^<]*)<", c)[::2] for v, c in rows}
    assert cells["A"][:2] == ["0.667", "0.600"] and cells["B"][:2] == ["0.167", "0.200"]
    assert cells["C"][3:] == ["20.0", "0.200"]  # capability 20 of 100
    # a scenario without a voting rule leaves the section out with one line
    plain = tmp_path / "plain.yaml"
    plain.write_text(VOTING[: VOTING.index("voting:")])
    page = _report([str(plain), "-m", "compromise", "--draws", "0"], tmp_path, capsys)
    assert "power" not in _sections(page)
    assert "Voting power</strong> &mdash; the scenario has no `voting:` section" in page


def test_discover_run_shows_boxes_and_peeling_plot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DETENTE_STORE", str(tmp_path / "runs.sqlite"))
    out = json.loads(
        _cli(["discover", "--target", "territory<=70", "--draws", "300", "--json"], capsys)
    )
    page = _report(["last"], tmp_path, capsys)
    assert 'id="boxes"' in page and 'id="chart-peeling"' in page
    boxes = page[page.index('id="boxes"') : page.index("</table>", page.index('id="boxes"'))]
    assert out["prim"], "the discovery found no box"
    for box in out["prim"]:
        assert f"{box['coverage']:.3f}" in boxes and f"{box['density']:.3f}" in boxes
        for name in box["bounds"]:
            assert name in htmllib.unescape(boxes)


def test_ledger_scores_and_reliability_diagram(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    ledger = tmp_path / "my.ledger.jsonl"
    for q, p in (("A?", "0.8"), ("B?", "0.3"), ("C?", "0.6")):
        _cli(
            ["ledger", "add", q, "--p", p, "--by", "2026-01-31", "--ledger-file", str(ledger)],
            capsys,
        )
    for fid, outcome in (("1", "yes"), ("2", "yes"), ("3", "no")):
        _cli(["ledger", "resolve", fid, outcome, "--ledger-file", str(ledger)], capsys)
    path = tmp_path / "council.yaml"
    path.write_text(VOTING)
    page = _report(
        [str(path), "-m", "compromise", "--draws", "0", "--ledger", str(ledger)], tmp_path, capsys
    )
    assert "ledger" in _sections(page) and 'id="chart-reliability"' in page
    section = page[page.index('<section id="ledger"') :]
    section = section[: section.index("</section>")]
    # Brier: (0.2^2 + 0.7^2 + 0.6^2) / 3 = 0.2967; the base rate 2/3 as the baseline
    assert "Brier 0.297" in section and "(0.667)" in section and "3 resolved" in section
    # the default ledger (./forecasts.ledger.jsonl here) with --ledger default
    (tmp_path / "forecasts.ledger.jsonl").write_bytes(ledger.read_bytes())
    page = _report(
        [str(path), "-m", "compromise", "--draws", "0", "--ledger", "default"], tmp_path, capsys
    )
    assert "Brier 0.297" in page
    # without the option the section is left out with one line
    page = _report([str(path), "-m", "compromise", "--draws", "0"], tmp_path, capsys)
    assert "ledger" not in _sections(page) and "Forecast ledger</strong> &mdash;" in page


def test_missing_ledger_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(
            [
                "report",
                "--ledger",
                str(tmp_path / "none.jsonl"),
                "--no-store",
                "-o",
                str(tmp_path / "x.html"),
            ]
        )
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "none.jsonl: no such ledger" in err
