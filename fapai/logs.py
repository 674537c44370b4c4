"""Logging: JSON lines a log shipper reads (one object a line), or plain text for a terminal.

A structured line carries the record's fields given as ``extra={"fields": {...}}`` beside the
time (UTC), level, logger and message. Secrets never reach a line: bearer tokens and PRC
resident ID numbers are masked in every message and field (:func:`redact`), and callers log
ids, never tokens or names.
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
from datetime import UTC, datetime
from typing import Any, Literal

LogFormat = Literal["json", "text"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The two loggers a shipper reads: one line per HTTP request, one per state change (a lot's
# status moving, logged when its transaction commits).
REQUESTS = "fapai.requests"
STATE_CHANGES = "fapai.state"

# A bearer token (``Bearer xxx`` or a bare 43-character token_urlsafe(32)) and an 18-character
# resident ID number (17 digits and a digit or X).
_SECRETS = (
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9_\-.=]+"), r"\1[redacted]"),
    (re.compile(r"(?<![A-Za-z0-9_\-])[A-Za-z0-9_\-]{43}(?![A-Za-z0-9_\-])"), "[redacted]"),
    (re.compile(r"(?<!\d)\d{17}[\dXx](?![\dA-Za-z])"), "[redacted-id]"),
)


def redact(text: str) -> str:
    """``text`` with bearer tokens and resident ID numbers masked."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def _clean(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class JsonLines(logging.Formatter):
    """One JSON object per record: ``ts`` (UTC, ISO 8601), ``level``, ``logger``, ``msg``,
    the record's ``fields`` and, for an exception, ``exc``."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update({str(k): _clean(v) for k, v in fields.items() if k not in line})
        if record.exc_info:
            line["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)


class RedactingText(logging.Formatter):
    """The plain text format, secrets masked."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def logging_config(
    level: str = "INFO", fmt: LogFormat = "json", migrations: bool = True
) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for fapai and uvicorn: every line to stderr in ``fmt``;
    uvicorn's own access log off (fapai writes one line per request itself). Without
    ``migrations`` the schema check every command makes says nothing below a warning (a
    command-line tool's output is its own; ``fapai -v`` shows them)."""
    schema_level = level if migrations else "WARNING"
    formatter = {"()": JsonLines} if fmt == "json" else {"()": RedactingText, "format": TEXT_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"fapai": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "fapai",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
            # Alembic announces every plugin it sets up; keep only the migrations it runs.
            "alembic.runtime.plugins": {"level": "WARNING"},
            "alembic": {"level": schema_level},
            "fapai.db": {"level": schema_level},
            STATE_CHANGES: {"level": level},
        },
    }


def configure(level: str = "INFO", fmt: LogFormat = "json", migrations: bool = True) -> None:
    """Configure this process's logging (see :func:`logging_config`)."""
    logging.config.dictConfig(logging_config(level, fmt, migrations))
