"""The one place errors become HTTP responses: typed core errors keep their status; invalid
input is 422 naming the field; a database conflict is 409; nothing leaks a traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException

from fapai.errors import FapaiError, TooManyRequests, Unauthorized

log = logging.getLogger(__name__)


def _field(loc: tuple | list) -> str:
    """``("body", "amount")`` → ``"amount"``; query and path parameters keep their name."""
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def _fapai_error(_request: Request, exc: FapaiError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
    if isinstance(exc, TooManyRequests):
        headers = {"Retry-After": str(exc.retry_after)}
    return JSONResponse(exc.to_dict(), status_code=exc.status_code, headers=headers)


async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [
        {"field": _field(e.get("loc", ())), "message": e.get("msg", "")} for e in exc.errors()
    ]
    first = errors[0] if errors else {"field": "body", "message": "invalid request"}
    return JSONResponse(
        {
            "error": "ValidationError",
            "message": f"{first['field']}: {first['message']}",
            "field": first["field"],
            "errors": errors,
        },
        status_code=422,
    )


async def _http_error(request: Request, exc: HTTPException) -> Response:
    """Unknown API paths and wrong methods answer in the API's error shape; pages keep theirs."""
    if not request.url.path.startswith("/api/"):
        return await http_exception_handler(request, exc)
    return JSONResponse(
        {"error": "HTTPError", "message": exc.detail},
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def _integrity_error(_request: Request, exc: IntegrityError) -> JSONResponse:
    # A unique constraint lost to a concurrent request: the state changed, the client retries.
    log.info("integrity conflict: %s", exc.orig)
    return JSONResponse(
        {"error": "Conflict", "message": "a concurrent change conflicted with this request; retry"},
        status_code=409,
    )


async def _busy_error(_request: Request, exc: OperationalError) -> JSONResponse:
    log.warning("database unavailable or busy: %s", exc.orig)
    return JSONResponse(
        {"error": "ServiceUnavailable", "message": "the database is busy; retry shortly"},
        status_code=503,
        headers={"Retry-After": "1"},
    )


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    return JSONResponse({"error": "InternalError", "message": "internal error"}, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(FapaiError, _fapai_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(OperationalError, _busy_error)
    app.add_exception_handler(Exception, _unexpected)
