"""Issue 16, "text is data": names from a file, an option or the store are printed as typed.

Rich markup (``[/x]`` crashed rich with MarkupError; ``[link=...]`` became a live link), emoji
codes and terminal control sequences in a title or an actor's name must come out literally (control
characters as visible escapes) through every command that prints names, and CSV exports must not
hand a spreadsheet a formula. A hypothesis property drives the commands users run.
"""

from __future__ import annotations

import copy
import csv
import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from detente.cli.main import main
from detente.cli.text import SafeConsole, clean, csv_cell, styled
from detente.scenario import io as scenario_io

pytestmark = pytest.mark.timeout(600)

HOSTILE = [
    "[/x]",
    "[link=https://evil.example]click[/link]",
    "[bold red]",
    "[/]",
    "\\[",
    ":smile:",
    "\x1b[31mred",
    "\x1b]8;;https://evil.example\x1b\\link",
    "\x1b]0;title\x07",
    "\u202eevil",
    "\x9b2J",
    "%s{0}",
    "<script>",
]
fragments = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r\t"),
        max_size=8,
    ),
)
names = st.lists(fragments, min_size=1, max_size=4).map("".join).filter(lambda s: s.strip())


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def _wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "500")  # no wrapping: names appear whole in the output


def _scenario_doc() -> dict[str, Any]:
    return yaml.safe_load(scenario_io.embedded_text("ukraine-2025"))


BASE = _scenario_doc()


def _write(tmp: Path, title: str, actor_name: str) -> Path:
    doc = copy.deepcopy(BASE)
    doc["meta"]["title"] = title
    doc["meta"].pop("id", None)
    doc["actors"][0]["name"] = actor_name
    path = tmp / "hostile.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def _shown(text: str) -> str:
    """What the terminal must show: the text with control characters as escapes; rich collapses
    nothing else (no markup, no emoji)."""
    return clean(text, newlines=True)


@settings(
    max_examples=5,
    deadline=None,
    phases=[
        Phase.explicit,
        Phase.reuse,
        Phase.generate,
    ],  # no shrinking: each example runs 5 commands
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(title=names, actor=names)
def test_generated_markup_is_printed_literally(
    title: str, actor: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, title, actor)
    store = str(tmp_path / "runs.sqlite")
    code, out, err = run_cli(["validate", str(path)], capsys)
    if code == 2:  # the schema may refuse a name (e.g. too long): then one clean line
        line = err.strip()
        assert line.startswith("detente: error: ") and "\n" not in line, err
        assert "\x1b" not in err and "Traceback" not in err
        return
    assert code == 0, err
    assert _shown(title.strip()) in out, (title, out)
    commands = [
        ["forecast", str(path), "-m", "compromise", "--store", store],
        ["war", str(path), "--paths", "20", "--months", "6", "--no-plot", "--store", store],
        ["runs", "list", "--store", store],
        ["runs", "show", "last", "--store", store],
    ]
    for argv in commands:
        code, out, err = run_cli(argv, capsys)
        assert code == 0, (argv, err[-800:])
        assert "\x1b" not in out + err and "\x9b" not in out + err, argv
        assert "Traceback" not in err
        if argv[0] != "runs" or argv[1] == "show":
            assert _shown(title.strip()) in out, (argv, title, out[:400])


def test_stored_markup_does_not_break_runs_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One run stored with ``[/x]`` in its title made ``runs list`` crash for good."""
    from detente.store.runs import RunStore

    doc = copy.deepcopy(BASE)
    doc["meta"]["title"] = "[/x] [link=https://evil.example]click[/link]"
    doc["meta"].pop("id", None)
    sc = scenario_io.from_data(doc)
    store = RunStore(tmp_path / "runs.sqlite")
    store.record("forecast", sc, {}, 1, {"ok": True})
    code, out, err = run_cli(["runs", "list", "--store", str(store.path)], capsys)
    assert code == 0, err
    assert "[/x] [link=https://evil.example]click[/link]" in out


def test_console_shows_markup_and_escapes_as_text() -> None:
    buf = io.StringIO()
    console = SafeConsole(file=buf, width=200)
    console.print("[/x] [link=https://e]l[/link] :smile: \x1b[31m")
    console.print(styled("[bold]{}[/bold]", "[/x]"))
    text = buf.getvalue()
    assert "[/x] [link=https://e]l[/link] :smile: \\x1b[31m" in text
    assert "\x1b" not in text and text.count("[/x]") == 2


def test_error_lines_escape_control_characters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(["validate", str(tmp_path / "no\x1b[31mfile\n.yaml")], capsys)
    assert code == 2
    assert "\x1b" not in err and err.count("\n") == 1 and "\\x1b" in err


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1+1", "'+1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("-3", "-3"),
        ("-2.5e3", "-2.5e3"),
        ("plain", "plain"),
        (3.5, 3.5),
    ],
)
def test_csv_cells_neutralise_formulas(value: Any, safe: Any) -> None:
    assert csv_cell(value) == safe


def test_csv_export_of_a_run_has_no_formula(tmp_path: Path) -> None:
    from detente.store.runs import RunStore
    from detente.store.views import export_run

    doc = copy.deepcopy(BASE)
    doc["issues"][0]["scale"]["low_label"] = "=cmd|' /C calc'!A0"
    doc["meta"]["title"] = '=HYPERLINK("http://evil.example")'
    sc = scenario_io.from_data(doc)
    store = RunStore(tmp_path / "runs.sqlite")
    rid = store.record("forecast", sc, {}, 1, {"label": "=cmd|' /C calc'!A0", "x": -1.5})
    data = export_run(store.get(rid), "csv").decode()
    for row in csv.reader(io.StringIO(data)):
        for cell in row:
            assert not cell.startswith(("=", "+", "@")), cell
            if cell.startswith("-"):
                float(cell)  # only numbers may start with '-'
