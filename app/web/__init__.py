"""Server-rendered pages (Jinja2 templates, plain CSS, a little JavaScript), in Chinese, on the
same services as the JSON API.

``web_router`` (assembled in :mod:`app.web.router`) is imported on first use, so the PDF
worker process, which imports only :mod:`app.web.pdf`, does not load the whole app.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "web_router":
        from app.web.router import web_router

        return web_router
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
