"""The one place errors become HTTP responses: typed core errors keep their status; invalid
input is 422 naming the field; a database conflict is 409; nothing leaks a traceback.

The JSON API (``/api/…``) answers JSON: a stable machine code (``error``, and ``field`` /
``rule`` where there is one) and a Chinese ``message``. Every other path is a page: a styled
error page in Chinese (404, 403, 405, 500…), never ``{"detail": "Not Found"}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException

from fapai.errors import FapaiError, TooManyRequests, Unauthorized

log = logging.getLogger(__name__)

# What a person reads for an HTTP status without a message of its own: (heading, message).
STATUS_WORDS: dict[int, tuple[str, str]] = {
    400: ("请求有误", "请求的格式不正确，请检查后重试。"),
    401: ("需要登录", "请先登录。"),
    403: ("没有权限", "您的账号不能访问此页面。"),
    404: ("找不到页面", "您要找的页面不存在，可能已被移除或地址有误。"),
    405: ("不支持的操作", "此地址不支持这种请求方式。"),
    409: ("未能办理", "当前状态不允许此操作，请刷新后重试。"),
    413: ("内容过大", "提交的内容超过了允许的大小。"),
    422: ("填写有误", "提交的内容不符合要求。"),
    429: ("请求过于频繁", "请稍后再试。"),
    500: ("服务器出错", "服务器内部出错，我们已记录此问题，请稍后重试。"),
    503: ("系统繁忙", "系统繁忙，请稍后重试。"),
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


def status_words(status_code: int) -> tuple[str, str]:
    """The Chinese heading and message of an HTTP status (a 4xx without its own words reads
    as 400's, a 5xx as 500's)."""
    fallback = 500 if status_code >= 500 else 400
    return STATUS_WORDS.get(status_code, STATUS_WORDS[fallback])


def error_html(
    request: Request, status_code: int, message: str | None = None, headers: dict | None = None
) -> HTMLResponse:
    """The styled error page of a web path, with the signed-in user's header when there is
    one (and without it when even that cannot be read)."""
    from app.web.templating import error_page

    user = None
    try:
        from app.deps import page_user

        user = page_user(request)
    except Exception:
        log.debug("no user for the error page", exc_info=True)
    heading, words = status_words(status_code)
    response = error_page(request, user, status_code, heading, message or words)
    if headers:
        response.headers.update(headers)
    return response


def _field(loc: tuple | list) -> str:
    """``("body", "amount")`` → ``"amount"``; query and path parameters keep their name."""
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def _fapai_error(request: Request, exc: FapaiError) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
    if isinstance(exc, TooManyRequests):
        headers = {"Retry-After": str(exc.retry_after)}
    from app.web.forms import explain, reads_as_chinese

    if not _is_api(request):
        return error_html(request, exc.status_code, explain(exc), headers)
    body = exc.to_dict()
    if not reads_as_chinese(exc.message):
        # The machine codes stay; the core's own words move to ``detail``.
        body["message"], body["detail"] = explain(exc), exc.message
    return JSONResponse(body, status_code=exc.status_code, headers=headers)


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    errors = [
        {"field": _field(e.get("loc", ())), "type": e.get("type", ""), "detail": e.get("msg", "")}
        for e in exc.errors()
    ]
    first = errors[0] if errors else {"field": "body", "type": "", "detail": ""}
    from app.web.forms import validation_words

    words = validation_words(exc.errors()[0]) if exc.errors() else "格式不正确"
    message = f"请求参数 {first['field']} {words}"
    if not _is_api(request):
        return error_html(request, 422, f"{message}。")
    return JSONResponse(
        {
            "error": "ValidationError",
            "message": message,
            "field": first["field"],
            "rule": first["type"],
            "errors": errors,
        },
        status_code=422,
    )


async def _http_error(request: Request, exc: HTTPException) -> Response:
    """Unknown API paths and wrong methods answer in the API's error shape; other paths get
    the styled page."""
    if not _is_api(request):
        return error_html(request, exc.status_code, headers=exc.headers)
    return JSONResponse(
        {
            "error": "HTTPError",
            "rule": f"http_{exc.status_code}",
            "message": status_words(exc.status_code)[1],
        },
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def _integrity_error(request: Request, exc: IntegrityError) -> Response:
    # A unique constraint lost to a concurrent request: the state changed, the client retries.
    log.info("integrity conflict: %s", exc.orig)
    message = "与同时进行的另一操作冲突，请重试。"
    if not _is_api(request):
        return error_html(request, 409, message)
    return JSONResponse(
        {"error": "Conflict", "rule": "concurrent_change", "message": message}, status_code=409
    )


async def _busy_error(request: Request, exc: OperationalError) -> Response:
    log.warning("database unavailable or busy: %s", exc.orig)
    headers = {"Retry-After": "1"}
    if not _is_api(request):
        return error_html(request, 503, headers=headers)
    return JSONResponse(
        {"error": "ServiceUnavailable", "rule": "database_busy", "message": status_words(503)[1]},
        status_code=503,
        headers=headers,
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error", exc_info=exc)
    if not _is_api(request):
        return error_html(request, 500)
    return JSONResponse(
        {"error": "InternalError", "rule": "internal_error", "message": status_words(500)[1]},
        status_code=500,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(FapaiError, _fapai_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(OperationalError, _busy_error)
    app.add_exception_handler(Exception, _unexpected)
