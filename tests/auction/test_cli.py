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
