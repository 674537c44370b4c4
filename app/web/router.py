"""The pages' router: every page module, and the static files under ``/static``."""

from fastapi import APIRouter
from fastapi.staticfiles import StaticFiles

from app.web.routes import accounts, desk, docs, inquiries, lots, me, publication, results
from app.web.templating import STATIC_DIR

web_router = APIRouter(include_in_schema=False)
for _module in (publication, lots, results, accounts, inquiries, docs, desk, me):
    web_router.include_router(_module.router)
web_router.mount(docs.ASSETS_URL, StaticFiles(directory=docs.DOCS_ASSETS), name="docs-assets")
web_router.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
