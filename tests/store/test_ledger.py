"""The forecast ledger: hash chain, tamper detection (edit, delete, reorder), resolution as a new
entry, scores against hand-computed values, the CLI end to end, and P(talks) from a war run."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from detente.api import ledger as L
from detente.cli import ledger_cmd
from detente.store import ledger as store
from detente.store.ledger import LedgerError

runner = CliRunner()


@pytest.fixture()
def app() -> typer.Typer:
    app = typer.Typer()
    ledger_cmd.register(app)
    return app


@pytest.fixture()
def small(tmp_path: Path) -> Path:
    """Three probabilities and two quantities, four of them resolved."""
    f = tmp_path / "f.jsonl"
    L.add("A?", L.probability_forecast(0.8), resolves_by="2026-01-31", ledger_file=f)
    L.add("B?", L.probability_forecast(0.3), resolves_by="2026-01-31", ledger_file=f)
    L.add("C?", L.probability_forecast(0.6), resolves_by="2026-01-31", ledger_file=f)
    L.add(
        "Q1",
        L.quantile_forecast([0.1, 0.5, 0.9], [80, 85, 90]),
        resolves_by="2026-12-31",
        ledger_file=f,
    )
    L.add("Q2", L.draws_forecast([1.0, 2.0, 4.0]), resolves_by="2026-12-31", ledger_file=f)
    L.resolve(1, "yes", ledger_file=f)
    L.resolve(2, "yes", ledger_file=f)
    L.resolve(3, "no", ledger_file=f)
    L.resolve(4, 87, ledger_file=f)
    L.resolve(5, 3, ledger_file=f)
    return f


def test_chain_links_each_entry_to_the_previous(small: Path) -> None:
    lines = small.read_text().splitlines()
    entries = [json.loads(x) for x in lines]
    assert [e["seq"] for e in entries] == list(range(1, 11))
    assert entries[0]["prev"] == "0" * 64
    for a, b in zip(entries, entries[1:], strict=False):
        assert b["prev"] == a["hash"]
    for e in entries:
        assert e["hash"] == store.entry_hash(e)
        assert e["time"].endswith("Z")
    rep = store.verify(small)
    assert rep.ok and rep.entries == 10 and rep.last_hash == entries[-1]["hash"]


def _rewrite(path: Path, lines: list[str]) -> None:
    path.write_text("".join(x + "\n" for x in lines))


def test_edit_is_detected_at_the_edited_entry(small: Path) -> None:
    lines = small.read_text().splitlines()
    lines[2] = lines[2].replace('"p":0.6', '"p":0.9')
    _rewrite(small, lines)
    rep = store.verify(small)
    assert not rep.ok and rep.broken_line == 3 and rep.broken_id == 3
    assert "edited" in (rep.reason or "")


def test_edit_with_a_recomputed_hash_breaks_the_next_link(small: Path) -> None:
    lines = small.read_text().splitlines()
    e = json.loads(lines[1])
    e["forecast"]["p"] = 0.01
    e["hash"] = store.entry_hash(e)
    lines[1] = json.dumps(e)
    _rewrite(small, lines)
    rep = store.verify(small)
    assert not rep.ok and rep.broken_line == 3


def test_deletion_is_detected(small: Path) -> None:
    lines = small.read_text().splitlines()
    del lines[4]
    _rewrite(small, lines)
    rep = store.verify(small)
    assert not rep.ok and rep.broken_line == 5 and rep.broken_id == 6


def test_reordering_is_detected(small: Path) -> None:
    lines = small.read_text().splitlines()
    lines[6], lines[7] = lines[7], lines[6]
    _rewrite(small, lines)
    rep = store.verify(small)
    assert not rep.ok and rep.broken_line == 7


def test_a_broken_ledger_refuses_appends_and_scores(small: Path) -> None:
    lines = small.read_text().splitlines()
    lines[0] = lines[0].replace("A?", "Z?")
    _rewrite(small, lines)
    with pytest.raises(LedgerError, match="line 1"):
        L.add("D?", L.probability_forecast(0.5), resolves_by="2026-01-01", ledger_file=small)
    with pytest.raises(LedgerError, match="broken"):
        L.score(small)


def test_resolution_appends_and_never_edits(small: Path) -> None:
    before = small.read_text()
    L.add("D?", L.probability_forecast(0.5), resolves_by="2026-01-01", ledger_file=small)
    L.resolve(11, "0", ledger_file=small)
    after = small.read_text()
    assert after.startswith(before)  # the old lines are untouched
    with pytest.raises(LedgerError, match="already resolved"):
        L.resolve(11, "1", ledger_file=small)
    with pytest.raises(LedgerError, match="yes/no"):
        L.add("E?", L.probability_forecast(0.5), resolves_by="2026-01-01", ledger_file=small)
        L.resolve(13, "maybe", ledger_file=small)
    with pytest.raises(LedgerError, match="no forecast with id 99"):
        L.resolve(99, "1", ledger_file=small)


def test_scores_match_hand_computed_values(small: Path) -> None:
    res = L.score(small)
    s = res.summary()
    prob = s["probability"]
    # Brier: (0.8-1)^2 = 0.04, (0.3-1)^2 = 0.49, (0.6-0)^2 = 0.36 -> mean 0.89 / 3.
    assert prob["brier"] == pytest.approx(0.89 / 3, abs=1e-12)
    # Log: -ln 0.8, -ln 0.3, -ln 0.4.
    assert prob["log"] == pytest.approx(-(math.log(0.8) + math.log(0.3) + math.log(0.4)) / 3)
    # Base rate 2/3: Brier of the constant 2/3 = (2 (1/3)^2 + (2/3)^2) / 3 = 2/9.
    assert prob["base_rate"] == pytest.approx(2 / 3)
    assert prob["baseline_brier"] == pytest.approx(2 / 9)
    assert prob["brier_skill"] == pytest.approx(1 - (0.89 / 3) / (2 / 9))
    rows = {r["id"]: r for r in res.rows}
    # Quantiles (0.1: 80, 0.5: 85, 0.9: 90), outcome 87: pinball 0.7, 1.0, 0.3; CRPS = 2/3 x 2.0.
    assert rows[4]["crps"] == pytest.approx(4 / 3, abs=1e-9)
    # Draws {1, 2, 4}, outcome 3: E|X-y| = 4/3, E|X-X'| = (2*(1+3+2))/9 = 4/3 -> 4/3 - 2/3.
    assert rows[5]["crps"] == pytest.approx(2 / 3, abs=1e-9)
    assert s["quantity"]["crps"] == pytest.approx((4 / 3 + 2 / 3) / 2)
    assert s["quantity"]["mae"] == pytest.approx((2 + 1) / 2)
    fixed = L.score(small, baseline=0.5).summary()["probability"]
    assert fixed["baseline_brier"] == pytest.approx(0.25)
    rel = res.reliability()
    assert sum(r["n"] for r in rel) == 3
    assert rel[8]["n"] == 1 and rel[8]["observed"] == 1.0


def test_cli_end_to_end(app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(
        app, ["ledger", "add", "Talks by 2026-06-30?", "--p", "0.25", "--by", "2026-06-30"]
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / store.DEFAULT_LEDGER).exists()  # the default file in the cwd
    other = tmp_path / "other.jsonl"
    monkeypatch.setenv("DETENTE_LEDGER", str(other))
    for args in (
        ["add", "X?", "--p", "0.9", "--by", "2026-06-30", "--scenario", "ukraine-2025"],
        ["add", "Y", "-q", "0.25=10", "-q", "0.75=20", "--by", "2026-06-30"],
        ["resolve", "1", "yes"],
        ["resolve", "2", "15"],
    ):
        res = runner.invoke(app, ["ledger", *args])
        assert res.exit_code == 0, res.output
    first = json.loads(other.read_text().splitlines()[0])
    assert first["scenario"]["id"] == "ukraine-2025" and len(first["scenario"]["sha256"]) == 64
    plot = tmp_path / "rel.svg"
    res = runner.invoke(app, ["ledger", "score", "--json", "--plot", str(plot)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["summary"]["probability"]["brier"] == pytest.approx(0.01)
    # Quantiles 0.25: 10, 0.75: 20 at 15: pinball 2.5 x 0.25... = (0.25*5 + 0.25*5) / 2 x 2.
    assert out["summary"]["quantity"]["crps"] == pytest.approx(2.5)
    assert plot.read_text().lstrip().startswith("<?xml")
    res = runner.invoke(app, ["ledger", "verify", "--json"])
    assert res.exit_code == 0 and json.loads(res.output)["entries"] == 4
    lines = other.read_text().splitlines()
    other.write_text("\n".join([lines[1], lines[0], *lines[2:]]) + "\n")
    res = runner.invoke(app, ["ledger", "verify"])
    assert res.exit_code == 1 and "BROKEN at line 1" in " ".join(res.output.split())


def test_bad_input_is_one_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "f.jsonl"
    with pytest.raises(LedgerError, match=r"\[0, 1\]"):
        L.probability_forecast(1.5)
    with pytest.raises(LedgerError, match="YYYY-MM-DD"):
        L.add("A?", L.probability_forecast(0.5), resolves_by="next year", ledger_file=f)
    with pytest.raises(LedgerError, match="must not decrease"):
        L.quantile_forecast([0.1, 0.9], [5, 1])
    f.write_text("not json\n")
    assert store.verify(f).broken_line == 1


class _FakePaths:
    """The part of a policy's paths that add_from_war reads: settlements in months 2, 5,
    never, 5 after the forecast point."""

    valid = np.ones(4, dtype=bool)

    def p_end_by(self, kind: str | None = None) -> np.ndarray:
        assert kind == "settlement"
        talks = np.array([2, 5, -1, 5])
        return np.array([np.mean((talks > 0) & (talks <= t)) for t in range(1, 13)])


class _FakeWar:
    """The part of a WarRun that add_from_war reads."""

    months = 12
    seed = 7
    policies = {"status-quo": _FakePaths()}


def test_add_from_war_records_p_talks_by_the_date(tmp_path: Path) -> None:
    f = tmp_path / "f.jsonl"
    # Month 1 = September 2025; 2026-01-15 lies in month 5.
    assert L.month_of("2026-01-15", "2025-09-09") == 5
    e = L.add_from_war(
        _FakeWar(), "Talks by 2026-01-15?", "2026-01-15", start="2025-09-09", ledger_file=f
    )
    assert e["forecast"] == {"type": "probability", "p": 0.75}
    assert e["model"] == "war:status-quo" and e["extra"]["month"] == 5 and e["seed"] == 7
    e = L.add_from_war(_FakeWar(), "Talks by Oct?", "2025-10-31", start="2025-09-09", ledger_file=f)
    assert e["forecast"]["p"] == 0.25
    with pytest.raises(LedgerError, match="month 13"):
        L.add_from_war(_FakeWar(), "late", "2026-09-01", start="2025-09-09", ledger_file=f)
    assert L.question_date("Talks by 2026-06-30?") == "2026-06-30"


def test_concurrent_appends_keep_one_chain(tmp_path: Path) -> None:
    import threading

    f = tmp_path / "f.jsonl"

    def work(k: int) -> None:
        for i in range(5):
            L.add(f"T{k}.{i}", L.probability_forecast(0.5), resolves_by="2026-01-01", ledger_file=f)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rep = store.verify(f)
    assert rep.ok and rep.entries == 20


def test_add_from_montecarlo_records_quantiles(tmp_path: Path) -> None:
    from detente.analysis.montecarlo import monte_carlo
    from detente.api import load

    sc = load("ukraine-2025")
    mc = monte_carlo(sc, "compromise", 500, seed=2)
    f = tmp_path / "f.jsonl"
    e = L.add_from_montecarlo(
        mc, "territory", "Territory end 2026", "2026-12-31", scenario=sc, ledger_file=f
    )
    fc = e["forecast"]
    assert fc["type"] == "quantiles" and len(fc["levels"]) == 19
    assert fc["values"][9] == pytest.approx(float(np.median(mc.forecasts[:, 0])))
    L.resolve(e["seq"], fc["values"][9], ledger_file=f)
    assert L.score(f).rows[0]["abs_error"] == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(LedgerError, match="not among"):
        L.add_from_montecarlo(mc, "nope", "x", "2026-12-31", ledger_file=f)


def test_a_missing_ledger_is_a_clear_error(tmp_path: Path) -> None:
    for call in (L.verify, L.entries, L.score):
        with pytest.raises(LedgerError, match="no such ledger"):
            call(tmp_path / "absent.jsonl")


def test_numpy_crps_matches_scoringrules() -> None:
    rng = np.random.default_rng(5)
    for _ in range(5):
        draws = L.draws_forecast(rng.normal(size=37))
        q = np.sort(rng.normal(size=9))
        quant = L.quantile_forecast(list(np.linspace(0.1, 0.9, 9)), list(q))
        y = float(rng.normal())
        assert L.crps_numpy(draws, y) == pytest.approx(L.crps(draws, y), rel=1e-10)
        assert L.crps_numpy(quant, y) == pytest.approx(L.crps(quant, y), rel=1e-10)
