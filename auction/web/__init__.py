"""Server-rendered pages (Jinja2 templates, plain CSS, a little JavaScript), in Chinese, on the
same services as the JSON API. Static files are served under ``/static``."""

from fastapi import APIRouter
from fastapi.staticfiles import StaticFiles

from auction.web.routes import accounts, inquiries, lots, publication, results
from auction.web.templating import STATIC_DIR

web_router = APIRouter(include_in_schema=False)
for _module in (publication, lots, results, accounts, inquiries):
    web_router.include_router(_module.router)
web_router.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
