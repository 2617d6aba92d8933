"""Fast start: what ``import detente``, ``detente --help`` and a small forecast import.

Start-up time is measured in ``make bench`` (whole processes); these tests pin its causes, which
do not depend on the machine's load: the heavy libraries stay out of the paths that do not need
them, and the lazily listed commands match what the command modules register.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from detente.cli.main import COMMAND_MODULES, COMMANDS

ROOT = Path(__file__).resolve().parents[2]
SOE = ROOT / ".." / "shared" / "data" / "bargaining" / "ktab" / "SOE-Pol-Comp.csv"
HEAVY = ("pandas", "scipy", "numba", "matplotlib", "pyarrow", "dask", "SALib", "xarray", "fastapi")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT / "src"), "DETENTE_STORE": "off", "PATH": "/usr/bin:/bin"},
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def _heavy(mods: set[str]) -> list[str]:
    return sorted(h for h in HEAVY if h in mods)


def test_import_detente_loads_nothing_heavy() -> None:
    mods = _modules_after("import detente, detente.api")
    assert _heavy(mods) == []
    assert "numpy" not in mods and "pydantic" not in mods


def test_help_imports_no_command_module_and_no_numpy() -> None:
    code = (
        "from detente.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    )
    mods = _modules_after(code)
    assert _heavy(mods) == []
    assert "numpy" not in mods
    assert not any(m.startswith("detente.cli.") and m.endswith("_cmd") for m in mods)


def test_small_forecast_needs_neither_pandas_nor_numba_nor_scipy() -> None:
    if not SOE.exists():
        pytest.skip(f"KTAB data absent: {SOE}")
    code = (
        "from detente.cli.main import main\n"
        f"try:\n    main(['forecast', {str(SOE)!r}, '--model', 'smp', '--json'])\n"
        "except SystemExit:\n    pass"
    )
    mods = _modules_after(code)
    assert _heavy(mods) == []


def test_lazy_command_table_matches_the_modules() -> None:
    registered: dict[str, tuple[str, str]] = {}
    for module in COMMAND_MODULES:
        sub = typer.Typer()
        importlib.import_module(module).register(sub)
        for name, cmd in typer.main.get_group(sub).commands.items():
            registered[name] = (module, cmd.get_short_help_str(limit=300))
    assert set(registered) == set(COMMANDS)
    for name, (module, help_) in COMMANDS.items():
        assert registered[name][0] == module, name
        # The listed help is the start of the command's own first line.
        assert registered[name][1].startswith(help_.rstrip(".")), name
