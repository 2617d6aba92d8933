"""The web app's guards: only its own origin may change state, a CSRF token on every
state-changing request, loopback host names only, bounded request bodies, slow clients timed
out, a per-client rate limit, and headers that keep the page out of other sites' frames.

A cross-site page can still *send* a request to 127.0.0.1 (a form post, even from a sandboxed
iframe whose Origin is ``null``); it cannot read the page, so it cannot know the token. A POST is
admitted only when its Origin (or, without one, its Referer) is exactly this app's
``scheme://host`` and it carries the token.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse

# Loopback names only: a DNS-rebinding page (evil.example resolving to 127.0.0.1) is refused.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
# Starlette's TestClient sends this name; tests pass it explicitly, the real server never does.
TEST_HOSTS = ("testserver",)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf"
# Seconds a client may take to send its request body (the whole of it): slow-body clients
# (slowloris) are cut off with 408 instead of holding a connection for ever.
BODY_TIMEOUT_S = 20.0

CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'; object-src 'none'"
)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def origin_problem(method: str, headers: dict[str, str], scheme: str) -> str | None:
    """Why a state-changing request is refused (None: admitted) by its Origin/Referer."""
    if method in SAFE_METHODS:
        return None
    host = headers.get("host", "").lower()
    own = f"{scheme}://{host}"
    origin = headers.get("origin")
    if origin is not None:
        if origin.strip().lower() != own:
            return f"cross-origin request from {origin[:80]!r} refused (only {own} may post)"
        return None
    referer = headers.get("referer")
    if referer is not None and _origin_of(referer) != own:
        return "cross-origin request refused (its Referer is another site)"
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site not in (None, "same-origin", "none"):
        return f"cross-origin request refused (Sec-Fetch-Site: {fetch_site[:20]})"
    return None


def _html_error(message: str, status: int, extra: dict[str, str] | None = None) -> HTMLResponse:
    import html

    return HTMLResponse(
        f'<div class="error" role="alert" id="error-box"><strong>Error:</strong> '
        f"{html.escape(message)}</div>",
        status_code=status,
        headers={"HX-Retarget": "#messages", "HX-Reswap": "innerHTML", **(extra or {})},
    )


class Guard:
    """ASGI middleware: origin and CSRF checks on state-changing requests, a per-client token
    bucket (429 with Retry-After), a body-size cap and a body-time limit, security headers."""

    def __init__(
        self,
        app: Any,
        *,
        token: str,
        max_body: int,
        rate: float | None,
        burst: int,
        body_timeout: float | None = None,
        stats: dict[str, int] | None = None,
    ) -> None:
        self.app, self.token, self.max_body = app, token, max_body
        self.rate, self.burst = rate, burst
        self.body_timeout = BODY_TIMEOUT_S if body_timeout is None else body_timeout
        self.buckets: dict[str, tuple[float, float]] = {}
        # Counts of refused requests by reason (reported by /health).
        self.stats = stats if stats is not None else {}

    def _allow(self, client: str) -> float:
        """0 when the request may go ahead, else the seconds until it may."""
        if not self.rate:
            return 0.0
        now = time.monotonic()
        tokens, last = self.buckets.get(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        if tokens < 1.0:
            self.buckets[client] = (tokens, now)
            return (1.0 - tokens) / self.rate
        if len(self.buckets) > 10_000:
            self.buckets = {
                k: v
                for k, v in self.buckets.items()
                if v[0] + (now - v[1]) * self.rate < self.burst
            }
        self.buckets[client] = (tokens - 1.0, now)
        return 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        method = scope.get("method", "GET")
        path = scope.get("path", "")

        async def refuse(resp: HTMLResponse) -> None:
            await resp(scope, receive, send_with_headers)

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                extra = [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                ]
                message = {**message, "headers": list(message.get("headers", [])) + extra}
            await send(message)

        if not path.startswith("/static/"):
            wait = self._allow((scope.get("client") or ("unknown", 0))[0])
            if wait > 0:
                await refuse(
                    _html_error(
                        f"too many requests: slow down and try again in {wait:.1f} s",
                        429,
                        {"Retry-After": str(max(1, round(wait)))},
                    )
                )
                return
        problem = origin_problem(method, headers, scope.get("scheme", "http"))
        if problem:
            self.stats["cross_origin"] = self.stats.get("cross_origin", 0) + 1
            await refuse(_html_error(problem, 403))
            return
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await refuse(
                _html_error(
                    f"the request is too large ({int(length):,} bytes; scenario uploads are "
                    f"limited to {self.max_body // 2:,} bytes)",
                    413,
                )
            )
            return
        received = 0
        deadline = time.monotonic() + self.body_timeout

        async def counted() -> Any:
            nonlocal received
            left = deadline - time.monotonic()
            try:
                message = await asyncio.wait_for(receive(), timeout=max(0.01, left))
            except TimeoutError:
                raise SlowClient(
                    f"the request body took longer than {self.body_timeout:g} s to arrive"
                ) from None
            if message.get("type") == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge(
                        f"the request is too large (over {self.max_body:,} bytes; scenario "
                        f"uploads are limited to {self.max_body // 2:,} bytes)"
                    )
            return message

        await self.app(scope, counted, send_with_headers)


class BodyTooLarge(Exception):
    """A request body (sent without Content-Length, e.g. chunked) grew past the limit."""


class SlowClient(Exception):
    """A client that sends its request body too slowly."""


async def check_csrf(request: Request) -> None:
    """FastAPI dependency: a state-changing request carries the page's token (header or field)."""
    if request.method in SAFE_METHODS:
        return
    token = request.app.state.csrf_token
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not sent or not secrets.compare_digest(sent, token):
        raise CsrfError(
            "this form is stale or came from another page (its CSRF token is missing or "
            "wrong): reload the page and try again"
        )


from detente.web.core import WebError  # noqa: E402


class CsrfError(WebError):
    """A state-changing request without the page's CSRF token."""
