"""The DEU III loader on a small fixture in the public file's format (tests/fixtures/deu_small.csv),
with missing-value codes, and the backtest's scores on it against hand computations."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.analysis import backtest as bt
from detente.analysis import deu
from detente.scenario.errors import ScenarioError

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "deu_small.csv"

# The fixture's scoreable rows, as written in the file (position, salience on 0-100):
# row 2, issue 101, adopted 15-06-09 (Nice): com 100/80, ep 80/50, de 0/90, fr 50/60, bu 100/40,
#   mt 999/999 (missing: not placed); rp 0; out "60,0" (decimal comma).
# row 3, issue 102, adopted 20-01-15 (double majority): com 20/70, ep 70/80, de 100/blank
#   (salience imputed 50), fr 0/100, bu 999 (missing), mt 50/30; rp 10; out 40.
# row 6, issue 105, consultation (CNS), proposed 03-03-03, no adoption date (Amsterdam):
#   com 40/50, ep 60/50, de 30/100, fr 90/20, bu and mt NA; rp 999 (missing); out 35.
# Skipped: row 4 (issue 103, out 999) and row 5 (issue 104, one actor with a position).


@pytest.fixture(scope="module")
def data() -> deu.DeuData:
    return deu.load_deu(FIXTURE)


def _actors(case: bt.Case) -> dict[str, tuple[float, float, float]]:
    return {
        a.id: (a.capability.value, a.positions["issue"].value, a.saliences["issue"].value)
        for a in case.scenario.actors
    }


def test_reads_the_fixture_with_missing_value_codes(data: deu.DeuData) -> None:
    assert [c.id for c in data.cases] == ["deu-101", "deu-102", "deu-105"]
    assert data.skipped == [(4, "outcome missing"), (5, "1 actor(s) with a position")]
    a101, a102, a105 = (_actors(c) for c in data.cases)
    assert set(a101) == {"com", "ep", "de", "fr", "bg"}  # mt 999: absent; code bu -> bg
    assert set(a102) == {"com", "ep", "de", "fr", "mt"}  # bu 999: absent
    assert set(a105) == {"com", "ep", "de", "fr"}  # NA: absent
    assert a102["de"][1:] == (100.0, 0.5)  # blank salience -> 50 (documented imputation)
    assert data.cases[0].outcome("issue") == 60.0  # "60,0"
    assert data.cases[0].scenario.issues[0].reference.value == 0.0
    assert data.cases[2].scenario.issues[0].reference is None  # rp 999
    assert data.rules == {"nice": 1, "double-majority": 1, "amsterdam": 1}


def test_council_capabilities_by_period(data: deu.DeuData) -> None:
    a101, a102, a105 = (_actors(c) for c in data.cases)
    # Nice: Germany and France 29, Bulgaria 10; Commission and Parliament as the largest state.
    assert {k: v[0] for k, v in a101.items()} == {"com": 29, "ep": 29, "de": 29, "fr": 29, "bg": 10}
    # Amsterdam (before May 2004): Germany and France 10; consultation: the Parliament 0.
    assert {k: v[0] for k, v in a105.items()} == {"com": 10, "ep": 0, "de": 10, "fr": 10}
    # Double majority: 352 x (1/2 x 1/28 + 1/2 x population share), by hand from the shares.
    pop = deu.POPULATION_SHARE_2016
    total = sum(pop.values())
    dm = {c: 352 * (0.5 / 28 + 0.5 * p / total) for c, p in pop.items()}
    assert a102["de"][0] == pytest.approx(dm["de"], rel=1e-12)
    assert a102["fr"][0] == pytest.approx(dm["fr"], rel=1e-12)
    assert a102["mt"][0] == pytest.approx(dm["mt"], rel=1e-12)
    assert a102["com"][0] == pytest.approx(max(dm.values()), rel=1e-12)


def test_published_council_totals() -> None:
    # Amsterdam: 87 votes for EU-15; Nice: 352 for EU-28 (29 x 4 + 27 x 2 + 14 + 13 + 12 x 5 +
    # 10 x 3 + 7 x 6 + 4 x 5 + 3).
    assert sum(deu.AMSTERDAM.values()) == 87
    assert sum(deu.NICE.values()) == 29 * 4 + 27 * 2 + 14 + 13 + 12 * 5 + 10 * 3 + 7 * 6 + 4 * 5 + 3
    assert sum(deu.NICE.values()) == 352
    assert sum(deu.DOUBLE_MAJORITY.values()) == pytest.approx(352)
    # The Council's published population shares sum to 100% up to their rounding (0.005 each).
    assert sum(deu.POPULATION_SHARE_2016.values()) == pytest.approx(100, abs=28 * 0.005)
    assert sum(deu.POPULATION_SHARE_2025.values()) == pytest.approx(100, abs=27 * 0.005)
    assert len(deu.POPULATION_SHARE_2016) == 28 and "uk" not in deu.POPULATION_SHARE_2025


def test_compromise_scores_match_hand_computation(data: deu.DeuData) -> None:
    result = bt.run_backtest(data.cases, ["compromise", "median"], ensemble=False)
    err = result.rows.set_index(["case", "model"]).error
    # Issue 101: weights c x s = 29x80, 29x50, 29x90, 29x60, 10x40 = 2320, 1450, 2610, 1740, 400
    # (sum 8520); sum w x = 232000 + 116000 + 0 + 87000 + 40000 = 475000.
    assert err["deu-101", "compromise"] == pytest.approx(abs(475000 / 8520 - 60), abs=1e-9)
    # Issue 105 (consultation: the Parliament weighs 0): weights 10x50, 0, 10x100, 10x20 =
    # 500, 0, 1000, 200 (sum 1700); sum w x = 20000 + 0 + 30000 + 18000 = 68000.
    assert err["deu-105", "compromise"] == pytest.approx(abs(68000 / 1700 - 35), abs=1e-9)
    # Issue 102 under the double majority: weights from the population shares, by hand.
    pop = deu.POPULATION_SHARE_2016
    total = sum(pop.values())
    cap = {c: 352 * (0.5 / 28 + 0.5 * p / total) for c, p in pop.items()}
    big = max(cap.values())
    placed = [
        (big, 20, 70),
        (big, 70, 80),
        (cap["de"], 100, 50),
        (cap["fr"], 0, 100),
        (cap["mt"], 50, 30),
    ]
    mean = sum(c * s * x for c, x, s in placed) / sum(c * s for c, x, s in placed)
    assert err["deu-102", "compromise"] == pytest.approx(abs(mean - 40), abs=1e-9)
    # Medians. 101: sorted positions 0 (2610), 50 (1740), 80 (1450), 100 (2320 + 400); half of
    # 8520 is 4260, reached at 50 (4350). 105: 30 (1000), 40 (500), 60 (0), 90 (200); half of
    # 1700 is 850, reached at 30.
    assert err["deu-101", "median"] == pytest.approx(10.0, abs=1e-12)
    assert err["deu-105", "median"] == pytest.approx(5.0, abs=1e-12)
    # MAE (0-100 scale, so errors are already in scale points).
    board = result.leaderboard.set_index("model")
    expected = (abs(475000 / 8520 - 60) + abs(mean - 40) + abs(68000 / 1700 - 35)) / 3
    assert board.loc["compromise", "mae"] == pytest.approx(expected, abs=1e-9)


def test_equal_weights(tmp_path: Path) -> None:
    data = deu.load_deu(FIXTURE, weights="equal")
    assert all(a.capability.value == 1.0 for c in data.cases for a in c.scenario.actors)
    result = bt.run_backtest(data.cases[:1], ["compromise"], ensemble=False)
    # Issue 101 with equal capabilities: sum s x / sum s = 19000 / 320.
    assert result.rows.error.iloc[0] == pytest.approx(abs(19000 / 320 - 60), abs=1e-9)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "deu.csv"
    path.write_text(text, encoding="utf-8")
    return path


HEADER = "isnr;finact;pcom;pde;pfr;scom;sde;sfr;rp;out\n"


@pytest.mark.parametrize(
    ("body", "where", "rule"),
    [
        ("1;15-06-09;10;abc;30;50;50;50;0;20\n", "row 2, column pde", "must be a number"),
        ("1;15-06-09;10;20;30;50;50;50;0;2O\n", "row 2, column out", "must be a number"),
        ("1;15-06-09;10;20;30;50;50;50;0\n", "row 2", "has 9 cells; the header has 10"),
        (
            "1;15-06-09;10;20;30;50;50;50;0;20\n1;15-06-09;10;20;30;50;50;50;0;20\n",
            "row 3, column isnr",
            "issue numbers must be unique",
        ),
    ],
)
def test_errors_name_file_row_column_value_rule(
    tmp_path: Path, body: str, where: str, rule: str
) -> None:
    path = _write(tmp_path, HEADER + body)
    with pytest.raises(ScenarioError) as err:
        deu.load_deu(path)
    msg = str(err.value)
    assert msg.startswith(str(path)) and where in msg and rule in msg
    if "abc" in body:
        assert "'abc'" in msg


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("isnr;pcom;pde;scom;sde;rp\n1;10;20;50;50;0\n", "no 'out' column"),
        ("isnr,pcom,out\n1,10,20\n", "semicolon- or tab-separated"),
        ("isnr;pcom;scom;pxx;sxx;out\n1;10;50;20;50;30\n", "no known Council weight"),
        ("isnr;pcom;scom;out\n1;10;50;30\n", "at least two actors"),
        ("", "empty"),
    ],
)
def test_file_level_errors(tmp_path: Path, text: str, rule: str) -> None:
    with pytest.raises(ScenarioError, match=rule):
        deu.load_deu(_write(tmp_path, text))


def test_trailing_separators_and_spss_missing_code(tmp_path: Path) -> None:
    path = _write(
        tmp_path, HEADER.replace("\n", ";\n") + "1;15-06-09;10;#NULL!;30;50;50;50;0;20;\n"
    )
    data = deu.load_deu(path)
    assert {a.id for a in data.cases[0].scenario.actors} == {"com", "fr"}


def test_unknown_actor_is_fine_with_equal_weights(tmp_path: Path) -> None:
    path = _write(tmp_path, "isnr;pcom;scom;pxx;sxx;out\n1;10;50;20;50;30\n")
    data = deu.load_deu(path, weights="equal")
    assert {a.id for a in data.cases[0].scenario.actors} == {"com", "xx"}


def test_missing_file() -> None:
    with pytest.raises(ScenarioError, match="no such file"):
        deu.load_deu("/nonexistent/deu.csv")


def test_parse_date_forms() -> None:
    assert deu.parse_date("21-10-09").isoformat() == "2009-10-21"
    assert deu.parse_date("21/10/2009").isoformat() == "2009-10-21"
    assert deu.parse_date("2009-10-21").isoformat() == "2009-10-21"
    assert deu.parse_date("") is None and deu.parse_date("soon") is None


def test_cli_backtest_deu(capsys) -> None:
    from typer.testing import CliRunner

    from detente.cli.main import _register_commands, app

    if not app.registered_commands:
        _register_commands()
    result = CliRunner().invoke(
        app, ["backtest", "deu", str(FIXTURE), "-m", "compromise", "-m", "median", "--no-store"]
    )
    assert result.exit_code == 0, result.output
    for word in ("DEU benchmark", "Leaderboard", "ensemble", "skipped rows: 2", "baseline_mean"):
        assert word in result.output


# --- property: any mix of values and missing-value codes is read as the codebook says ---------

ACTORS = ("com", "ep", "de", "fr", "pl", "mt")
MISSING = ("999", "", "NA", "-1", "1000", "#NULL!")


@st.composite
def deu_files(draw: st.DrawFn) -> list[dict[str, str]]:
    cell = st.one_of(st.integers(0, 100).map(str), st.sampled_from(MISSING))
    rows = []
    for n in range(draw(st.integers(1, 4))):
        row = {
            "isnr": str(n + 1),
            "finact": "15-06-09",
            "proc": "COD",
            "rp": draw(cell),
            "out": draw(cell),
        }
        for a in ACTORS:
            row["p" + a] = draw(cell)
            row["s" + a] = draw(cell)
        rows.append(row)
    return rows


def _value(text: str) -> float | None:
    # The codebook's rule, restated: a number on 0-100 is a value; anything else here is missing.
    try:
        v = float(text)
    except ValueError:
        return None
    return v if 0 <= v <= 100 else None


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=deu_files())
def test_property_missing_codes_and_compromise(tmp_path: Path, rows: list[dict[str, str]]) -> None:
    cols = ["isnr", "finact", "proc"] + ["p" + a for a in ACTORS] + ["s" + a for a in ACTORS]
    cols += ["rp", "out"]
    text = ";".join(cols) + "\n" + "".join(";".join(r[c] for c in cols) + "\n" for r in rows)
    path = tmp_path / "prop.csv"
    path.write_text(text, encoding="utf-8")
    data = deu.load_deu(path)
    weight = {"com": 29, "ep": 29, "de": 29, "fr": 29, "pl": 27, "mt": 3}  # Nice, 2009
    expected = {}
    for r in rows:
        placed = [(a, _value(r["p" + a]), _value(r["s" + a])) for a in ACTORS]
        placed = [(a, x, 50.0 if s is None else s) for a, x, s in placed if x is not None]
        out = _value(r["out"])
        if out is None or len(placed) < 2:
            continue
        w = [weight[a] * s for a, _, s in placed]
        xs = [x for _, x, _ in placed]
        mean = (
            sum(wi * xi for wi, xi in zip(w, xs, strict=True)) / sum(w)
            if sum(w) > 0
            else sum(xs) / len(xs)
        )
        expected[f"deu-{r['isnr']}"] = ({a for a, _, _ in placed}, abs(mean - out))
    assert [c.id for c in data.cases] == list(expected)
    assert len(data.skipped) == len(rows) - len(expected)
    if not expected:
        return
    result = bt.run_backtest(data.cases, ["compromise"], ensemble=False)
    for case in data.cases:
        actors, err = expected[case.id]
        assert {a.id for a in case.scenario.actors} == actors
        got = result.rows[result.rows.case == case.id].error.iloc[0]
        # Tolerance 1e-9 on 0-100: the same weighted mean summed in another order.
        assert got == pytest.approx(err, abs=1e-9)
