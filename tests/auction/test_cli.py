"""``fapai courts add``, ``fapai users add --court`` (a token printed once, stored hashed),
``fapai users rotate`` and ``fapai users revoke`` (old tokens stop working)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli import app
from auction.auth import user_for_token
from auction.store import ApiToken, Court
from fapai.db import make_engine, session_factory


@pytest.fixture
def fapai(sqlite_url, monkeypatch) -> Iterator:
    """``fapai(*args)`` → the CliRunner result, on a fresh SQLite file."""
    from fapai.settings import get_settings

    monkeypatch.setenv("FAPAI_DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    yield lambda *args: CliRunner().invoke(app, list(args))
    get_settings.cache_clear()


def _user(sqlite_url: str, token: str):
    engine = make_engine(sqlite_url)
    with session_factory(engine)() as s:
        user = user_for_token(s, token)
        court = s.get(Court, user.court_id) if user and user.court_id else None
        hashes = s.scalars(select(ApiToken.token_hash)).all()
    engine.dispose()
    return user, court, hashes


def test_users_add_prints_a_token_that_authenticates(fapai, sqlite_url):
    assert fapai("courts", "add", "GZTH", "广州市天河区人民法院").exit_code == 0
    twice = fapai("courts", "add", "GZTH", "另一个法院")
    assert twice.exit_code == 2 and "已存在" in twice.output
    result = fapai("users", "add", "李四", "--role", "court", "--court", "GZTH")
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    user, court, hashes = _user(sqlite_url, token)
    assert (user.name, user.role, court.code) == ("李四", "court", "GZTH")
    assert token not in hashes
    bad = fapai("users", "add", "李四", "--role", "judge")
    assert bad.exit_code != 0 and "judge" in bad.output
    homeless = fapai("users", "add", "王五", "--role", "court")
    assert homeless.exit_code == 2 and "法院" in homeless.output
    unknown = fapai("users", "add", "王五", "--role", "court", "--court", "NOPE")
    assert unknown.exit_code == 2 and "NOPE" in unknown.output
    assert "GZTH\t广州市天河区人民法院" in fapai("courts", "list").output


def test_rotate_and_revoke_end_the_old_tokens(fapai, sqlite_url):
    fapai("courts", "add", "GZTH", "广州市天河区人民法院")
    first = fapai("users", "add", "李四", "--role", "court", "--court", "GZTH").output
    old = first.strip().splitlines()[-1]
    user, _, _ = _user(sqlite_url, old)
    rotated = fapai("users", "rotate", str(user.id))
    assert rotated.exit_code == 0, rotated.output
    new = rotated.output.strip().splitlines()[-1]
    assert _user(sqlite_url, old)[0] is None
    assert _user(sqlite_url, new)[0].id == user.id
    revoked = fapai("users", "revoke", str(user.id))
    assert revoked.exit_code == 0 and "已终止 1 个令牌" in revoked.output
    assert _user(sqlite_url, new)[0] is None
    assert fapai("users", "revoke", "999").exit_code == 2


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
