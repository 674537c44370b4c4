"""Sold lots to learn the expected final price from: the shipped history, sold rounds, and the
crawled platform results as finished rounds (valuation's own ``auction_results`` table)."""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from fapai.clock import ensure_utc
from valuation.auction_history.derive import HISTORY_FILE
from valuation.auction_results import AuctionResultRow
from valuation.outcome.records import FinishedRound, Lot

LOW_TRUST_WEIGHT = 0.5  # rows the archive filled with a language model (is_ai_fixed)
HISTORY_COLUMNS = (
    "city",
    "sold_on",
    "area_m2",
    "reference_fen",
    "start_fen",
    "final_fen",
    "round_hint",
    "weight",
)


def load_history(path: Path = HISTORY_FILE) -> pd.DataFrame:
    """The shipped sold-lot history (see valuation/auction_history/DATA_CARD.md)."""
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        df = pd.DataFrame(list(csv.DictReader(fh)))
    return pd.DataFrame(
        {
            "city": df["city"],
            "sold_on": pd.to_datetime(df["sold_on"]),
            "area_m2": pd.to_numeric(df["area_m2"].replace("", None), errors="coerce"),
            "reference_fen": df["reference_fen"].astype("int64"),
            "start_fen": df["start_fen"].astype("int64"),
            "final_fen": df["final_fen"].astype("int64"),
            "round_hint": df["round_hint"],
            "weight": np.where(df["low_trust"] == "1", LOW_TRUST_WEIGHT, 1.0),
        }
    )


def sold_rows(rounds: Iterable[FinishedRound]) -> pd.DataFrame:
    """Sold rounds as history rows (the same columns as :func:`load_history`)."""
    rows = [
        {
            "city": r.lot.city,
            "sold_on": pd.Timestamp(r.lot.when),
            "area_m2": r.lot.area_m2,
            "reference_fen": r.lot.reference_fen,
            "start_fen": r.start_fen,
            "final_fen": r.final_fen,
            "round_hint": "",
            "weight": 1.0,
        }
        for r in rounds
        if r.sold and r.final_fen is not None
    ]
    return pd.DataFrame(rows, columns=list(HISTORY_COLUMNS))


def crawled_rounds(session: Session) -> list[FinishedRound]:
    """The platforms' finished rounds 1 and 2 (sold or failed) with an appraisal price, from
    the crawled ``auction_results``."""
    return [
        FinishedRound(
            Lot(r.city, r.appraisal_price_fen, ensure_utc(r.end_at).date(), r.area_m2, r.district),
            r.start_price_fen,
            r.status == "sold",
            r.final_price_fen,
            origin="crawled",
        )
        for r in session.scalars(
            select(AuctionResultRow).where(
                AuctionResultRow.status.in_(("sold", "failed")),
                AuctionResultRow.round.in_((1, 2)),
                AuctionResultRow.appraisal_price_fen > 0,
                AuctionResultRow.start_price_fen > 0,
                AuctionResultRow.city.is_not(None),
                AuctionResultRow.end_at.is_not(None),
            )
        ).all()
    ]
