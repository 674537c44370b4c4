"""The app's protections that are not about who may do what (that is :mod:`app.deps` and the
engine's court checks): request size, rate limits, same-origin form posts, trusted hosts,
security headers, safe redirects. SECURITY.md lists them with their settings.

- Bodies above ``FAPAI_MAX_BODY_BYTES`` are refused with 413 before they are read (a declared
  ``Content-Length``) or as soon as the bytes read pass the cap (a chunked body).
- Rate limits (``limits``, moving window) per client IP and per user, in Redis when
  ``FAPAI_REDIS_URL`` is set (every worker shares them), in the process otherwise; a refusal
  is 429 with ``Retry-After``.
- A page form post (any unsafe method outside ``/api/``) must come from this site: its
  ``Origin`` (or, failing that, its ``Referer``) must name the host the request was sent to.
  That stops cross-site request forgery, login CSRF included. The JSON API takes only bearer
  tokens, which a browser never adds by itself, so it needs no such check.
- Only the host names in ``FAPAI_ALLOWED_HOSTS`` are served, so a forged ``Host`` header
  cannot rewrite the links the pages build.
- Every response carries a Content-Security-Policy without inline script, frame-ancestors
  'none', nosniff and a Referrer-Policy.
"""

from __future__ import annotations

import math
import time
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.exceptions import HTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import HTMLResponse, JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fapai.errors import TooManyRequests
from fapai.settings import Settings

NO_STORE = {"Cache-Control": "no-store"}
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# The interactive API docs (Swagger UI, ReDoc) start themselves with an inline script, and
# ReDoc searches in a worker it makes from a blob.
DOCS_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'") + (
    "; worker-src 'self' blob:"
)
DOCS_PATHS = ("/docs", "/redoc")
HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


# --- redirects ------------------------------------------------------------------------------


def safe_next(target: str | None) -> str:
    """``target`` when it is a path on this site, else ``/``: never an open redirect.

    Browsers drop tabs and newlines from URLs and read ``\\`` as ``/``, so ``/\\t/evil.example``
    would become ``//evil.example`` (another site): any control character, space or backslash
    refuses the target, as does anything that parses with a scheme or a host.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    if any(c <= " " or c in "\\\x7f" for c in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


# --- rate limits ----------------------------------------------------------------------------


class RateLimits:
    """Named limits over a shared storage (Redis URL, or memory in this process)."""

    def __init__(self, redis_url: str | None, namespace: str) -> None:
        self.storage = storage_from_string(redis_url or "memory://")
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.namespace = namespace

    def hit(self, name: str, rate: str, who: str) -> None:
        """Count one attempt of ``who`` at ``name``; TooManyRequests when past ``rate``."""
        item = parse(rate)
        if self.limiter.hit(item, self.namespace, name, who):
            return
        reset = self.limiter.get_window_stats(item, self.namespace, name, who).reset_time
        wait = max(1, math.ceil(reset - time.time()))
        raise TooManyRequests(f"操作过于频繁，请 {wait} 秒后再试", wait)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def limit(request: Request, name: str, rate: str, user_id: int | None = None) -> None:
    """Count this request against ``name``'s limit: per client IP, or per user when given."""
    who = f"user:{user_id}" if user_id is not None else f"ip:{client_ip(request)}"
    request.app.state.rate_limits.hit(name, rate, who)


def limit_bid(request: Request, settings: Settings, user_id: int) -> None:
    """A bid counts against the bidder's limit and the client IP's."""
    limit(request, "bid", settings.rate_limit_bid_user, user_id)
    limit(request, "bid", settings.rate_limit_bid_ip)


# --- middleware -----------------------------------------------------------------------------


class BodyLimit:
    """413 for a body larger than ``max_bytes``: declared (refused before reading) or chunked
    (refused once the bytes read pass the cap; the route sees an HTTPException)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            response = _refusal(scope, 413, f"请求内容过大（上限 {self.max_bytes} 字节）")
            await response(scope, receive, send)
            return
        seen = 0

        async def capped() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise HTTPException(413, f"请求内容过大（上限 {self.max_bytes} 字节）")
            return message

        await self.app(scope, capped, send)


class SameOriginPosts:
    """Refuse (403) a page form post whose Origin/Referer is not this site."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in UNSAFE_METHODS
            and not scope["path"].startswith("/api/")
            and not _same_origin(dict(scope["headers"]))
        ):
            response = _refusal(scope, 403, "请求来源不是本站（可能是跨站请求伪造），已拒绝。")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _same_origin(headers: dict[bytes, bytes]) -> bool:
    host = headers.get(b"host", b"").decode("latin-1").lower()
    source = headers.get(b"origin") or headers.get(b"referer")
    if not host or not source or source == b"null":
        return False
    return urlsplit(source.decode("latin-1")).netloc.lower() == host


class SecurityHeaders:
    """CSP, nosniff, Referrer-Policy and X-Frame-Options on every response (a header the
    route set itself is kept)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"].startswith(DOCS_PATHS) else CSP
        extra = {**HEADERS, "content-security-policy": csp}

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k.encode(), v.encode()) for k, v in extra.items() if k.encode() not in present
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


def _refusal(scope: Scope, status: int, message: str) -> HTMLResponse | JSONResponse:
    """A refusal in the API's error shape, or as a small page in words."""
    if scope["path"].startswith("/api/"):
        return JSONResponse({"error": "HTTPError", "message": message}, status_code=status)
    return HTMLResponse(
        f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>请求被拒绝</title>'
        f"<p>{message}</p></html>",
        status_code=status,
    )


def install_security(app: FastAPI, settings: Settings) -> None:
    """The middleware above, outermost first: headers, trusted hosts, body cap, same-origin."""
    app.state.rate_limits = RateLimits(settings.redis_url, settings.rate_limit_namespace)
    app.add_middleware(SameOriginPosts)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts)
    app.add_middleware(SecurityHeaders)
