"""Decide's input format (#A/#P/#M/#D): the importer, `detente import decide`, and `detente
forecast FILE --model exchange --param exchange.variant=decide` on such a file.

tests/fixtures/decide_sample.txt is written for these tests in the layout of Decide's
data/input/sample_data.txt (foarsitter/decide-exchange-model, GPL-3.0, not copied here): a
title row (#O), comment rows (#/), trailing tabs, #M scales of 0-100 and of 1-9 euros.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from detente.bargaining.arrays import to_arrays
from detente.bargaining.registry import get_model
from detente.cli.main import _register_commands, app, main
from detente.scenario import io as scenario_io
from detente.scenario.decide import load_decide, loads_decide, looks_like_decide
from detente.scenario.errors import ScenarioError

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "decide_sample.txt"


def test_reads_actors_issues_scales_and_rows() -> None:
    sc = load_decide(SAMPLE)
    assert sc.actor_ids == ("Mayor", "Greens", "Liberals", "Socialists", "Shops", "Chamber")
    assert sc.issue_ids == ("charge", "level", "hours")
    level = sc.issue("level").scale
    assert (level.low, level.high) == (1.0, 9.0)  # from the #M rows, not 0-100
    assert sc.issue("charge").scale.low_label == "0: No, under no circumstances"
    assert sc.meta.title.startswith("Decide-format example")
    inp = to_arrays(sc)
    # #D Greens level 7 0.9 0.6 -> position 7, salience 0.9, capability 0.6 (constant power).
    g, k = sc.actor_ids.index("Greens"), sc.issue_ids.index("level")
    assert inp.positions[0, g, k] == 7.0 and inp.saliences[0, g, k] == 0.9
    assert inp.capabilities[0, g] == 0.6
    assert looks_like_decide(SAMPLE.read_text())
    # `detente forecast FILE` reads it too (scenario_io.load recognises the format).
    assert scenario_io.load(str(SAMPLE)).issue_ids == sc.issue_ids


def test_quoted_cells_as_decide_writes_them_now() -> None:
    """Decide's newer input files (its data/input/sample_data.txt and cop21.csv today) quote
    every cell with ``'`` and have #M rows without a description; they read the same as the
    unquoted layout."""
    quoted = (
        "'#A'\t'Mayor'\t'Mayor'\t'a note'\n"
        "'#A'\t'Shops'\t'Shops'\t''\n"
        "'#P'\t'level'\t'level'\t'level'\n"
        "'#M'\t'level'\t0.5\n"
        "'#M'\t'level'\t7\n"
        "'#D'\t'Mayor'\t'level'\t3.0\t0.7\t1.0\n"
        "'#D'\t'Shops'\t'level'\t0.5\t0.8\t0.9\n"
    )
    plain = quoted.replace("'", "")
    assert looks_like_decide(quoted)
    a, b = loads_decide(quoted, "q.txt"), loads_decide(plain, "p.txt")
    assert a.actor_ids == b.actor_ids == ("Mayor", "Shops")
    assert (a.issue("level").scale.low, a.issue("level").scale.high) == (0.5, 7.0)
    ia, ib = to_arrays(a), to_arrays(b)
    assert np.array_equal(ia.positions, ib.positions)
    assert np.array_equal(ia.saliences, ib.saliences)
    assert np.array_equal(ia.capabilities, ib.capabilities)


def test_varying_power_keeps_power_times_salience() -> None:
    text = (
        "#A\ta\tA\n#A\tb\tB\n#P\tx\tX\n#P\ty\tY\n"
        "#D\ta\tx\t10\t0.5\t1\n#D\ta\ty\t20\t0.8\t0.5\n#D\tb\tx\t90\t0.4\t0.2\n#D\tb\ty\t60\t1\t0.2\n"
    )
    sc = loads_decide(text, "t.txt")
    inp = to_arrays(sc)
    w = inp.capabilities[0][:, None] * inp.saliences[0]
    np.testing.assert_allclose(w, [[0.5, 0.4], [0.08, 0.2]], atol=1e-12)
    assert "power varies" in (sc.meta.description or "")


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("#A\ta\n#A\tb\n#P\tx\n#D\tc\tx\t1\t0.5\t1\n", "not defined by an #A row"),
        ("#A\ta\n#A\tb\n#P\tx\n#D\ta\tz\t1\t0.5\t1\n", "not defined by a #P row"),
        ("#A\ta\n#A\tb\n#P\tx\n#D\ta\tx\t1\t1.5\t1\n", r"must be in \[0, 1\]"),
        ("#A\ta\n#A\tb\n#P\tx\n#D\ta\tx\tten\t0.5\t1\n", "must be a number"),
        (
            "#A\ta\n#A\tb\n#P\tx\n#M\tx\t0\tlow\n#M\tx\t10\thigh\n#D\ta\tx\t50\t0.5\t1\n",
            r"on the issue's #M scale \[0, 10\]",
        ),
        ("#A\ta\n#A\tb\n#P\tx\n#D\ta\tx\t1\t0.5\n", "needs 6 tab-separated cells"),
        ("#X\ta\n", "must start with #A"),
    ],
)
def test_errors_name_row_value_rule(text: str, rule: str) -> None:
    with pytest.raises(ScenarioError, match=rule) as err:
        loads_decide(text, "bad.txt")
    assert "bad.txt" in str(err.value) and "row " in str(err.value)


def test_cli_import_and_forecast_with_decide_variant(tmp_path: Path) -> None:
    if not app.registered_commands:
        _register_commands()
    out = tmp_path / "s.yaml"
    res = CliRunner().invoke(app, ["import", "decide", str(SAMPLE), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert scenario_io.load(str(out)).issue_ids == ("charge", "level", "hours")
    fc = CliRunner().invoke(
        app,
        [
            "forecast",
            str(out),
            "--model",
            "exchange",
            "--param",
            "exchange.variant=decide",
            "--json",
            "--no-store",
        ],
    )
    assert fc.exit_code == 0, fc.output
    payload = json.loads(fc.output)
    got = [r["forecast"] for r in payload["forecasts"] if r["model"] == "exchange"]
    # The CLI's numbers are the model's on the imported scenario with Decide's adoption weights.
    want = get_model("exchange")(
        to_arrays(load_decide(SAMPLE)), fixed_weight=0.1, salience_weight=0.4
    ).forecast[0]
    np.testing.assert_allclose(got, want, atol=1e-9)


def test_cli_import_error_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("#A\ta\n#A\tb\n#P\tx\n#D\ta\tx\t1\t2\t1\n")
    with pytest.raises(SystemExit) as stop:
        main(["import", "decide", str(bad)])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1 and "salience" in err


def test_a_huge_cell_is_not_a_crash() -> None:
    """csv's field limit (131072 characters) must not escape as a csv.Error: a CSV scenario
    with a huge first cell is simply not Decide's format (found by the loader fuzzer)."""
    text = "Actor," + "x" * 200_000 + "\n"
    assert not looks_like_decide(text)
    with pytest.raises(ScenarioError):
        loads_decide("#A\t" + "y" * 200_000 + "\n", "big.txt")
