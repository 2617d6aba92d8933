"""A sealed forecast ledger: an append-only JSON Lines file whose entries form a SHA-256 hash chain.

Each line is one entry (a forecast or a resolution). An entry carries ``seq`` (1, 2, ...), a UTC
timestamp, ``prev`` (the previous entry's hash; 64 zeros for the first) and ``hash``: the SHA-256
of the entry's canonical JSON (sorted keys, no spaces) without the ``hash`` key. So each hash
covers the previous one, and any edit, deletion or reordering of an entry breaks the chain at that
entry (:func:`verify` names the first broken one). Removing entries from the *end* leaves a valid
shorter chain: keep the ledger in git (or note the last hash) to detect that.

Writes are atomic: under an exclusive lock (``PATH.lock``) the whole new file is written to a
temporary file in the same folder, flushed and fsync'ed, then renamed over the old one, so a
reader never sees a half-written line and a crash leaves the old or the new ledger, never a mix.
Resolutions are new entries: nothing is ever edited in place.

The idea of a sealed forecast record (a hash and a timestamp per forecast, and a verify command)
follows forecasting practice (e.g. Tetlock & Gardner 2015, *Superforecasting*; the Good
Judgment Project's scored records).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from detente.scenario.errors import DetenteError

DEFAULT_LEDGER = "forecasts.ledger.jsonl"
ENV_VAR = "DETENTE_LEDGER"
GENESIS = "0" * 64
MAX_LEDGER_BYTES = 200 * 1024 * 1024


class LedgerError(DetenteError):
    """A ledger that cannot be read or written, or a request it cannot meet."""


def ledger_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The ledger file: ``path``, else ``$DETENTE_LEDGER``, else ``forecasts.ledger.jsonl`` here."""
    if path:
        return Path(path)
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else Path.cwd() / DEFAULT_LEDGER


def canonical(entry: dict[str, Any]) -> bytes:
    """The bytes an entry's hash covers: its JSON without ``hash``, keys sorted, no spaces."""
    body = {k: v for k, v in entry.items() if k != "hash"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def entry_hash(entry: dict[str, Any]) -> str:
    """SHA-256 (hex) of :func:`canonical` ``(entry)``."""
    return hashlib.sha256(canonical(entry)).hexdigest()


def utc_now() -> str:
    """The current time in UTC, ISO 8601 with a ``Z`` (seconds)."""
    now = _dt.datetime.now(_dt.UTC).replace(microsecond=0)
    return now.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of :func:`verify`: ``ok``, the number of entries, the last hash, and (when
    broken) the 1-based line of the first broken entry and why."""

    path: str
    ok: bool
    entries: int
    last_hash: str
    broken_line: int | None = None
    broken_id: int | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ledger": self.path,
            "ok": self.ok,
            "entries": self.entries,
            "last_hash": self.last_hash,
            "broken_line": self.broken_line,
            "broken_id": self.broken_id,
            "reason": self.reason,
        }


def _read_lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    if path.is_dir():
        raise LedgerError(f"{path}: is a directory, not a ledger file")
    if path.stat().st_size > MAX_LEDGER_BYTES:
        raise LedgerError(f"{path}: larger than {MAX_LEDGER_BYTES} bytes; not a ledger")
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError:
        raise LedgerError(f"{path}: not UTF-8 text; a ledger is JSON Lines") from None
    return text.splitlines()


def verify(path: str | os.PathLike[str] | None = None) -> VerifyReport:
    """Check every entry's hash and its link to the previous one; name the first broken entry.

    An edit changes the entry's hash (or, if the hash was recomputed, breaks the next entry's
    ``prev``); a deletion or a swap breaks ``seq`` and ``prev`` at the first moved entry.
    """
    p = ledger_path(path)
    prev = GENESIS
    count = 0
    for line_no, line in enumerate(_read_lines(p), start=1):
        if not line.strip():
            return VerifyReport(str(p), False, count, prev, line_no, None, "empty line")
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            return VerifyReport(str(p), False, count, prev, line_no, None, f"not JSON ({exc.msg})")
        if not isinstance(entry, dict):
            return VerifyReport(str(p), False, count, prev, line_no, None, "not a JSON object")
        seq = entry.get("seq")
        sid = seq if isinstance(seq, int) else None
        if entry.get("prev") != prev:
            why = "its 'prev' is not the previous entry's hash (an entry before it was edited, "
            why += "deleted or moved)"
            return VerifyReport(str(p), False, count, prev, line_no, sid, why)
        try:
            recomputed = entry_hash(entry)
        except (TypeError, ValueError):
            recomputed = ""
        if entry.get("hash") != recomputed:
            why = "its hash does not match its content (the entry was edited)"
            return VerifyReport(str(p), False, count, prev, line_no, sid, why)
        if seq != line_no:
            why = f"its seq is {seq!r}, expected {line_no} (entries were removed or reordered)"
            return VerifyReport(str(p), False, count, prev, line_no, sid, why)
        prev = entry["hash"]
        count += 1
    return VerifyReport(str(p), True, count, prev)


def read(path: str | os.PathLike[str] | None = None, *, check: bool = True) -> list[dict[str, Any]]:
    """Every entry, in order; with ``check`` (default) a broken chain is an error naming the
    first broken entry."""
    p = ledger_path(path)
    if check:
        rep = verify(p)
        if not rep.ok:
            raise LedgerError(
                f"{p}: line {rep.broken_line}: the hash chain is broken: {rep.reason}; "
                "run `detente ledger verify`"
            )
    return [json.loads(line) for line in _read_lines(p)]


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``PATH.lock`` (fcntl where available; elsewhere no lock)."""
    lock_path = path.with_name(path.name + ".lock")
    try:
        fh = open(lock_path, "a+b")  # noqa: SIM115 - held for the with block
    except OSError as exc:
        raise LedgerError(f"{lock_path}: cannot open the lock file ({exc.strerror})") from None
    try:
        try:
            import fcntl

            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - Windows
            pass
        yield
    finally:
        fh.close()


def _atomic_write(path: Path, data: bytes) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError, AttributeError):  # make the rename durable (POSIX)
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def append(
    fields: dict[str, Any],
    path: str | os.PathLike[str] | None = None,
    *,
    now: str | None = None,
) -> dict[str, Any]:
    """Append one entry (``fields`` plus seq, time, prev, hash) atomically; return it.

    Refuses to append to a ledger whose chain is broken (the break would be sealed in).
    """
    p = ledger_path(path)
    if p.parent and not p.parent.exists():
        raise LedgerError(f"{p}: the folder {p.parent} does not exist")
    reserved = {"seq", "time", "prev", "hash"} & set(fields)
    if reserved:
        raise LedgerError(f"ledger entry: the fields {sorted(reserved)} are set by the ledger")
    with _locked(p):
        rep = verify(p)
        if not rep.ok:
            raise LedgerError(
                f"{p}: line {rep.broken_line}: the hash chain is broken ({rep.reason}); "
                "refusing to append"
            )
        lines = _read_lines(p)
        entry = {**fields, "seq": rep.entries + 1, "time": now or utc_now(), "prev": rep.last_hash}
        try:
            entry["hash"] = entry_hash(entry)
        except ValueError as exc:
            raise LedgerError(f"ledger entry: {exc} (NaN and infinity are not allowed)") from None
        line = json.dumps(entry, sort_keys=True, separators=(",", ":"), allow_nan=False)
        body = "".join(f"{x}\n" for x in lines) + line + "\n"
        _atomic_write(p, body.encode("utf-8"))
    return entry
