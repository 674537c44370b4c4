"""Log lines: JSON objects a shipper reads, with the record's fields, and no secrets in them."""

from __future__ import annotations

import json
import logging

from fapai.logs import JsonLines, redact

TOKEN = "Qx7_kM2vN9pL4rT8wY1zA3bC5dE6fG0hJ-iKlMnOpQr"  # token_urlsafe(32): 43 characters
ID_NUMBER = "44010619900307123X"


def _record(message: str, *args: object, fields: dict | None = None) -> logging.LogRecord:
    record = logging.LogRecord("fapai.requests", logging.INFO, __file__, 1, message, args, None)
    if fields is not None:
        record.fields = fields
    return record


def test_a_line_is_one_json_object_with_the_fields() -> None:
    fields = {"event": "request", "method": "GET", "path": "/lots/3", "status": 200, "ms": 4.2}
    line = JsonLines().format(_record("GET %s %s", "/lots/3", 200, fields=fields))
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["msg"] == "GET /lots/3 200"
    assert parsed["level"] == "info" and parsed["logger"] == "fapai.requests"
    assert parsed["ts"].endswith("+00:00")
    assert {k: parsed[k] for k in fields} == fields


def test_tokens_and_id_numbers_never_reach_a_line() -> None:
    record = _record(
        "sign-in with %s by %s", f"Bearer {TOKEN}", ID_NUMBER, fields={"note": f"token {TOKEN}"}
    )
    line = JsonLines().format(record)
    assert TOKEN not in line and ID_NUMBER not in line
    assert "[redacted]" in line and "[redacted-id]" in line


def test_redaction_leaves_ordinary_text_alone() -> None:
    text = "lot 12: announced -> sold (round 1), amount 70000000, case (2026)粤0104执9号"
    assert redact(text) == text
