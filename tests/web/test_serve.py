"""``detente serve`` starts the app on 127.0.0.1 from the command line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def test_detente_serve_answers_on_localhost(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, DETENTE_STORE=str(tmp_path / "runs.sqlite"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "detente.cli.main", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 90
        body = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    body = r.read().decode()
                    break
            except OSError:
                time.sleep(0.2)
        if body is None:
            out = proc.stdout.read() if proc.poll() is not None and proc.stdout else ""
            pytest.fail(f"detente serve did not answer: {out}")
        assert '"ok":true' in body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
            assert "Russia and Ukraine" in r.read().decode()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        finally:
            if proc.stdout:
                proc.stdout.close()
    assert proc.returncode is not None
