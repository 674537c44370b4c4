"""Alembic environment: runs programmatically from fapai.db.migrate (no alembic.ini needed).

Upgrades only: each room writes its revisions by hand on its own branch, and
``tests/auction/test_store.py`` compares the migrated schema with the room's models. So the
ground floor never imports the rooms' table modules here (``Base.metadata`` holds whichever
tables the running process has imported).
"""

from alembic import context
from sqlalchemy import pool

from fapai.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # A batch migration rebuilds a table (copy, drop, rename): with foreign keys
            # enforced, dropping a table other rows point at fails. The pragma only takes
            # effect outside a transaction, so it goes to the driver's connection directly.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
