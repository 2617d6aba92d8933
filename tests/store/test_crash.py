"""A writer killed with SIGKILL mid-run leaves the store readable and without a partial run."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from detente.store.runs import RunStore

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")

# The writer: stores runs with a large result (so each write takes a while), printing each
# committed id; in "pause" mode it stops inside the transaction, just before COMMIT, and says so.
WRITER = r"""
import sys, time
from detente import api
from detente.store.runs import RunStore

path, mode = sys.argv[1], sys.argv[2]

class Pausing(RunStore):
    def _before_commit(self, conn, run_id):
        if mode == "pause" and run_id >= 3:
            print(f"in-transaction {run_id}", flush=True)
            time.sleep(60)

sc = api.load("ukraine-2025")
rs = Pausing(path)
big = {"values": [i * 0.5 for i in range(200_000)], "text": "x" * 500_000}
for n in range(1000):
    rid = rs.record("crash-test", sc, {"n": n}, n, big, {"total_s": 0.0})
    print(f"committed {rid}", flush=True)
"""


def _start(path: Path, mode: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _committed_until(proc: subprocess.Popen[str], stop: str) -> tuple[list[int], str]:
    committed = []
    assert proc.stdout is not None
    for line in proc.stdout:
        word, _, num = line.strip().partition(" ")
        if word == "committed":
            committed.append(int(num))
        if line.startswith(stop):
            return committed, line.strip()
    raise AssertionError(f"writer ended early: {proc.stderr.read() if proc.stderr else ''}")


def _kill(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def _check(path: Path, committed: list[int], absent: int | None = None) -> None:
    rs = RunStore(path)
    assert rs.verify() == [], "the store is corrupt or holds a partial run"
    ids = [r.id for r in rs.list_runs(limit=None)]
    # Every run the writer saw committed is there, whole (verify checked each result's hash).
    assert set(committed) <= set(ids)
    assert absent not in ids
    for rid in ids:
        run = rs.get(rid)
        assert len(run.result["values"]) == 200_000 and run.scenario() is not None
    # The store still takes writes after the crash.
    new = rs.record("after-crash", None, None, None, {"ok": True})
    assert rs.get(new).result == {"ok": True}


def test_sigkill_inside_the_transaction_leaves_no_partial_run(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    proc = _start(path, "pause")
    try:
        committed, line = _committed_until(proc, "in-transaction")
    finally:
        _kill(proc)
    pending = int(line.split()[1])
    assert committed == [1, 2]
    _check(path, committed, absent=pending)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sigkill_at_a_random_moment(tmp_path: Path, seed: int) -> None:
    # Wherever the kill lands (mid-write, mid-commit, between runs), the store stays sound.
    path = tmp_path / "runs.sqlite"
    proc = _start(path, "loop")
    try:
        committed, _ = _committed_until(proc, "committed 2")
        time.sleep(random.Random(seed).uniform(0.0, 0.15))
    finally:
        _kill(proc)
    _check(path, committed)


def test_two_writer_processes_at_once_lose_nothing(tmp_path: Path) -> None:
    # A CLI sweep and the web app write to one store at once: WAL + busy_timeout serialise the
    # writes; none fails, none is lost.
    path = tmp_path / "runs.sqlite"
    code = (
        "import sys\nfrom detente.store.runs import RunStore\n"
        "rs = RunStore(sys.argv[1])\n"
        "for i in range(15):\n"
        "    rs.record('w' + sys.argv[2], None, {'i': i}, i, {'writer': sys.argv[2], 'i': i})\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(path), str(w)], stderr=subprocess.PIPE, text=True
        )
        for w in (1, 2)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    rs = RunStore(path)
    assert rs.verify() == []
    runs = rs.list_runs(limit=None)
    assert len(runs) == 30
    for w in ("1", "2"):
        assert sorted(r.seed for r in runs if r.command == f"w{w}") == list(range(15))
