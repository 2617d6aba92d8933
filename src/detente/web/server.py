"""How ``detente serve`` runs the app under uvicorn: connections that are slow to send a request
are closed.

uvicorn times out an idle keep-alive connection only after a response; a fresh connection that
never sends a request, or sends its headers a byte at a time (slowloris), is held for ever.
:class:`TimedH11Protocol` closes a connection whose next request has not *started* (its headers
complete) within :data:`HEADER_TIMEOUT_S`; the app itself limits how long a body may take
(:data:`detente.web.security.BODY_TIMEOUT_S`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT_S = 10.0


class TimedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request's headers."""

    _header_timer: asyncio.TimerHandle | None = None
    _waiting_cycle: Any = None

    def _arm(self) -> None:
        self._disarm()
        self._waiting_cycle = self.cycle
        self._header_timer = self.loop.call_later(HEADER_TIMEOUT_S, self._too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _too_slow(self) -> None:
        self._header_timer = None
        if self.cycle is self._waiting_cycle and not self.transport.is_closing():
            self.transport.close()  # no request started in time

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.cycle is not self._waiting_cycle:
            self._disarm()  # a request's headers arrived: the app takes over

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.cycle is not None:
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def server_options() -> dict[str, Any]:
    """uvicorn settings for ``detente serve``: request headers within 10 s, idle keep-alive
    connections closed after 5 s, at most 100 connections at once (503 beyond), a graceful stop
    within 5 s."""
    return {
        "http": TimedH11Protocol,
        "timeout_keep_alive": 5,
        "limit_concurrency": 100,
        "timeout_graceful_shutdown": 5,
    }
