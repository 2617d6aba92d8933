"""A command that needs an optional extra says which one, in one line, with exit code 2; the core
(no scipy, no numba) still forecasts with every model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(blocked: list[str], argv: list[str]) -> subprocess.CompletedProcess[str]:
    # The blocked packages are made unimportable (as if not installed) before detente starts.
    code = (
        "import sys\n"
        f"for name in {blocked!r}:\n    sys.modules[name] = None\n"
        "from detente.cli.main import main\n"
        f"main({argv!r})\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT / "src"), "DETENTE_STORE": "off", "PATH": "/usr/bin:/bin"},
        timeout=300,
    )


def test_core_forecasts_every_model_without_scipy_or_numba() -> None:
    out = _run(["scipy", "numba", "matplotlib", "pyarrow"], ["forecast", "--json"])
    assert out.returncode == 0, out.stderr
    import json

    models = json.loads(out.stdout)["models"]
    assert {"median", "compromise", "nash", "eum", "smp", "exchange"} <= set(models)


@pytest.mark.parametrize(
    ("blocked", "argv", "extra"),
    [
        (["scipy"], ["forecast", "--draws", "10"], "analysis"),
        (["SALib"], ["sensitivity", "--n", "4"], "analysis"),
        (["distributed"], ["forecast", "--draws", "10", "--cluster", "local"], "cluster"),
        (["fastapi"], ["serve"], "web"),
    ],
)
def test_missing_extra_is_one_line_naming_it(
    blocked: list[str], argv: list[str], extra: str
) -> None:
    out = _run(blocked, argv)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert f"pip install 'detente[{extra}]'" in lines[0]
    assert "Traceback" not in out.stderr
