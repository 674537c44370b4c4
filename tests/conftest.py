"""Shared fixtures: real databases (SQLite file, PostgreSQL), an injected clock, settings.

PostgreSQL tests run when ``FAPAI_TEST_POSTGRES_URL`` is set (``.ci/run`` sets it when the
local server answers); each test process (the session, or each pytest-xdist worker of it) gets
its own database, created and dropped here, so parallel workers and runs never see each other's
rows. Without it they are skipped with the reason. Everything else a test touches is its own
too: SQLite files under its tmp_path, servers on free ports, Redis keys under a fresh prefix.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from fapai.clock import FrozenClock
from fapai.db import make_engine, migrate, normalize_url

# Apps made by tests load the inquiry models on first use, not in the background at start-up
# (a test that checks the warm-up turns it on for itself).
os.environ.setdefault("FAPAI_WARM_MODELS", "0")
# Nor do they re-price market estimates in the background (tests call app.market.sweep_once).
os.environ.setdefault("FAPAI_MARKET_ESTIMATE_INTERVAL_SECONDS", "0")
# Tests record deposits as paid unless they test the court-account flow, keep the
# server secret in a folder of their own, serve TestClient's host, and rate-limit only where a
# test checks the limits (those tests set their own).
os.environ.setdefault("FAPAI_PAYMENT_ADAPTER", "recorded")
os.environ.setdefault("FAPAI_DATA_DIR", tempfile.mkdtemp(prefix="fapai-test-data-"))
os.environ.setdefault("FAPAI_ALLOWED_HOSTS", '["127.0.0.1", "localhost", "testserver"]')
for _name in ("SIGNIN", "REGISTER", "BID_USER", "BID_IP"):
    os.environ.setdefault(f"FAPAI_RATE_LIMIT_{_name}", "1000000/minute")

PG_ENV = "FAPAI_TEST_POSTGRES_URL"
REDIS_ENV = "FAPAI_TEST_REDIS_URL"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(_sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh, migrated SQLite file for this test."""
    path = tmp_path / "fapai.db"
    shutil.copyfile(_sqlite_template, path)
    return f"sqlite:///{path}"


def _pg_admin_url() -> str | None:
    return os.environ.get(PG_ENV) or None


@pytest.fixture(scope="session")
def _pg_database() -> Iterator[str]:
    admin = _pg_admin_url()
    if not admin:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1/test)")
    try:
        eng = create_engine(normalize_url(admin), isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "skip, say why"
        pytest.skip(f"PostgreSQL at {PG_ENV} does not answer: {exc.__class__.__name__}")
    name = f"fapai_t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with eng.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(normalize_url(admin)).set(database=name).render_as_string(hide_password=False)
    migrate(url)
    try:
        yield url
    finally:
        with eng.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        eng.dispose()


@pytest.fixture
def fresh_pg_url() -> Iterator[str]:
    """A PostgreSQL database created empty for this test (never migrated), dropped after."""
    admin = _pg_admin_url()
    if not admin:
        pytest.skip(f"PostgreSQL tests need {PG_ENV}")
    eng = create_engine(normalize_url(admin), isolation_level="AUTOCOMMIT")
    name = f"fapai_serve_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        with eng.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "skip, say why"
        pytest.skip(f"PostgreSQL does not answer: {exc.__class__.__name__}")
    try:
        url = make_url(normalize_url(admin)).set(database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with eng.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        eng.dispose()


@pytest.fixture
def pg_url(_pg_database: str) -> str:
    """The session's PostgreSQL database, emptied (all rows removed) for this test."""
    engine = make_engine(_pg_database)
    tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
    names = ", ".join(f'"{name}"' for name in sorted(tables))
    if names:
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return _pg_database


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Run the test on a fresh SQLite file and, when available, on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def migration_drift(db_url: str) -> Callable[..., list]:
    """``drift(tables, skip_index=…)``: how the migrated database at ``db_url`` differs from the
    SQLAlchemy models for those tables (Alembic's autogenerate comparison); [] when the
    migrations build exactly what the models declare. ``skip_index(name)`` leaves out indexes
    that exist only on some databases."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from fapai.db import Base

    def drift(tables: set[str], skip_index: Callable[[str], bool] = lambda _name: False) -> list:
        def included(_obj, name, kind, _reflected, _other) -> bool:
            return (kind != "table" or name in tables) and not (
                kind == "index" and skip_index(name)
            )

        engine = make_engine(db_url)
        try:
            with engine.connect() as conn:
                ctx = MigrationContext.configure(conn, opts={"include_object": included})
                return compare_metadata(ctx, Base.metadata)
        finally:
            engine.dispose()

    return drift


@pytest.fixture
def redis_url() -> str:
    """The local Redis for distributed-crawl tests; skipped with the reason when absent."""
    url = os.environ.get(REDIS_ENV, "redis://127.0.0.1:6379/0")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"Redis at {url} does not answer ({exc.__class__.__name__}); set {REDIS_ENV}")
    return url


@pytest.fixture(scope="module")
def shipped_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the shipped, promoted models of every kind and their pointer (tests
    promote in it without touching the repository's ``models/``)."""
    from fapai.settings import PROJECT_ROOT
    from valuation.registry import POINTER, ModelRegistry

    shipped = PROJECT_ROOT / "models"
    target = tmp_path_factory.mktemp("models")
    pointers = ModelRegistry(shipped).pointers()
    assert set(pointers) >= {"price", "outcome"}, "models/ ships a promoted model of each kind"
    for name, version in pointers.items():
        for path in shipped.glob(f"{name}-{version}.*"):
            shutil.copy(path, target / path.name)
    shutil.copy(shipped / POINTER, target / POINTER)
    return target


# --- local sinks for the reminders' e-mail and webhook (auction.notifier) -------------------


class Mailbox:
    """What a local SMTP server (aiosmtpd) received: each message's bytes."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, _server, _session, envelope) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp_sink() -> Iterator[tuple[int, Mailbox]]:
    """A real SMTP server on a free loopback port: (port, its mailbox)."""
    controller_module = pytest.importorskip("aiosmtpd.controller", reason="needs aiosmtpd")
    from app.testing import free_port

    box = Mailbox()
    for attempt in range(3):  # a port taken between free_port() and the bind: take another
        controller = controller_module.Controller(box, hostname="127.0.0.1", port=free_port())
        try:
            controller.start()
            break
        except OSError:
            if attempt == 2:
                raise
    try:
        yield controller.port, box
    finally:
        controller.stop()


@pytest.fixture
def http_sink() -> Iterator[tuple[str, list[dict]]]:
    """A real HTTP server on a free loopback port: (its URL, the JSON bodies POSTed to it)."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()
        server.server_close()
