"""Shared fixtures: where ../shared lies, and a private run store for every test."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test when it is absent (a user's clone)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared reference data is not beside this clone")
    return path


@pytest.fixture(autouse=True)
def _private_store(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Runs that commands store go to a throw-away database, never the user's.
    monkeypatch.setenv("DETENTE_STORE", str(tmp_path_factory.mktemp("store") / "runs.sqlite"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
