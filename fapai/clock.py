"""Injected time. The engine never calls ``datetime.now()``: it is handed a clock.

All datetimes are timezone-aware UTC in storage; ``to_display`` converts for people.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:  # pragma: no cover - protocol
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    """The real clock (UTC)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock tests control: it stands still until moved."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = ensure_utc(start or datetime(2026, 1, 5, 2, 0, tzinfo=UTC))
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, when: datetime) -> None:
        with self._lock:
            self._now = ensure_utc(when)

    def advance(self, seconds: float = 0, **kwargs: float) -> datetime:
        with self._lock:
            self._now = self._now + timedelta(seconds=seconds, **kwargs)
            return self._now


def ensure_utc(when: datetime) -> datetime:
    """Aware UTC. A naive datetime is taken to be UTC (SQLite returns naive values)."""
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def to_display(when: datetime, tz: str = "Asia/Shanghai") -> datetime:
    """A stored UTC time in the display time zone."""
    return ensure_utc(when).astimezone(ZoneInfo(tz))
