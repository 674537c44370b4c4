"""The Jinja environment of the pages: templates folder, filters and globals."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from app.web import display

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"


def build_templates() -> Jinja2Templates:
    """Templates with the display filters: ``{{ lot.start_price | yuan }}``, ``| wan``,
    ``| percent``, ``| local_time``, ``| local_date``, ``| duration``, ``| full_address`` (of
    a lot), and the code-to-word maps ``| property_type``, ``| status``, ``| method``,
    ``| round_name``."""
    templates = Jinja2Templates(directory=TEMPLATES_DIR)
    env = templates.env
    env.filters.update(
        yuan=display.yuan,
        wan=display.wan,
        percent=display.percent,
        local_time=display.local_time,
        local_date=display.local_date,
        duration=display.duration_words,
        full_address=lambda lot: display.full_address(lot.city, lot.district, lot.address),
        property_type=lambda code: display.label(display.PROPERTY_TYPES, code),
        status=lambda code: display.label(display.STATUSES, code),
        method=lambda code: display.label(display.REFERENCE_METHODS, code),
        round_name=lambda code: display.label(display.ROUNDS, code),
    )
    env.globals.update(
        PROPERTY_TYPES=display.PROPERTY_TYPES,
    )
    return templates


templates = build_templates()
