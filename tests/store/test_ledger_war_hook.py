"""``detente war ... --ledger "Talks by 2026-06-30?"`` records P(talks by that date) from the run.

The option lives in cli/war_cmd.py; docs/ledger-war-hook.patch adds it. Until it is applied this
test skips (say so in the skip reason)."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from detente.cli import war_cmd


def test_war_ledger_records_p_talks_by_the_date(tmp_path: Path) -> None:
    if "ledger" not in inspect.signature(war_cmd.war).parameters:
        pytest.skip("cli/war_cmd.py has no --ledger yet: apply docs/ledger-war-hook.patch")
    app = typer.Typer()
    war_cmd.register(app)
    f = tmp_path / "f.jsonl"
    args = ["war", "-P", "status-quo", "--paths", "500", "--months", "12", "--no-plot", "--json"]
    res = CliRunner().invoke(
        app, [*args, "--ledger", "Talks by 2026-06-30?", "--ledger-file", str(f), "--no-store"]
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    entry = json.loads(f.read_text().splitlines()[0])
    # Month 1 = September 2025 (the scenario's date): 30 June 2026 lies in month 10.
    p10 = out["policies"]["status-quo"]["p_talks_by_month"][9]
    assert entry["forecast"] == {"type": "probability", "p": p10}
    assert entry["extra"]["month"] == 10 and out["ledger"]["id"] == 1
