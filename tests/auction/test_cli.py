"""``fapai users add`` prints a working token once and stores only its hash."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from app.cli import app
from auction.auth import user_for_token
from auction.store import ApiToken
from fapai.db import make_engine, session_factory


def test_users_add_prints_a_token_that_authenticates(sqlite_url, monkeypatch):
    from fapai.settings import get_settings

    monkeypatch.setenv("FAPAI_DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["users", "add", "李四", "--role", "court"])
        bad = CliRunner().invoke(app, ["users", "add", "李四", "--role", "judge"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    engine = make_engine(sqlite_url)
    with session_factory(engine)() as s:
        user = user_for_token(s, token)
        assert (user.name, user.role) == ("李四", "court")
        assert token not in s.scalars(select(ApiToken.token_hash)).all()
    engine.dispose()
    assert bad.exit_code != 0 and "judge" in bad.output


def test_audit_verify_names_the_first_altered_event(db_url, world, monkeypatch):
    """``fapai audit verify [LOT]``: a row edited in the database is caught and named."""
    from sqlalchemy import update

    from auction.store import Event
    from fapai.settings import get_settings

    world.register(0)
    world.start_bidding()
    world.bid(0, 700_000)
    lot_id = world.lot.id
    monkeypatch.setenv("FAPAI_DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        clean = CliRunner().invoke(app, ["audit", "verify"])
        world.session.execute(
            update(Event).where(Event.lot_id == lot_id, Event.seq == 2).values(actor_role="court")
        )
        world.session.commit()
        broken = CliRunner().invoke(app, ["audit", "verify", str(lot_id)])
    finally:
        get_settings.cache_clear()
    assert clean.exit_code == 0 and "事件链完整" in clean.output, clean.output
    assert broken.exit_code == 1 and f"标的 {lot_id} 第 2 个事件内容被改动" in broken.output
