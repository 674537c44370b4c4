"""Server-rendered pages (Jinja2 templates, plain CSS, a little JavaScript)."""

from fastapi import APIRouter

web_router = APIRouter()
