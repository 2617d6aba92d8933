"""Hostile files through the command line: one line on stderr ("detente: error: ..."), exit code
2, no traceback, for ``detente validate`` and ``detente forecast``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tools.stress import _XML_BOMB, random_scenario_data, to_ktab_xml

pytestmark = pytest.mark.timeout(120)


def _files(tmp: Path) -> list[Path]:
    xml = to_ktab_xml(random_scenario_data(np.random.default_rng(0), 4, 2)).encode()
    out = {
        "bomb.xml": _XML_BOMB + xml.split(b"?>", 1)[1].replace(b"<name>Fuzz", b"<name>&lol9;"),
        "tag.yaml": b"!!python/object/apply:os.system ['echo pwned']\n",
        "junk.csv": b"\xff\xfe\x00garbage\x00",
        "deep.yaml": b"meta: " + b"[" * 50_000 + b"]" * 50_000,
        "digits.yaml": b"meta: {title: x}\nissues: " + b"9" * 5000 + b"\n",
    }
    paths = []
    for name, data in out.items():
        path = tmp / name
        path.write_bytes(data)
        paths.append(path)
    return paths


@pytest.mark.parametrize("command", ["validate", "forecast"])
def test_hostile_files_give_one_line_and_exit_2(command: str, tmp_path: Path) -> None:
    for path in _files(tmp_path):
        done = subprocess.run(
            [sys.executable, "-c", "from detente.cli.main import main; main()", command, str(path)],
            capture_output=True,
            text=True,
            timeout=100,
            cwd=tmp_path,
        )
        assert done.returncode == 2, (path.name, done.stdout[-500:], done.stderr[-1500:])
        err = done.stderr.strip()
        assert err.startswith("detente: error: ") and "\n" not in err, (path.name, err)
        assert "Traceback" not in done.stderr and "pwned" not in done.stdout + done.stderr
