"""Closing in the server process: rounds whose end (after extensions) has passed become
``sold`` or ``failed``. Runs once at start-up (what ended while the server was down) and then
every ``settings.closing_interval_seconds``, followed each time by the followers' reminders
(:func:`auction.notifier.remind_once`). Idempotent, so several workers may run it."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from auction.engine import close_due_rounds
from auction.notifier import remind_once
from auction.store import Lot
from fapai import metrics
from fapai.clock import Clock
from fapai.db import session_scope
from fapai.settings import Settings

log = logging.getLogger(__name__)


def close_once(
    writer_factory: sessionmaker[Session], clock: Clock, settings: Settings
) -> list[int]:
    """Close what is due now, in one transaction; return the lot ids closed. Counts each close
    and how late it came (``fapai_closing_lag_seconds``)."""
    now = clock.now()
    with session_scope(writer_factory) as session:
        closed = close_due_rounds(session, now, settings)
        query = select(Lot.ends_at, Lot.status).where(Lot.id.in_(closed))
        ended = session.execute(query).all() if closed else []
    for ends_at, status in ended:
        metrics.CLOSING_LAG.observe(max(0.0, (now - ends_at).total_seconds()))
        metrics.LOTS_CLOSED.labels(status).inc()
    if closed:
        log.info("closed %d round(s): lots %s", len(closed), closed)
    return closed


async def closing_loop(
    writer_factory: sessionmaker[Session], clock: Clock, settings: Settings
) -> None:
    """Close due rounds forever, every ``closing_interval_seconds``; a failed pass is logged
    and retried on the next tick rather than stopping the loop."""
    while True:
        await asyncio.sleep(settings.closing_interval_seconds)
        try:
            await asyncio.to_thread(close_once, writer_factory, clock, settings)
            await asyncio.to_thread(remind_once, writer_factory, clock, settings)
        except Exception:
            log.exception("closing pass failed; retrying in %ss", settings.closing_interval_seconds)
