"""Sending reminders beyond the page: by e-mail (``FAPAI_SMTP_HOST``) and to a webhook
(``FAPAI_WEBHOOK_URL``), each only where the deployment configures it. A notifier is anything
with ``send(reminder, email)``; :func:`notifiers` builds the configured ones, and
:func:`remind_once` (run by the server's closing loop) makes the due reminders and sends them."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from typing import Protocol

import httpx
from sqlalchemy.orm import Session, sessionmaker

from auction.follows import Reminder, email_of, make_reminders
from fapai.clock import Clock
from fapai.db import session_scope
from fapai.settings import Settings

log = logging.getLogger(__name__)


class Notifier(Protocol):
    name: str

    def send(self, reminder: Reminder, email: str | None) -> bool:
        """Deliver one reminder; True if it was sent (False: nothing to send it to)."""


class EmailNotifier:
    """Plain-text e-mail in UTF-8 through an SMTP server."""

    name = "email"

    def __init__(self, host: str, port: int, sender: str) -> None:
        self.host, self.port, self.sender = host, port, sender

    def send(self, reminder: Reminder, email: str | None) -> bool:
        if not email:
            return False
        message = EmailMessage()
        message["From"], message["To"] = self.sender, email
        message["Subject"] = "拍品提醒" + (
            "：即将开始" if reminder.kind == "starts" else "：即将结束"
        )
        message.set_content(f"{reminder.message}\n\n拍品页：/lots/{reminder.lot_id}\n")
        with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
            smtp.send_message(message)
        return True


class WebhookNotifier:
    """Each reminder as a JSON POST to one URL."""

    name = "webhook"

    def __init__(self, url: str) -> None:
        self.url = url

    def send(self, reminder: Reminder, email: str | None) -> bool:
        body = {
            "kind": reminder.kind,
            "lot_id": reminder.lot_id,
            "user_id": reminder.user_id,
            "message": reminder.message,
            "created_at": reminder.created_at.isoformat(),
        }
        httpx.post(self.url, json=body, timeout=10).raise_for_status()
        return True


def notifiers(settings: Settings) -> list[Notifier]:
    """The channels the settings configure (none: reminders stay on the page)."""
    found: list[Notifier] = []
    if settings.smtp_host:
        found.append(EmailNotifier(settings.smtp_host, settings.smtp_port, settings.mail_from))
    if settings.webhook_url:
        found.append(WebhookNotifier(settings.webhook_url))
    return found


def _deliver(reminder: Reminder, email: str | None, channels: list[Notifier]) -> str:
    outcome = []
    for channel in channels:
        try:
            sent = channel.send(reminder, email)
        except (OSError, smtplib.SMTPException, httpx.HTTPError) as exc:
            log.warning("reminder %s by %s failed: %s", reminder.id, channel.name, exc)
            outcome.append(f"{channel.name}:failed")
            continue
        outcome.append(f"{channel.name}:{'sent' if sent else 'skipped'}")
    return ",".join(outcome) or "page"


def remind_once(
    writer_factory: sessionmaker[Session],
    clock: Clock,
    settings: Settings,
    channels: list[Notifier] | None = None,
) -> int:
    """Make the due reminders (committed first, so each is made once), then send each by the
    configured channels and record how it went. Returns how many were made."""
    with session_scope(writer_factory) as session:
        made = make_reminders(session, clock.now(), settings)
        pending = [(r.id, email_of(session, r.user_id)) for r in made]
    channels = notifiers(settings) if channels is None else channels
    for reminder_id, email in pending:
        with session_scope(writer_factory) as session:
            reminder = session.get(Reminder, reminder_id)
            assert reminder is not None
            reminder.delivery = _deliver(reminder, email, channels)[:200]
            reminder.sent_at = clock.now()
    if pending:
        log.info("made %d reminder(s)", len(pending))
    return len(pending)
