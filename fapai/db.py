"""The database: one declarative ``Base`` for every room, engines, sessions and migrations.

SQLite (WAL, foreign keys on, a busy timeout) is the embedded default; PostgreSQL through
psycopg 3 is the production database. Every command calls :func:`migrate` first, so a fresh
``FAPAI_DATABASE_URL`` just works. Migrations live in ``fapai/migrations`` as Alembic branches,
one per room (``market``, ``auction``, ``inquiry``…): ``upgrade heads`` brings all of them up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

from fapai.clock import ensure_utc

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no zone: we add it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = ensure_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        return None if value is None else ensure_utc(value)


def normalize_url(url: str) -> str:
    """``postgresql://`` → ``postgresql+psycopg://`` (psycopg 3); other URLs unchanged."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, **kwargs) -> Engine:
    """An engine for ``url``: SQLite gets WAL, foreign keys and a 30 s busy timeout."""
    url = normalize_url(url)
    if is_sqlite(url):
        u = make_url(url)
        if u.database and u.database != ":memory:":
            Path(u.database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # Let SQLAlchemy, not pysqlite, decide when a transaction begins, so that
            # BEGIN IMMEDIATE below takes the write lock at the start of a transaction.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # Readers BEGIN (deferred) and never block each other under WAL. A writer that
            # must serialise (a bid) uses ``writer_engine(engine)``: BEGIN IMMEDIATE takes the
            # write lock at the start instead of failing later on a lock upgrade.
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 40)
    return create_engine(url, **kwargs)


def writer_engine(engine: Engine) -> Engine:
    """The same engine (same pool) whose transactions take the write lock at BEGIN on SQLite.

    On PostgreSQL it is the engine itself: there, serialise with ``SELECT … FOR UPDATE``.
    """
    if engine.dialect.name == "sqlite":
        return engine.execution_options(sqlite_begin="IMMEDIATE")
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", str(MIGRATIONS_DIR / "versions"))
    cfg.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return cfg


_migrated: set[str] = set()
_migrate_lock = threading.Lock()

# The PostgreSQL advisory-lock key every fapai process takes around its migrations ("fapai").
PG_MIGRATE_LOCK_KEY = int.from_bytes(b"fapai", "big")


@contextmanager
def _across_processes(url: str) -> Iterator[None]:
    """Hold a lock that other processes migrating the same database wait for: a PostgreSQL
    session advisory lock, or an exclusive ``flock`` on ``<file>.migrate.lock`` beside a SQLite
    file (an in-memory database has no other process)."""
    if is_sqlite(url):
        database = make_url(url).database
        if not database or database == ":memory:":
            yield
            return
        import fcntl

        path = Path(database).expanduser().resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        with (path.parent / f"{path.name}.migrate.lock").open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return
    engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": PG_MIGRATE_LOCK_KEY})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": PG_MIGRATE_LOCK_KEY})
    finally:
        engine.dispose()


def migrate(url: str) -> None:
    """Create or upgrade the schema of the database at ``url`` (all branches: ``heads``).

    Idempotent and cheap after the first call in a process. Safe when several processes start
    at once (``uvicorn --workers``): they take turns under :func:`_across_processes`, and the
    ones that come later find the schema at its heads.
    """
    from alembic import command

    url = normalize_url(url)
    with _migrate_lock:
        if url in _migrated:
            return
        with _across_processes(url):
            log.info("migrating database %s", make_url(url).render_as_string(hide_password=True))
            command.upgrade(alembic_config(url), "heads")
        _migrated.add(url)


@lru_cache(maxsize=1)
def _scripts() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def migration_heads() -> frozenset[str]:
    """The head revision of every room's migration branch."""
    return frozenset(_scripts().get_heads())


def schema_lag(engine: Engine) -> list[str]:
    """The migration heads the database at ``engine`` has not reached (empty: at head). A head
    that another branch's revision depends on (``depends_on``) is reached through it: Alembic
    then keeps only the dependent revision in its version table.

    Raises SQLAlchemy's error when the database does not answer."""
    with engine.connect() as conn:
        current = tuple(
            conn.scalars(text("SELECT version_num FROM alembic_version"))
            if inspect(conn).has_table("alembic_version")
            else ()
        )
    revisions = _scripts().revision_map
    reached = (
        {r.revision for r in revisions.iterate_revisions(current, "base")} if current else set()
    )
    return sorted(migration_heads() - reached)
