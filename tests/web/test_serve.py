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


def test_slow_connections_are_closed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A connection that sends no request, or its headers a byte at a time, is closed; a normal
    request on the same server is answered."""
    import threading

    import uvicorn

    from detente.web import server
    from detente.web.app import create_app, server_options

    monkeypatch.setattr(server, "HEADER_TIMEOUT_S", 0.5)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(
        uvicorn.Config(
            create_app("off"), host="127.0.0.1", port=port, log_level="warning", **server_options()
        )
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not srv.started and time.monotonic() < deadline:
            time.sleep(0.05)
        for payload in (b"", b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
                if payload:
                    conn.sendall(payload)
                t0 = time.monotonic()
                assert conn.recv(100) == b""  # closed by the server, not by our timeout
                assert time.monotonic() - t0 < 5
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as r:
            assert r.status == 200
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
