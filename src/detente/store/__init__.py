"""detente.store: every run of every command, in an SQLite run store (see runs.py)."""

from detente.store.runs import (
    Run,
    RunStore,
    StoreError,
    default_path,
    open_store,
    record,
    resolve_path,
)

__all__ = ["Run", "RunStore", "StoreError", "default_path", "open_store", "record", "resolve_path"]
