"""Inquiry reports in the project database: the report as issued, and its sources.

``inquiries.report`` keeps the report's JSON text exactly as it was returned, so
``GET /api/inquiries/{id}`` gives it back unchanged later, even after another model is
promoted. The legal reference price (fen; NULL while no listed platform has answered) and the
validity are also columns, for publishing a lot (:func:`get_inquiry_reference`), and each
platform asked is a row of ``inquiry_sources``: when it was asked, when it answered and what
(NULL: no answer), whether its result was flagged and confirmed — the audit trail of the mean
(参考价规定 第十三条).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from fapai.db import Base, UTCDateTime
from valuation.inquiry import InquiryReport


class Inquiry(Base):
    __tablename__ = "inquiries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    reference_price: Mapped[int | None] = mapped_column(BigInteger)  # fen; None: no answer yet
    model_version: Mapped[str] = mapped_column(String(80))
    city: Mapped[str | None] = mapped_column(String(20))
    district: Mapped[str | None] = mapped_column(String(30))
    area_m2: Mapped[float | None] = mapped_column(Float)
    report: Mapped[str] = mapped_column(Text)  # the JSON as issued, byte for byte
    # The court that asked (auction_courts.id; no ORM link: valuation does not import auction).
    court_id: Mapped[int | None] = mapped_column(Integer, index=True)


class InquirySource(Base):
    __tablename__ = "inquiry_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(
        ForeignKey("inquiries.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(10))  # "model" or "platform"
    price: Mapped[int | None] = mapped_column(BigInteger)  # fen; None: asked, no answer
    asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)


def save_inquiry(
    session: Session, report: InquiryReport, court_id: int | None = None
) -> dict[str, Any]:
    """Store the report (of the court ``court_id``) and its sources; return the report as
    issued, with its ``id``.

    The caller owns the transaction.
    """
    body = report.to_json()
    row = Inquiry(
        created_at=report.created_at,
        valid_until=report.valid_until,
        reference_price=report.reference_price_fen,
        model_version=report.model_version,
        city=body["description"].get("city"),
        district=body["description"].get("district"),
        area_m2=body["description"].get("area_m2"),
        report=json.dumps(body, ensure_ascii=False),
        court_id=court_id,
    )
    session.add(row)
    session.flush()
    session.add_all(
        InquirySource(
            inquiry_id=row.id,
            platform=s.platform,
            kind=s.kind,
            price=s.price_fen,
            asked_at=s.asked_at,
            answered_at=s.answered_at,
            flagged=s.flagged,
            confirmed=s.confirmed,
        )
        for s in report.sources
    )
    return {"id": row.id, **body}


def get_inquiry(session: Session, inquiry_id: int, court_id: int | None) -> dict[str, Any] | None:
    """The report exactly as issued, with its ``id``; None if there is no such inquiry of the
    court ``court_id`` (another court's inquiry is as absent as one that does not exist)."""
    text = session.scalar(
        select(Inquiry.report).where(Inquiry.id == inquiry_id, Inquiry.court_id == court_id)
    )
    return None if text is None else {"id": inquiry_id, **json.loads(text)}


def get_inquiry_reference(
    session: Session, inquiry_id: int, court_id: int | None
) -> tuple[int | None, datetime] | None:
    """(legal reference price in fen, or None while there is none; valid_until) of an inquiry
    of the court ``court_id``, for publishing a lot from it; None if the court has no such
    inquiry."""
    row = session.execute(
        select(Inquiry.reference_price, Inquiry.valid_until).where(
            Inquiry.id == inquiry_id, Inquiry.court_id == court_id
        )
    ).first()
    return None if row is None else (row.reference_price, row.valid_until)
