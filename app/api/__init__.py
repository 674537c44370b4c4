"""The JSON API: one router module per resource under ``routes/``, assembled here."""

from fastapi import APIRouter

from app.api.routes import (
    accounts,
    appraisals,
    bidders,
    bids,
    deposits,
    disposal,
    inquiries,
    lots,
    results,
)

api_router = APIRouter()
for _module in (lots, disposal, bids, results, bidders, inquiries, appraisals, deposits, accounts):
    api_router.include_router(_module.router)
