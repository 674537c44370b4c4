"""Typed errors of the auction core. The API maps each to its HTTP status in one handler
(``app.errors``); the CLI prints their message.
"""

from __future__ import annotations


class FapaiError(Exception):
    """Base of every expected error: a status code, a message in words, maybe the field."""

    status_code: int = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def to_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"error": type(self).__name__, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        return body


class NotFound(FapaiError):
    status_code = 404


class Conflict(FapaiError):
    """The request is valid but the state does not allow it (closed, outbid, wrong round)."""

    status_code = 409


class Unauthorized(FapaiError):
    status_code = 401


class Forbidden(FapaiError):
    status_code = 403


class RuleViolation(FapaiError):
    """Input that breaks a legal rule (or a format the law fixes): ``field`` and ``article`` are
    stable machine codes, ``rule`` says in Chinese what the rule requires."""

    status_code = 422

    def __init__(self, field: str, rule: str, article: str | None = None) -> None:
        message = rule + (f"（{article}）" if article else "")
        super().__init__(message, field)
        self.rule = rule
        self.article = article

    def to_dict(self) -> dict[str, object]:
        return {**super().to_dict(), "rule": self.rule, "article": self.article}


class TooManyRequests(FapaiError):
    """A rate limit was reached; ``retry_after`` seconds until the next attempt may pass."""

    status_code = 429

    def __init__(self, message: str, retry_after: int, field: str | None = None) -> None:
        super().__init__(message, field)
        self.retry_after = max(1, retry_after)
