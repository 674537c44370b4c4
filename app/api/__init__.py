"""The JSON API: one router module per resource under ``routes/``, assembled here."""

from fastapi import APIRouter

from app.api.routes import appraisals, bidders, bids, inquiries, lots, results

api_router = APIRouter()
for _module in (lots, bids, results, bidders, inquiries, appraisals):
    api_router.include_router(_module.router)
