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


def test_serving_tunes_the_process_and_restores_it(tmp_path: Path) -> None:
    """While the app is served (its lifespan): at most PAGE_THREADS page threads, a 1 ms GIL
    switch interval, the start-up heap frozen out of the collector's full passes (make stress
    measured 20-90 ms stops of every thread, /health included, without it); all undone after."""
    import gc
    import sys
    import warnings

    import anyio.to_thread

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from detente.web import app as web_app

    interval = sys.getswitchinterval()
    app = web_app.create_app(tmp_path / "runs.sqlite", processes=False)
    with TestClient(app, base_url="http://127.0.0.1") as client:

        @app.get("/probe-settings")
        async def settings() -> dict[str, float]:
            limiter = anyio.to_thread.current_default_thread_limiter()
            return {
                "tokens": limiter.total_tokens,
                "switch": sys.getswitchinterval(),
                "frozen": gc.get_freeze_count(),
            }

        seen = client.get("/probe-settings").json()
        assert client.get("/health").json()["ok"] is True
    assert seen["tokens"] == web_app.PAGE_THREADS
    assert seen["switch"] == min(interval, web_app.SWITCH_INTERVAL_S)
    assert seen["frozen"] > 10_000
    assert sys.getswitchinterval() == interval and gc.get_freeze_count() == 0
