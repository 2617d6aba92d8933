"""The atheris harness (fuzz/atheris_loaders.py) over its seed corpus and a few raw inputs: it
must run without atheris (the optional extra), and with atheris it must fuzz briefly without a
crash."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parents[2] / "fuzz" / "atheris_loaders.py"


def _harness():  # noqa: ANN202 (a module loaded from a path)
    if not HARNESS.exists():
        pytest.skip(f"{HARNESS} is absent")
    spec = importlib.util.spec_from_file_location("atheris_loaders", HARNESS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_harness_accepts_its_seeds_and_junk() -> None:
    h = _harness()
    seeds = h.seed_inputs()
    assert len(seeds) >= 4 * 5  # every loader has valid seeds
    for blob in seeds + [b"", b"\x00", b"\x01\xff\xfe", b"\x03<!DOCTYPE x [<!ENTITY a 'b'>]><x/>"]:
        h.test_one_input(blob)  # raises only on a contract violation


def test_harness_without_atheris_exits_cleanly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    h = _harness()
    monkeypatch.setattr(h, "atheris", None)
    assert h.main(["atheris_loaders.py"]) == 0
    assert "not installed" in capsys.readouterr().out


@pytest.mark.timeout(120)
def test_short_atheris_run(tmp_path: Path) -> None:
    pytest.importorskip("atheris", reason="atheris (pip install -e '.[fuzz]') is not installed")
    done = subprocess.run(
        [sys.executable, str(HARNESS), "-atheris_runs=300", "-max_len=2048", "-seed=1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Done 300 runs" in done.stderr or "Done 300 in" in done.stderr, done.stderr[-500:]
    assert not list(tmp_path.glob("crash-*"))
