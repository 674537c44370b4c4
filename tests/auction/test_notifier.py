"""Reminders leave by e-mail and webhook where the settings configure them: through a real
local SMTP server (aiosmtpd) and a real local HTTP server, each reminder once."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy

from sqlalchemy import select

from app.testing import free_port
from auction import engine
from auction.follows import Reminder, follow, set_email
from auction.notifier import notifiers, remind_once
from fapai.db import make_engine, session_factory, session_scope, writer_engine


def test_reminders_go_by_email_and_webhook_once(
    db_url, clock, settings, lot_data, smtp_sink, http_sink
) -> None:
    port, box = smtp_sink
    hook, posted = http_sink
    settings = settings.model_copy(
        update={
            "database_url": db_url,
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "webhook_url": hook,
        }
    )
    assert [n.name for n in notifiers(settings)] == ["email", "webhook"]
    db = make_engine(db_url)
    factory = session_factory(writer_engine(db))
    from auction import auth

    with session_scope(factory) as session:
        user, _ = auth.create_user(session, "张三", "bidder", clock.now())
        silent, _ = auth.create_user(session, "李四", "bidder", clock.now())
        lot = engine.create_lot(session, lot_data(), clock.now(), settings)
        for who in (user, silent):
            follow(session, who.id, lot.id, clock.now())
        set_email(session, user.id, "zhang@example.test")
        starts = lot.starts_at
    clock.set(starts - timedelta(minutes=30))
    assert remind_once(factory, clock, settings) == 2
    assert remind_once(factory, clock, settings) == 0
    assert len(box.messages) == 1  # only 张三 gave an address
    mail = message_from_bytes(box.messages[0], policy=policy.default)
    assert mail["To"] == "zhang@example.test" and mail["Subject"] == "拍品提醒：即将开始"
    assert "开始竞价" in mail.get_content() and f"/lots/{lot.id}" in mail.get_content()
    assert len(posted) == 2 and {p["kind"] for p in posted} == {"starts"}
    assert all("开始竞价" in p["message"] for p in posted)
    with session_scope(factory) as session:
        deliveries = sorted(r.delivery for r in session.scalars(select(Reminder)))
    assert deliveries == ["email:sent,webhook:sent", "email:skipped,webhook:sent"]
    db.dispose()


def test_an_unreachable_channel_is_recorded_not_raised(db_url, clock, settings, lot_data) -> None:
    settings = settings.model_copy(
        update={
            "database_url": db_url,
            "webhook_url": f"http://127.0.0.1:{free_port()}/nobody",
        }
    )
    db = make_engine(db_url)
    factory = session_factory(writer_engine(db))
    from auction import auth

    with session_scope(factory) as session:
        user, _ = auth.create_user(session, "张三", "bidder", clock.now())
        lot = engine.create_lot(session, lot_data(), clock.now(), settings)
        follow(session, user.id, lot.id, clock.now())
        ends = lot.ends_at
    clock.set(ends - timedelta(minutes=5))
    assert remind_once(factory, clock, settings) == 1
    with session_scope(factory) as session:
        (reminder,) = session.scalars(select(Reminder)).all()
        assert (reminder.kind, reminder.delivery) == ("ends", "webhook:failed")
        assert "竞价结束" in reminder.message
    db.dispose()
